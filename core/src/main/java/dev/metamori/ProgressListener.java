package dev.metamori;

/**
 * Told how far a long pass over the journal has got, in bytes of journal read: a
 * {@link Checkpointer#verify() verify}, {@link Checkpointer#stats() stats} or
 * {@link Checkpointer#restore(long) restore}. For tools that draw a progress bar; set with
 * {@link Checkpointer#reportProgressTo(ProgressListener)}. Called from the thread doing the
 * work, after each epoch; it must return quickly.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Tells nobody. */
  ProgressListener NONE = (done, total) -> {};

  /**
   * {@code done} of {@code total} bytes of the pass are behind it; {@code done} only grows, and
   * reaches {@code total} when the pass ends.
   *
   * @param done bytes of the pass behind it
   * @param total bytes of the whole pass
   */
  void advanced(long done, long total);
}
