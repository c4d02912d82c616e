package dev.metamori.group;

/** There is no group of the name asked for in the ZooKeeper a tool reached. */
public class NoSuchGroupException extends GroupException {
  private static final long serialVersionUID = 1L;

  /** The name asked for. */
  private final String group;

  /**
   * {@code message} says where the group was looked for and which groups are there.
   *
   * @param group the name asked for
   * @param message the whole message
   */
  public NoSuchGroupException(String group, String message) {
    super(message);
    this.group = group;
  }

  /**
   * The name asked for.
   *
   * @return the name asked for
   */
  public String group() {
    return group;
  }
}
