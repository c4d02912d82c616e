package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The store's catalogue, {@code catalogue.seg}: what the index holds that no epoch's segment
 * does, as a log of events in segment format. Each event is zero or more {@link UndoRecord.Tree}
 * records and one {@link UndoRecord.Head} record, all with the event's generation, one more than
 * the last one's: a store created, an epoch without a segment committed, a restore begun or
 * ended, tracked roots changed, a prune. With the segments (their Commit, Label and Name
 * records) it is enough to rebuild the index ({@link IndexRebuilder}).
 *
 * <p>An event is written after the index commit that makes it (the index records the generation
 * it has reached), so the index is never behind the catalogue except when it is stale; a crash
 * between the two leaves the catalogue one event behind, which the next open rewrites from the
 * index. A rewrite (a snapshot: every epoch in Tree records, then a Head, at the generation
 * reached) replaces the file through a forced copy renamed over it; it runs when the log has
 * grown past twice its last snapshot, and after every prune.
 */
final class Catalogue implements Closeable {
  /** The epoch field of the catalogue's header: it belongs to no epoch. */
  static final long EPOCH = -1;
  /** Entries of one Tree record are kept under this many bytes (a frame holds at most 4 MiB). */
  private static final int TREE_BYTES = 1 << 20;
  /** The log is rewritten when larger than this and twice its last snapshot. */
  private static final long REWRITE_FLOOR = 64 << 10;
  /** Deleted ids in one Tree record. */
  private static final int DELETED_PART = 100_000;

  /** What a catalogue file holds, folded event by event. */
  static final class State {
    /** Generation of the last complete event (0: none). */
    long generation;
    /** The last complete event's Head, or null. */
    UndoRecord.Head head;
    /** The root key as of the last event that wrote a Tree record (-1: no prune yet). */
    long root = -1;
    /** Every epoch the events added or changed and did not delete, as last described. */
    final Map<Long, UndoRecord.TreeEntry> epochs = new TreeMap<>();
    /** Every epoch an event deleted and no later one described again. */
    final Set<Long> deleted = new TreeSet<>();
    int blockSize;
    /** Where the complete events end, and how many records they are. */
    long end;
    int records;

    void apply(UndoRecord.Tree t) {
      for (UndoRecord.TreeEntry e : t.epochs()) {
        epochs.put(e.id(), e);
        deleted.remove(e.id());
      }
      for (long d : t.deleted()) {
        epochs.remove(d);
        deleted.add(d);
      }
      root = t.root();
    }
  }

  private final StoreFiles files;
  private final int blockSize;
  private Segment segment;
  private long generation;
  private long snapshotBytes;
  /**
   * A write failed (a full disk): the log lacks an event the index has made, and the next event
   * rewrites it whole instead of appending to it.
   */
  private boolean behind;

  private Catalogue(StoreFiles files, int blockSize, Segment segment, long generation) throws IOException {
    this.files = files;
    this.blockSize = blockSize;
    this.segment = segment;
    this.generation = generation;
    this.snapshotBytes = segment.size();
  }

  /**
   * Reads the catalogue file: null if there is none. A torn final record, or an event cut short
   * before its Head, is what a crash leaves in the middle of an append: it is not part of the
   * state (and {@link #open} cuts it off). Any other damage is a {@link CorruptStoreException}.
   */
  static State read(StoreFiles files) throws IOException {
    Path file = files.catalogue();
    if (!Files.exists(file)) {
      return null;
    }
    try (Segment s = Segment.open(file)) {
      if (s.epoch != EPOCH) {
        throw s.corrupt(0, "the catalogue's header names epoch " + s.epoch);
      }
      Segment.Scan scan = s.scan();
      State state = new State();
      state.blockSize = s.blockSize;
      state.end = Segment.HEADER_SIZE;
      List<UndoRecord.Tree> pending = new ArrayList<>();
      for (int i = 0; i < scan.count(); i++) {
        UndoRecord r = s.read(scan.offsets()[i], i);
        long g = r instanceof UndoRecord.Head h ? h.generation() : r instanceof UndoRecord.Tree t ? t.generation() : -1;
        if (g < 0) {
          throw s.corrupt(scan.offsets()[i], "a record of type " + r.type() + " in the catalogue");
        }
        boolean first = state.head == null && pending.isEmpty();
        long expected = first ? g : pending.isEmpty() ? state.generation + 1 : pending.get(0).generation();
        if (g != expected || g < 1) {
          throw s.corrupt(scan.offsets()[i], "generation " + g + " where " + expected + " was expected");
        }
        if (r instanceof UndoRecord.Tree t) {
          pending.add(t);
          continue;
        }
        pending.forEach(state::apply);
        pending.clear();
        state.head = (UndoRecord.Head) r;
        state.generation = g;
        state.records = i + 1;
        state.end = i + 1 < scan.count() ? scan.offsets()[i + 1] : scan.validEnd();
      }
      return state;
    }
  }

  /** Opens the catalogue read by {@link #read} to append to it, cutting off what follows its last whole event. */
  static Catalogue open(StoreFiles files, State state) throws IOException {
    Segment s = Segment.openToAppend(files.catalogue(), state.records, state.end);
    return new Catalogue(files, state.blockSize, s, state.generation);
  }

  /**
   * Writes a new catalogue holding one snapshot ({@code trees} and {@code head}, of one
   * generation) through a forced copy renamed over the file, and opens it.
   */
  static Catalogue create(StoreFiles files, int blockSize, List<UndoRecord.Tree> trees, UndoRecord.Head head)
      throws IOException {
    Segment s = writeSnapshot(files, blockSize, trees, head);
    return new Catalogue(files, blockSize, s, head.generation());
  }

  private static Segment writeSnapshot(StoreFiles files, int blockSize, List<UndoRecord.Tree> trees, UndoRecord.Head head)
      throws IOException {
    Path copy = files.catalogueCopy();
    Files.deleteIfExists(copy);
    long end;
    try (Segment s = Segment.create(copy, EPOCH, nonce(), blockSize, 0)) {
      for (UndoRecord.Tree t : trees) {
        s.append(t);
      }
      end = s.append(head);
      s.force();
    }
    Files.move(copy, files.catalogue(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    StoreFiles.forceDirectory(files.store);
    return Segment.openToAppend(files.catalogue(), trees.size() + 1, end);
  }

  private static long nonce() {
    long n;
    do {
      n = new SecureRandom().nextLong();
    } while (n == 0);
    return n;
  }

  /** The generation of the last event written. */
  synchronized long generation() {
    return generation;
  }

  /**
   * Appends an event of generation {@link #generation()} + 1: the Tree records of {@code
   * trees} (which may be empty) and {@code head}, whose generations must be that one. If the
   * write fails, what it wrote is cut off and the catalogue is {@link #behind()}.
   */
  synchronized void append(List<UndoRecord.Tree> trees, UndoRecord.Head head, boolean force) throws IOException {
    if (head.generation() != generation + 1 || behind) {
      throw new IllegalStateException("event " + head.generation() + " after event " + generation);
    }
    long records = segment.nextSeq();
    long end = segment.size();
    try {
      for (UndoRecord.Tree t : trees) {
        segment.append(t);
      }
      segment.append(head);
      if (force) {
        segment.force();
      }
    } catch (IOException | RuntimeException e) {
      behind = true;
      try {
        segment.rewind((int) records, end);
      } catch (IOException | RuntimeException f) {
        e.addSuppressed(f); // an open cuts off an event without its Head anyway
      }
      throw e;
    }
    generation = head.generation();
  }

  /** Whether a write failed since the last rewrite, so that the log lacks an event. */
  synchronized boolean behind() {
    return behind;
  }

  /** Whether the log has grown enough since its last snapshot to be rewritten. */
  synchronized boolean grown() {
    long size = segment.size();
    return size > REWRITE_FLOOR && size > 2 * snapshotBytes;
  }

  /**
   * Replaces the log with a snapshot ({@code trees} and {@code head}, of one generation, the one
   * the index has reached). If that fails, the old log stays, {@link #behind()}.
   */
  synchronized void rewrite(List<UndoRecord.Tree> trees, UndoRecord.Head head) throws IOException {
    if (head.generation() < generation) {
      throw new IllegalStateException("a snapshot of generation " + head.generation() + " at " + generation);
    }
    Segment written;
    try {
      written = writeSnapshot(files, blockSize, trees, head);
    } catch (IOException | RuntimeException e) {
      behind = true;
      throw e;
    }
    segment.close();
    segment = written;
    generation = head.generation();
    snapshotBytes = segment.size();
    behind = false;
  }

  /**
   * Splits {@code entries} and {@code deleted} into Tree records of generation {@code
   * generation}, each well under the frame limit; at least one.
   */
  static List<UndoRecord.Tree> trees(long generation, long root, List<UndoRecord.TreeEntry> entries, long[] deleted) {
    List<UndoRecord.Tree> trees = new ArrayList<>();
    List<UndoRecord.TreeEntry> part = new ArrayList<>();
    int bytes = 0;
    for (UndoRecord.TreeEntry e : entries) {
      int b = CatalogueCodec.entryBytes(e);
      if (bytes + b > TREE_BYTES && !part.isEmpty()) {
        trees.add(new UndoRecord.Tree(generation, root, List.copyOf(part), new long[0]));
        part.clear();
        bytes = 0;
      }
      part.add(e);
      bytes += b;
    }
    int from = 0;
    do {
      int to = Math.min(deleted.length, from + DELETED_PART);
      trees.add(new UndoRecord.Tree(generation, root, List.copyOf(part), java.util.Arrays.copyOfRange(deleted, from, to)));
      part.clear();
      from = to;
    } while (from < deleted.length);
    return trees;
  }

  @Override
  public synchronized void close() throws IOException {
    if (segment != null) {
      segment.close();
    }
  }
}
