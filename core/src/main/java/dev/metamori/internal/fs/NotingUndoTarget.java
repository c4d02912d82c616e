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
  private final DriftWatch drift;

  NotingUndoTarget(UndoTarget target, DirtyPaths changed, DriftWatch drift) {
    this.target = target;
    this.changed = changed;
    this.drift = drift;
  }

  /** Notes the inode of a name {@code record} may remove, for its other links (see {@link DriftWatch}). */
  private void removing(UndoRecord record) throws IOException {
    if (record instanceof UndoRecord.Created c) {
      drift.linkedInode(c.path(), changed);
    } else if (record instanceof UndoRecord.Moved m) {
      drift.linkedInode(m.from(), changed);
      drift.linkedInode(m.to(), changed);
    } else if (record instanceof UndoRecord.Trashed t) {
      drift.linkedInode(t.path(), changed);
    }
  }

  @Override
  public void undo(UndoRecord record, String keepAs) throws IOException {
    removing(record);
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
    removing(record);
    changed.note(record);
    target.redo(record, keptAs);
  }

  @Override
  public void apply(UndoRecord redo) throws IOException {
    changed.note(redo);
    target.apply(redo);
  }

  @Override
  public void repeating(boolean repeating) {
    target.repeating(repeating);
  }

  @Override
  public void finish() throws IOException {
    target.finish();
  }
}
