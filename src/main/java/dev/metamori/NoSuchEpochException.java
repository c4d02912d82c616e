package dev.metamori;

/** The requested epoch does not exist in the store, or is no longer a valid target. */
public final class NoSuchEpochException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  private final long epoch;

  /** Creates an exception for {@code epoch}, with the reason it cannot be used. */
  public NoSuchEpochException(long epoch, String reason) {
    super("no such epoch " + epoch + ": " + reason);
    this.epoch = epoch;
  }

  /** The epoch that was asked for. */
  public long epoch() {
    return epoch;
  }
}
