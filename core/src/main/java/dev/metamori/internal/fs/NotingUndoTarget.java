package dev.metamori.internal.fs;

import dev.metamori.internal.journal.UndoRecord;
import dev.metamori.internal.journal.UndoTarget;
import java.io.IOException;
import java.util.Set;
import java.util.function.Consumer;

/** An {@link UndoTarget} that notes in {@link DirtyPaths} every entry the records it applies change. */
final class NotingUndoTarget implements UndoTarget {
  private final UndoTarget target;
  private final DirtyPaths changed;

  NotingUndoTarget(UndoTarget target, DirtyPaths changed) {
    this.target = target;
    this.changed = changed;
  }

  @Override
  public void undo(UndoRecord record, String keepAs) throws IOException {
    changed.note(record);
    target.undo(record, keepAs);
  }

  @Override
  public void capture(UndoRecord record, long step, Set<String> seen, Consumer<UndoRecord> sink)
      throws IOException {
    target.capture(record, step, seen, sink);
  }

  @Override
  public void redo(UndoRecord record, String keptAs) throws IOException {
    changed.note(record);
    target.redo(record, keptAs);
  }

  @Override
  public void apply(UndoRecord redo) throws IOException {
    changed.note(redo);
    target.apply(redo);
  }

  @Override
  public void finish() throws IOException {
    target.finish();
  }
}
