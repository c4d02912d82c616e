package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.NoSuchEpochException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Reads the complete redo file of a committed epoch ({@code segments/{epoch}.redo}): what the
 * state was at the end of the epoch, saved by {@link RedoCapture} when the epoch was first
 * undone. It has the segment format; its records are in undo order, and it ends with the mark of
 * step 0.
 */
final class RedoFile {
  private final JournalStore store;
  private final EpochGraph graph;

  RedoFile(JournalStore store, EpochGraph graph) {
    this.store = store;
    this.graph = graph;
  }

  /** A complete redo file of {@code e}, checked: its header names the epoch, it ends with a mark of step 0. */
  Segment open(EpochInfo e) throws IOException {
    return openScanned(e).file();
  }

  /** A redo file opened by {@link #openScanned}, with what the scan that checked it found. */
  record Scanned(Segment file, Segment.Scan scan) implements java.io.Closeable {
    /** Its records, read in runs, oldest first or newest first. */
    SegmentRecords records(boolean backwards) {
      return SegmentRecords.of(file, scan.offsets(), scan.validEnd(), backwards);
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }

  /**
   * The redo file of {@code e}, its header checked but its records not read: for a restore whose
   * preparation read and checked them whole ({@link PreparedRoute}).
   */
  Segment openChecked(EpochInfo e) throws IOException {
    Path file = store.files.redo(e.id());
    if (!Files.exists(file)) {
      throw new CorruptStoreException(
          file, -1, e.id(), "the redo file of epoch " + e.id() + ", which is not on the current line, is missing");
    }
    Segment redo = Segment.open(file);
    if (redo.epoch != e.id()) {
      CorruptStoreException damage = redo.corrupt(0, "the redo file's header names epoch " + redo.epoch);
      redo.close();
      throw damage;
    }
    return redo;
  }

  /** As {@link #open}, with the scan of the file. */
  Scanned openScanned(EpochInfo e) throws IOException {
    Segment redo = openChecked(e);
    try {
      Segment.Scan scan = redo.scan();
      UndoRecord last = scan.count() == 0 ? null : redo.read(scan.offsets()[scan.count() - 1], scan.count() - 1);
      if (scan.tornTail() || !(last instanceof UndoRecord.RedoMark) || ((UndoRecord.RedoMark) last).step() != 0) {
        throw redo.corrupt(scan.validEnd(), "the redo file is incomplete");
      }
      return new Scanned(redo, scan);
    } catch (IOException | RuntimeException ex) {
      redo.close();
      throw ex;
    }
  }

  /**
   * Reads the redo file of committed epoch {@code epoch}, if it has one. Returns false, visiting
   * nothing, if the epoch has never been undone (it is then on the current line).
   *
   * @throws CorruptStoreException if the redo file is damaged or incomplete, or missing for an
   *     epoch off the current line
   */
  boolean forEachRecord(long epoch, Consumer<UndoRecord> visitor) throws IOException {
    EpochInfo e = store.index().epoch(epoch);
    if (e == null) {
      throw new NoSuchEpochException(epoch, "it is not in the store");
    }
    if (e.segmentNonce() == 0
        || (!Files.exists(store.files.redo(epoch)) && graph.line(store.current).contains(epoch))) {
      return false;
    }
    try (Scanned redo = openScanned(e)) {
      SegmentRecords records = redo.records(false);
      for (int i = 0; i < records.count(); i++) {
        visitor.accept(records.get(i));
      }
    }
    return true;
  }

  /** The step a redo record belongs to, or -1 for a mark. */
  static long stepOf(UndoRecord r) {
    if (r instanceof UndoRecord.Redo x) {
      return x.step();
    } else if (r instanceof UndoRecord.RedoAttributes x) {
      return x.step();
    } else if (r instanceof UndoRecord.RedoRemoveDirectory x) {
      return x.step();
    } else if (r instanceof UndoRecord.RedoSkip x) {
      return x.step();
    }
    return -1;
  }
}
