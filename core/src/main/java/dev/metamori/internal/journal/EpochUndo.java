package dev.metamori.internal.journal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Undoes the records of one segment, newest first, resuming where the undo progress says an
 * earlier undo stopped. The undo of a committed epoch (which may be redone later) first saves
 * what each step destroys in the epoch's redo file ({@link RedoCapture}), in batches: a batch's
 * redo records and a mark are written (and forced, unless durability is NONE) before any of its
 * steps is undone, so a crash never leaves an undone step without its redo.
 */
final class EpochUndo {
  private final JournalStore store;
  private final CommittedSegments segments;

  EpochUndo(JournalStore store, CommittedSegments segments) {
    this.store = store;
    this.segments = segments;
  }

  /**
   * Undoes committed epoch {@code epoch}, keeping its redo. {@code checked}: its records as the
   * restore's preparation read and checked them, or null to read (and check) them here; {@code
   * redoComplete}: the preparation read its redo file whole and complete.
   */
  void undoCommitted(EpochInfo epoch, UndoRecord[] checked, boolean redoComplete, UndoTarget undo)
      throws IOException {
    try (Segment s = segments.open(epoch)) {
      if (s != null) {
        SegmentRecords records =
            checked != null
                ? SegmentRecords.checked(checked)
                : SegmentRecords.of(s, segments.recordOffsets(epoch.id()), s.size(), true);
        try (RedoCapture capture = redoComplete ? RedoCapture.complete(store) : RedoCapture.open(store, epoch, s)) {
          undoSegment(s, records, undo, capture);
        }
      }
    }
  }

  /** Undoes a segment the index does not list: the working epoch's, or one a crash left. */
  void undoUncommitted(Segment s, UndoTarget undo) throws IOException {
    Segment.Scan scan = s.scan();
    undoSegment(s, SegmentRecords.of(s, scan.offsets(), scan.validEnd(), true), undo, null);
  }

  private void undoSegment(Segment segment, SegmentRecords records, UndoTarget undo, RedoCapture capture)
      throws IOException {
    long resume = store.progress.resumeBefore(segment.nonce);
    List<UndoRecord> batch = new ArrayList<>();
    long batchEnd = Math.min(records.count(), resume);
    for (long seq = batchEnd - 1; seq >= 0; seq--) {
      UndoRecord record = records.get(seq);
      if (capture != null && capture.needs(seq)) {
        capture.add(undo, record, seq);
        batch.add(record);
        if (endsBatch(record) || capture.full() || seq == 0) {
          capture.flush(seq, endsBatch(record));
          for (int i = 0; i < batch.size(); i++) {
            undoStep(segment, batch.get(i), batchEnd - 1 - i, undo, true);
          }
          if (record instanceof UndoRecord.Created c) {
            capture.kept(seq, c.path()); // the batch's last step kept what it created
          }
          batch.clear();
          batchEnd = seq;
        }
      } else {
        undoStep(segment, record, seq, undo, capture != null);
        if (capture != null && record instanceof UndoRecord.Created c) {
          capture.kept(seq, c.path()); // an undo resumed after the step's batch was written
        }
        batchEnd = seq;
      }
    }
    if (capture != null) {
      capture.complete();
    }
    if (records.count() == 0) {
      store.progress.undone(segment.nonce, 0);
    }
  }

  /** One undo step; {@code keep}: a committed epoch's, whose creations go to the trash. */
  private void undoStep(Segment segment, UndoRecord record, long seq, UndoTarget undo, boolean keep)
      throws IOException {
    undo.undo(
        record,
        keep && record instanceof UndoRecord.Created ? StoreFiles.keptName(segment.epoch, seq) : null);
    if (endsBatch(record)) {
      // a rename, creation or deletion cannot be repeated blindly: the progress says it is
      // done (under SYSTEM durably, after it and everything before it)
      if (store.system()) {
        undo.finish();
      }
      store.progress.undone(segment.nonce, seq);
      if (store.system()) {
        store.progress.force();
      }
    } else if (!keep && !store.system()) {
      store.progress.undone(segment.nonce, seq);
    }
    // Block and attribute restores (and records that restore nothing in the trees) give the
    // same result when repeated in the same order: a committed epoch's undo resumed after a
    // crash repeats them from the last rename, creation or deletion, and a run of epochs that
    // have none may be repeated from its start (Restorer#follow), so they write no progress
  }

  /** Whether an undo of a record takes it and the records after it out of a capture batch. */
  static boolean endsBatch(UndoRecord r) {
    return r instanceof UndoRecord.Created || r instanceof UndoRecord.Trashed || r instanceof UndoRecord.Moved;
  }
}
