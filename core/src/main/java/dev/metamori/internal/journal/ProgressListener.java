package dev.metamori.internal.journal;

/**
 * Told how far a long pass over the journal (a scrub, an undo, a census) has got, in bytes of
 * journal read. Called from the thread doing the work, after each epoch; must be quick.
 */
@FunctionalInterface
public interface ProgressListener {
  /** Tells nobody. */
  ProgressListener NONE = (done, total) -> {};

  /**
   * {@code done} of {@code total} bytes of the pass are behind it; {@code done} only grows, and
   * reaches {@code total} when the pass ends.
   */
  void advanced(long done, long total);
}
