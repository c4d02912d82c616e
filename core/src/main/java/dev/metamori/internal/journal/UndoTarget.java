package dev.metamori.internal.journal;

import java.io.IOException;
import java.util.function.Consumer;

/**
 * Applies undo and redo records to the tracked trees; the journal decides which and in what
 * order.
 */
public interface UndoTarget {

  /**
   * Takes the tree from the state just after {@code record} was written back to the state
   * just before. Must be exact when applied to exactly that state, and must detect and skip
   * a rename or delete that had already been carried out when the process died.
   *
   * @param keepAs for a {@link UndoRecord.Created} record of an epoch that may be redone, the
   *     trash name under which to keep what it created (instead of deleting it); else null
   */
  void undo(UndoRecord record, String keepAs) throws IOException;

  /**
   * Reads, before {@code record} (step {@code step} of its epoch) is undone, what its undo
   * will destroy and what redoing it must put back, as redo records handed to {@code sink}.
   * {@code seen} holds the keys of the files whose attributes the epoch's redo already has;
   * the attributes of others are read and added.
   */
  void capture(UndoRecord record, long step, java.util.Set<String> seen, Consumer<UndoRecord> sink)
      throws IOException;

  /**
   * Redoes {@code record}'s step itself (a rename, a deletion, a creation kept in the trash as
   * {@code keptAs}); its redo records are applied after with {@link #apply}. Skips a step
   * already carried out.
   */
  void redo(UndoRecord record, String keptAs) throws IOException;

  /** Applies one redo record ({@link UndoRecord.Redo} and its kin). Idempotent. */
  void apply(UndoRecord redo) throws IOException;

  /** Forces everything changed so far to storage. */
  void finish() throws IOException;

  /**
   * Says that the steps applied from now on (until called with false) may repeat steps that
   * were applied before a crash, the rest of a run of epochs an interrupted restore had not made
   * durable (Restorer#follow): a file a later step of the run had already cut is then shorter
   * than an earlier step's record expects, which is expected, not a loss to report.
   */
  default void repeating(boolean repeating) {}
}
