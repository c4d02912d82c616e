package dev.metamori.internal.journal;

import java.io.IOException;

/** Applies undo records to the tracked trees; the journal decides which and in what order. */
public interface UndoTarget {

  /**
   * Takes the tree from the state just after {@code record} was written back to the state
   * just before. Must be exact when applied to exactly that state, and must detect and skip
   * a rename or delete that had already been carried out when the process died.
   */
  void undo(UndoRecord record) throws IOException;

  /** Forces everything changed by {@link #undo} so far to storage. */
  void finish() throws IOException;
}
