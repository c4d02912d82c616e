package dev.metamori;

/**
 * A stream given to {@link Checkpointer#receive(java.io.InputStream)} was refused, and the store
 * and its trees are unchanged: the stream is damaged or cut short, is of another format version,
 * does not fit this store (another number of tracked roots, a base epoch this store does not
 * hold or is not at), or names a path the receiving trees cannot take (outside a tracked root,
 * below a link). The message says which, and what to do.
 */
public final class StreamException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with the reason the stream was refused.
   *
   * @param message what is wrong with the stream and what to do
   */
  public StreamException(String message) {
    super(message);
  }

  /**
   * Creates an exception with the reason the stream was refused and what caused it.
   *
   * @param message what is wrong with the stream and what to do
   * @param cause the error that revealed it
   */
  public StreamException(String message, Throwable cause) {
    super(message, cause);
  }
}
