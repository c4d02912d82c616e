package dev.metamori.group;

/** A group has no global epoch with the id asked for. */
public class NoSuchGlobalEpochException extends GroupException {
  private static final long serialVersionUID = 1L;

  /** The id asked for. */
  private final long globalEpoch;

  /**
   * Creates an exception for global epoch {@code globalEpoch}, which {@code group} does not have.
   *
   * @param globalEpoch the id asked for
   * @param group the group's name
   */
  public NoSuchGlobalEpochException(long globalEpoch, String group) {
    super("no global epoch " + globalEpoch + " in group '" + group + "'; its global epochs are listed by globalEpochs()"
        + " (metamori group log)");
    this.globalEpoch = globalEpoch;
  }

  /**
   * The id asked for.
   *
   * @return the id asked for
   */
  public long globalEpoch() {
    return globalEpoch;
  }
}
