package dev.metamori;

/** The requested epoch does not exist in the store, or is no longer a valid target. */
public final class NoSuchEpochException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  /** The epoch asked for, or -1. */
  private final long epoch;

  /**
   * Creates an exception for {@code epoch}, with the reason it cannot be used.
   *
   * @param epoch the epoch asked for
   * @param reason why it cannot be used
   */
  public NoSuchEpochException(long epoch, String reason) {
    super("no such epoch " + epoch + ": " + reason);
    this.epoch = epoch;
  }

  /**
   * Creates an exception for an epoch asked for by {@code label}, which no valid epoch has.
   *
   * @param label the label asked for
   */
  public NoSuchEpochException(String label) {
    super("no such epoch labelled '" + label + "': no valid epoch has that label (see epochs())");
    this.epoch = -1;
  }

  /**
   * The epoch that was asked for, or -1 if it was asked for by label.
   *
   * @return the epoch asked for, or -1
   */
  public long epoch() {
    return epoch;
  }
}
