package dev.metamori.group;

/**
 * This member lost its ZooKeeper session: until it has rejoined, it may not send, receive or
 * release outputs, because the group may have decided without it.
 */
public class GroupFencedException extends GroupException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with the given message.
   *
   * @param message what happened and what to do
   */
  public GroupFencedException(String message) {
    super(message);
  }
}
