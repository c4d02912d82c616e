package dev.metamori.internal.journal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Redoes a committed epoch whose parent is the current epoch: each step of its segment in
 * order, a rename or deletion itself, then what its redo file holds for the step. Resumes where
 * the undo progress says an earlier redo stopped.
 */
final class EpochRedo {
  private final JournalStore store;
  private final CommittedSegments segments;
  private final RedoFile redoFile;

  EpochRedo(JournalStore store, CommittedSegments segments, RedoFile redoFile) {
    this.store = store;
    this.segments = segments;
    this.redoFile = redoFile;
  }

  /**
   * Redoes {@code e}. {@code checked} and {@code checkedRedo}: the records of its segment and of
   * its redo file as the restore's preparation read and checked them, or null to read (and
   * check) them here. {@code replayable}: every step of the epoch writes blocks and attributes
   * only ({@link PreparedRoute#replayable}), so that no progress is recorded for it.
   */
  void redo(EpochInfo e, UndoRecord[] checked, UndoRecord[] checkedRedo, boolean replayable, UndoTarget undo)
      throws IOException {
    try (Segment s = segments.open(e)) {
      if (s == null) {
        return;
      }
      SegmentRecords records =
          checked != null
              ? SegmentRecords.checked(checked)
              : SegmentRecords.of(s, segments.recordOffsets(e.id()), s.size(), false);
      if (checkedRedo != null) {
        try (Segment redo = redoFile.openChecked(e)) {
          redo(e, records, redo, null, SegmentRecords.checked(checkedRedo), replayable, undo);
        }
      } else {
        try (RedoFile.Scanned redo = redoFile.openScanned(e)) {
          redo(e, records, redo.file(), redo.scan().offsets(), redo.records(true), replayable, undo);
        }
      }
    }
  }

  /** {@code offsets}: where the redo records lie, for errors (null if none were read here). */
  private void redo(
      EpochInfo e,
      SegmentRecords records,
      Segment redo,
      long[] offsets,
      SegmentRecords redoRecords,
      boolean replayable,
      UndoTarget undo)
      throws IOException {
    UndoProgress progress = store.progress;
    long done = progress.redone(redo.nonce);
    if (!replayable) {
      // claims the progress slot: whatever it said about an earlier undo no longer holds (a
      // replayable epoch records no progress: repeated from its first step, it gives the same)
      progress.redone(redo.nonce, done);
      if (store.forcing()) {
        progress.force();
      }
    }
    // redo records are read backwards (they were written in undo order), each once: next is
    // the record at p, read and not yet used
    int p = redoRecords.count() - 1;
    UndoRecord next = null;
    List<UndoRecord> deferred = new ArrayList<>();
    for (long step = 0; step < records.count(); step++) {
      UndoRecord record = records.get(step);
      boolean redoing = step >= done;
      for (; p >= 0; p--, next = null) {
        next = next != null ? next : redoRecords.get(p);
        if (!(next instanceof UndoRecord.RedoMark)) {
          break;
        }
      }
      // a skip is the only redo record of its step
      boolean skip = next instanceof UndoRecord.RedoSkip && ((UndoRecord.RedoSkip) next).step() == step;
      if (redoing && !skip) {
        undo.redo(record, record instanceof UndoRecord.Created ? StoreFiles.keptName(e.id(), step) : null);
      }
      for (; p >= 0; p--, next = null) {
        UndoRecord r = next != null ? next : redoRecords.get(p);
        next = r;
        long at = RedoFile.stepOf(r);
        if (at < 0) {
          continue;
        }
        if (at < step) {
          throw redo.corrupt(offsets == null ? -1 : offsets[p], "redo records out of order");
        }
        if (at > step) {
          break;
        }
        if (!redoing || r instanceof UndoRecord.RedoSkip) {
          continue;
        } else if (r instanceof UndoRecord.Redo) {
          undo.apply(r);
        } else if (r instanceof UndoRecord.RedoRemoveDirectory) {
          deferred.add(0, r);
        } else {
          deferred.add(r);
        }
      }
      for (UndoRecord r : deferred) {
        undo.apply(r);
      }
      deferred.clear();
      if (redoing && EpochUndo.endsBatch(record)) {
        if (store.system()) {
          undo.finish();
          progress.redone(redo.nonce, step + 1);
          progress.force();
        } else {
          progress.redone(redo.nonce, step + 1);
        }
      }
    }
    if (p >= 0) {
      throw redo.corrupt(offsets == null ? -1 : offsets[p], "redo records for steps the epoch does not have");
    }
  }
}
