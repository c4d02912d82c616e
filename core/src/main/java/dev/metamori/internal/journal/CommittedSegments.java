package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.NoSuchEpochException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Reads the segments of committed epochs, checked against the index: the segment header is
 * checksummed, so where it and the index disagree the index is damaged. Also finds the segments
 * the index does not list (the working epoch's, or ones a crash left).
 */
final class CommittedSegments {
  private final JournalStore store;

  CommittedSegments(JournalStore store) {
    this.store = store;
  }

  /** The segment of committed epoch {@code e}, checked against the index, or null if it changed nothing. */
  Segment open(EpochInfo e) throws IOException {
    Path file = store.files.segment(e.id());
    if (e.segmentNonce() == 0) {
      if (Files.exists(file)) {
        throw store.indexDamage(e.id(), "the index says epoch " + e.id() + " has no segment, but it has");
      }
      return null;
    }
    Segment s = Segment.open(file);
    if (s.nonce != e.segmentNonce() || s.epoch != e.id() || s.blockSize != store.blockSize) {
      s.close();
      throw store.indexDamage(e.id(), "the index names another incarnation (or block size) of segment " + file);
    }
    return s;
  }

  /** The offsets of the epoch's records as the index lists them. */
  long[] recordOffsets(long epoch) throws CorruptStoreException {
    try {
      return store.index().recordOffsets(epoch);
    } catch (IllegalStateException e) {
      throw new CorruptStoreException(store.files.index(), -1, epoch, e.getMessage(), e);
    }
  }

  /**
   * Reads the records of committed epoch {@code epoch}, in the order they were written, and
   * hands each to {@code visitor}. An epoch that changed nothing has none.
   *
   * @throws NoSuchEpochException if the index does not list {@code epoch}
   * @throws CorruptStoreException if a record cannot be read; the records before it were visited
   */
  void forEachRecord(long epoch, RecordVisitor visitor) throws IOException {
    EpochInfo info = store.index().epoch(epoch);
    if (info == null) {
      throw new NoSuchEpochException(epoch, "it is not in the store");
    }
    try (Segment s = open(info)) {
      if (s == null) {
        return;
      }
      long[] offsets = recordOffsets(epoch);
      long end = s.size();
      for (int seq = 0; seq < offsets.length; seq++) {
        UndoRecord record = s.read(offsets[seq], seq);
        long next = seq + 1 < offsets.length ? offsets[seq + 1] : end;
        int frame = (int) (next - offsets[seq]);
        visitor.visit(record, frame, RecordCodec.storedPayloadBytes(record, frame));
      }
    }
  }

  /**
   * Reads the records the working epoch has so far, in order, from its segment file; a record
   * being appended meanwhile may be left out. Nothing if the working epoch changed nothing.
   */
  void forEachWorkingRecord(RecordVisitor visitor) throws IOException {
    Path file = store.files.segment(store.next);
    if (!Files.exists(file) || Files.size(file) < Segment.HEADER_SIZE) {
      return;
    }
    try (Segment s = Segment.open(file)) {
      Segment.Scan scan = s.scan();
      for (int seq = 0; seq < scan.count(); seq++) {
        visitor.visit(s.read(scan.offsets()[seq], seq), 0, 0);
      }
    }
  }

  /**
   * Reads every record of committed epoch {@code e}, in runs ({@link SegmentRecords}), and hands
   * each to {@code each} in order: fails unless all are sound and the last is its commit.
   */
  void check(EpochInfo e, java.util.function.Consumer<UndoRecord> each) throws IOException {
    try (Segment s = open(e)) {
      if (s == null) {
        return;
      }
      long[] offsets = recordOffsets(e.id());
      SegmentRecords records = SegmentRecords.of(s, offsets, s.size(), false);
      UndoRecord last = null;
      for (int seq = 0; seq < offsets.length; seq++) {
        try {
          last = records.get(seq);
        } catch (CorruptStoreException damage) {
          throw blameIndexIfSegmentSound(s, offsets, damage);
        }
        each.accept(last);
      }
      if (!(last instanceof UndoRecord.Commit)) {
        throw blameIndexIfSegmentSound(
            s,
            offsets,
            s.corrupt(
                offsets.length == 0 ? Segment.HEADER_SIZE : offsets[offsets.length - 1],
                "the epoch's last record is not its commit record"));
      }
    }
  }

  /**
   * A record the index points to is unreadable: if the segment itself reads back whole and
   * sound, the index's offsets are what is damaged.
   */
  CorruptStoreException blameIndexIfSegmentSound(Segment s, long[] offsets, CorruptStoreException damage)
      throws IOException {
    Segment.Scan scan;
    try {
      scan = s.scan();
    } catch (CorruptStoreException segmentDamage) {
      return damage;
    }
    if (endsInCommit(scan) && !Arrays.equals(scan.offsets(), offsets)) {
      return new CorruptStoreException(
          store.files.index(),
          -1,
          s.epoch,
          "the index's record offsets do not match the sound segment " + s.file,
          damage);
    }
    return damage;
  }

  /** Whether a scan found the segment whole, ending with a commit record. */
  static boolean endsInCommit(Segment.Scan scan) {
    return !scan.tornTail() && scan.count() > 0 && scan.types()[scan.count() - 1] == UndoRecord.COMMIT;
  }

  /**
   * The segments the index does not list among those a running journal can have left: the
   * working epoch's ({@code next}), a sealed epoch's whose commit failed ({@code next - 1}) and
   * the one after a sealed epoch ({@code next + 1}), newest first. Recovery on open lists them
   * all ({@link #uncommitted()}); a restore in a running journal need not read the directory.
   */
  List<Path> uncommittedNear(long next) throws IOException {
    List<Path> found = new ArrayList<>();
    for (long epoch = next + 1; epoch >= Math.max(0, next - 1); epoch--) {
      Path file = store.files.segment(epoch);
      if (store.index().epoch(epoch) == null && present(file)) {
        found.add(file);
      }
    }
    return found;
  }

  /** Whether {@code file} exists; unlike {@code Files.exists}, an error is thrown, not taken for "no". */
  private static boolean present(Path file) throws IOException {
    try {
      Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
      return true;
    } catch (java.nio.file.NoSuchFileException e) {
      return false;
    }
  }

  List<Path> uncommitted() throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(store.files.segments, "*.seg")) {
      for (Path file : stream) {
        String name = file.getFileName().toString();
        long epoch;
        try {
          epoch = Long.parseLong(name.substring(0, name.length() - 4));
        } catch (NumberFormatException e) {
          continue;
        }
        if (store.index().epoch(epoch) == null) {
          found.add(file);
        }
      }
    }
    found.sort(Comparator.reverseOrder());
    return found;
  }
}
