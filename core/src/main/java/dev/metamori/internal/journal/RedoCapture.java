package dev.metamori.internal.journal;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The redo file of a committed epoch being undone: what each undo step destroys, saved before
 * the step so that the epoch can be redone later. Written in batches, each ended by a {@link
 * UndoRecord.RedoMark}; an undo interrupted by a crash resumes after the last mark (a batch
 * without its mark was never undone: its redo records are cut off and captured again). A redo
 * file ending with the mark of step 0 is complete, and a later undo of the same epoch (after
 * it was redone, which restores exactly the state the file describes) captures nothing.
 */
final class RedoCapture implements Closeable {
  /** A batch is written once it holds this many bytes of redo data (or records). */
  private static final long BATCH_BYTES = 8L << 20;

  private static final int BATCH_RECORDS = 4096;

  private final JournalStore store;
  private final Segment file;
  private final Set<String> seen;
  private final List<UndoRecord> pending = new ArrayList<>();
  private long pendingBytes;
  private TreeDigest digester;
  /** Steps at or above this one have their redo records in the file. */
  private long capturedDownTo;
  /** The file was created by this capture and its directory entry is not forced yet. */
  private boolean created;

  private RedoCapture(JournalStore store, Segment file, Set<String> seen, long capturedDownTo) {
    this.store = store;
    this.file = file;
    this.seen = seen;
    this.capturedDownTo = capturedDownTo;
  }

  /** The capture of an epoch whose redo file is complete, as checked already: it captures nothing. */
  static RedoCapture complete(JournalStore store) {
    return new RedoCapture(store, null, new HashSet<>(), 0);
  }

  /** Opens (or creates) the redo file of committed epoch {@code e}, whose segment is {@code s}. */
  static RedoCapture open(JournalStore store, EpochInfo e, Segment s) throws IOException {
    Path path = store.files.redo(e.id());
    if (Files.exists(path) && Files.size(path) >= Segment.HEADER_SIZE) {
      Segment old = Segment.open(path);
      long down = Long.MAX_VALUE;
      int records = 0;
      long end = Segment.HEADER_SIZE;
      Set<String> seen = new HashSet<>();
      Set<String> seenSoFar = new HashSet<>();
      try {
        if (old.epoch != e.id()) {
          throw old.corrupt(0, "the redo file's header names epoch " + old.epoch);
        }
        Segment.Scan scan = old.scan();
        SegmentRecords oldRecords = SegmentRecords.of(old, scan.offsets(), scan.validEnd(), false);
        for (int i = 0; i < scan.count(); i++) {
          UndoRecord r = oldRecords.get(i);
          if (r instanceof UndoRecord.RedoAttributes a) {
            seenSoFar.add(a.key());
          } else if (r instanceof UndoRecord.RedoMark m) {
            down = m.step();
            records = i + 1;
            end = i + 1 < scan.count() ? scan.offsets()[i + 1] : scan.validEnd();
            seen.addAll(seenSoFar);
          }
        }
      } finally {
        old.close();
      }
      if (down == 0) {
        return complete(store);
      }
      return new RedoCapture(store, Segment.openToAppend(path, records, end), seen, down);
    }
    Files.deleteIfExists(path); // cut short while its header was written: holds nothing
    // forced with its first batch, directory entry included: no undo step relies on it before
    RedoCapture capture =
        new RedoCapture(store, Segment.create(path, e.id(), store.newNonce(), store.blockSize, 0), new HashSet<>(), Long.MAX_VALUE);
    capture.created = true;
    return capture;
  }

  /** Whether step {@code seq} still needs its redo saved. */
  boolean needs(long seq) {
    return seq < capturedDownTo;
  }

  /** Reads what undoing {@code record} (step {@code seq}) will destroy into the batch. */
  void add(UndoTarget undo, UndoRecord record, long seq) throws IOException {
    undo.capture(
        record,
        seq,
        seen,
        r -> {
          pending.add(r);
          pendingBytes += r instanceof UndoRecord.Redo ? ((UndoRecord.Redo) r).data().length : 64;
        });
  }

  /**
   * Checksums what the undo of step {@code seq}, a creation of {@code path}, has just kept in
   * the trash ({@link TrashDigests}); the checksum is written with the next batch (a crash
   * before that leaves the kept entry without one). Nothing once the redo file is complete: it
   * has the checksum from the first undo, and the entry is the same. The entry's data is not
   * forced: the commit of the epoch that created or last changed it forced it, or the undo
   * that restored it did.
   */
  void kept(long seq, String path) throws IOException {
    if (file == null) {
      return;
    }
    if (digester == null) {
      digester = new TreeDigest();
    }
    pending.add(TrashDigests.ofKept(store.files, digester, StoreFiles.keptName(file.epoch, seq), path));
  }

  /** Whether the batch is big enough to be written. */
  boolean full() {
    return pendingBytes >= BATCH_BYTES || pending.size() >= BATCH_RECORDS;
  }

  /**
   * Writes the batch and a mark saying every step from {@code seq} up is saved, and makes them
   * durable: the batch's steps may be undone after this returns.
   */
  void flush(long seq, boolean renames) throws IOException {
    if (pending.isEmpty() && seq != 0 && !renames) {
      // blocks and attributes only, nothing destroyed: capturing these steps again after a
      // crash finds nothing either (a rename or deletion's capture depends on whether its undo
      // already ran, so those are always marked)
      capturedDownTo = seq;
      return;
    }
    pending.add(new UndoRecord.RedoMark(seq));
    try {
      file.appendAll(pending); // one write for the batch and its mark, or nothing
    } catch (IOException | RuntimeException e) {
      pending.remove(pending.size() - 1);
      throw e;
    }
    if (store.forcing()) {
      if (created) {
        // the file and its directory entry: two forces at once
        ParallelForce.runAll(
            java.util.List.<ParallelForce.Force>of(file::force, () -> StoreFiles.forceDirectory(file.file.getParent())));
        created = false;
      } else {
        file.force();
      }
    }
    pending.clear();
    pendingBytes = 0;
    capturedDownTo = seq;
  }

  /** Ends the file with the mark of step 0 if the undo has not written it (or checksums since). */
  void complete() throws IOException {
    if (capturedDownTo != 0 || !pending.isEmpty()) {
      flush(0, false);
    }
  }

  @Override
  public void close() throws IOException {
    if (file != null) {
      file.close();
    }
  }
}
