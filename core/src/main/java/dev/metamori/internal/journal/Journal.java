package dev.metamori.internal.journal;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.CheckpointException;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import dev.metamori.NoSuchEpochException;
import dev.metamori.StoreLockedException;
import dev.metamori.internal.journal.UndoRecord.Commit;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoch journal of one store directory:
 *
 * <pre>
 *   LOCK                     held while the store is open
 *   index.mv                 MVStore: committed epochs, record positions, store metadata
 *   segments/{epoch}.seg     undo records of one epoch (source of truth)
 *   trash/{epoch}/{n}        files and directories removed from the trees during that epoch
 *   undo.progress            how far an interrupted undo got
 * </pre>
 *
 * The working epoch (the changes since {@link #currentEpoch()}) has id {@link
 * #workingEpoch()}; its segment is created on its first record. An epoch is committed when the
 * index says so; segments of uncommitted epochs are undone and deleted by {@link
 * #finishUndo(UndoTarget)}. Not thread-safe except {@link #append} and {@link #newTrashEntry};
 * the caller serialises the rest.
 */
public final class Journal implements Closeable {
  static final long FORMAT = 2;
  private static final String META_FORMAT = "format";
  private static final String META_BLOCK_SIZE = "blockSize";
  private static final String META_CURRENT = "current";
  private static final String META_NEXT = "next";
  private static final String META_ROLLBACK_TARGET = "rollbackTarget";
  private static final String META_NEXT_ITEM = "nextItem";
  /** The root of the tree: epoch 0 until a prune removes it. */
  static final String META_ROOT = "root";
  /** Prefix of the keys naming epochs whose files a prune still has to delete. */
  static final String META_PRUNED = "pruned/";

  private final Path store;
  private final Path segments;
  private final Path trash;
  private final FileChannel lockChannel;
  /** Replaced by a compacted copy after a prune; otherwise fixed. */
  private volatile EpochIndex index;
  private final UndoProgress progress;
  private final int blockSize;
  private final Durability durability;
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong trashCounter = new AtomicLong();
  private volatile long current;
  private volatile long next;
  private volatile Segment working;
  private volatile ProgressListener listener = ProgressListener.NONE;

  private Journal(
      Path store,
      FileChannel lockChannel,
      EpochIndex index,
      UndoProgress progress,
      int blockSize,
      Durability durability)
      throws CorruptStoreException {
    this.durability = durability;
    this.store = store;
    this.segments = store.resolve("segments");
    this.trash = store.resolve("trash");
    this.lockChannel = lockChannel;
    this.index = index;
    this.progress = progress;
    this.blockSize = blockSize;
    this.current = index.meta(META_CURRENT, 0);
    this.next = index.meta(META_NEXT, 1);
  }

  /**
   * The index lists the current epoch, the next id is above every id used, and the current
   * epoch is the one the undo progress witnessed: equal, or one the index has not committed yet
   * (a crash inside a commit), or next to it on the way of a restore in progress (a crash
   * between the index's move and the witness's).
   */
  private void checkCurrent() throws IOException {
    long witness = progress.head();
    if (witness >= 0 && witness != current && index.epoch(witness) != null) {
      EpochInfo c = index.epoch(current);
      EpochInfo w = index.epoch(witness);
      boolean adjacent = c != null && (c.parent() == witness || w.parent() == current);
      boolean oneWriteApart = index.meta(META_ROLLBACK_TARGET, -1) >= 0 || progress.headMayBeStale();
      if (!adjacent || !oneWriteApart) {
        throw new CorruptStoreException(
            progress.headMayBeStale() ? progress.file() : store.resolve("index.mv"),
            -1,
            current,
            "the index says the current epoch is " + current + ", but " + store.resolve("undo.progress")
                + " recorded epoch " + witness + " last");
      }
    }
    if (witness >= 0 && witness != current) {
      // accepted as one write apart: bring the witness up to date, or later writes (which
      // carry it) would make the gap permanent
      progress.rewitness(current);
      if (forcing()) {
        progress.force();
      }
    }
    long newest = -1;
    for (EpochInfo e : index.epochs()) {
      newest = Math.max(newest, e.id());
    }
    if (newest >= next || index.epoch(current) == null) {
      throw new CorruptStoreException(
          store.resolve("index.mv"),
          -1,
          -1,
          "the index says the current epoch is " + current + " and the next " + next
              + ", but its newest epoch is " + newest);
    }
  }

  /**
   * Opens or creates the journal in {@code store} and locks it. Does not recover: call {@link
   * #finishUndo(UndoTarget)} before anything else.
   *
   * @param requestedBlockSize 0 for the store's block size (4 KiB for a new store)
   */
  public static Journal open(Path store, int requestedBlockSize, Durability durability, long nowMillis)
      throws IOException {
    Files.createDirectories(store);
    Files.createDirectories(store.resolve("segments"));
    Files.createDirectories(store.resolve("trash"));
    FileChannel lock = lock(store);
    EpochIndex index = null;
    UndoProgress progress = null;
    try {
      Files.deleteIfExists(store.resolve("index.mv.new")); // a prune's copy a crash left behind
      index = new MvStoreIndex(store.resolve("index.mv"));
      long format = index.meta(META_FORMAT, -1);
      if (format == -1) {
        int blockSize = requestedBlockSize == 0 ? 4096 : requestedBlockSize;
        index.putMeta(META_FORMAT, FORMAT);
        index.putMeta(META_BLOCK_SIZE, blockSize);
        index.putMeta(META_CURRENT, 0);
        index.putMeta(META_NEXT, 1);
        index.putEpoch(new EpochInfo(0, -1, nowMillis, 0, 0, 0, 0));
        index.commit(true);
        forceDirectory(store);
      } else if (format != FORMAT) {
        throw new CheckpointException(
            "store "
                + store
                + " has format version "
                + format
                + ", which this version of Metamori (format "
                + FORMAT
                + ") cannot read: open it with the version that wrote it");
      }
      int blockSize = (int) index.meta(META_BLOCK_SIZE, 4096);
      if (requestedBlockSize != 0 && requestedBlockSize != blockSize) {
        throw new CheckpointException(
            "store "
                + store
                + " was created with block size "
                + blockSize
                + ", not "
                + requestedBlockSize
                + ": leave the block size unset to reopen it");
      }
      checkBlockSize(store, blockSize);
      progress = new UndoProgress(store.resolve("undo.progress"));
      Journal journal = new Journal(store, lock, index, progress, blockSize, durability);
      journal.checkCurrent();
      Pruner.finishDeletions(journal);
      Pruner.finishCompactions(journal);
      return journal;
    } catch (IOException | RuntimeException e) {
      closeQuietly(progress, e);
      closeQuietly(index, e);
      closeQuietly(lock, e);
      throw e;
    }
  }

  /**
   * The index's block size places every block record on undo: it must be one the builder
   * allows and the one the segments were written with (their headers are checksummed).
   */
  private static void checkBlockSize(Path store, int blockSize) throws IOException {
    Path indexFile = store.resolve("index.mv");
    if (blockSize < 512 || blockSize > (1 << 20) || Integer.bitCount(blockSize) != 1) {
      throw new CorruptStoreException(indexFile, -1, -1, "the index records block size " + blockSize);
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(store.resolve("segments"), "*.seg")) {
      for (Path file : stream) {
        if (Files.size(file) < Segment.HEADER_SIZE) {
          continue;
        }
        int segmentBlockSize;
        try (Segment s = Segment.open(file)) {
          segmentBlockSize = s.blockSize;
        } catch (CorruptStoreException damaged) {
          continue; // reported when the segment is needed
        }
        if (segmentBlockSize != blockSize) {
          throw new CorruptStoreException(
              indexFile,
              -1,
              -1,
              "the index records block size " + blockSize + " but segment " + file.getFileName()
                  + " was written with " + segmentBlockSize);
        }
        return; // one sound segment tells; openCommitted checks each one it uses
      }
    }
  }

  private static FileChannel lock(Path store) throws IOException {
    Path file = store.resolve("LOCK");
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      channel.close();
      throw new StoreLockedException(store, "another Checkpointer in this process");
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = "another process";
      try {
        String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (!pid.isEmpty()) {
          holder = "another process (pid " + pid + ")";
        }
      } catch (IOException ignored) {
        // the holder's pid is only decoration for the message
      }
      channel.close();
      throw new StoreLockedException(store, holder);
    }
    try {
      channel.truncate(0);
      Segment.writeFully(
          channel,
          ByteBuffer.wrap(
              (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
          0);
    } catch (IOException | RuntimeException e) {
      closeQuietly(channel, e);
      throw e;
    }
    return channel;
  }

  /**
   * Reports the progress of the scrubs ({@link #verify()}) and of the undo of committed epochs
   * ({@link #finishUndo}) that follow, until another listener is set.
   */
  public void reportProgressTo(ProgressListener listener) {
    this.listener = listener == null ? ProgressListener.NONE : listener;
  }

  /**
   * Reads the records of committed epoch {@code epoch}, in the order they were written, and
   * hands each to {@code visitor}. An epoch that changed nothing has none.
   *
   * @throws NoSuchEpochException if the index does not list {@code epoch}
   * @throws CorruptStoreException if a record cannot be read; the records before it were visited
   */
  public void forEachRecord(long epoch, RecordVisitor visitor) throws IOException {
    EpochInfo info = index.epoch(epoch);
    if (info == null) {
      throw new NoSuchEpochException(epoch, "it is not in the store");
    }
    try (Segment s = openCommitted(info)) {
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
  public void forEachWorkingRecord(RecordVisitor visitor) throws IOException {
    Path file = segmentFile(next);
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

  /** Every region's and object's name with {id, size, page size, epoch that named it}. */
  public java.util.Map<String, long[]> names(long at) throws CorruptStoreException {
    Set<Long> line = new HashSet<>(line(at));
    java.util.Map<String, long[]> names = new java.util.TreeMap<>();
    for (java.util.Map.Entry<String, long[]> e : index.names().entrySet()) {
      String name = MvStoreIndex.nameOf(e.getKey());
      long[] v = e.getValue();
      long[] best = names.get(name);
      if (v.length == 5 && line.contains(v[3]) && (best == null || best[3] < v[3])) {
        names.put(name, v);
      }
    }
    return names;
  }

  /**
   * The epochs from {@code id} up to epoch 0, {@code id} first, checked: each parent has a
   * smaller id, and the line ends at epoch 0.
   */
  public List<Long> line(long id) throws CorruptStoreException {
    List<Long> line = new ArrayList<>();
    long root = index.meta(META_ROOT, 0);
    for (EpochInfo e = index.epoch(id); ; e = index.epoch(e.parent())) {
      if (e == null) {
        throw new CorruptStoreException(
            store.resolve("index.mv"),
            -1,
            id,
            "the line of epochs from epoch " + id + " to epoch 0 is broken");
      }
      line.add(e.id());
      if (e.id() == root) {
        return line;
      }
      if (e.parent() >= e.id() || e.parent() < 0) {
        throw new CorruptStoreException(
            store.resolve("index.mv"), -1, e.id(), "epoch " + e.id() + " has parent " + e.parent());
      }
    }
  }

  /** Whether commits, rollbacks and recovery force what they write. */
  public boolean forcing() {
    return durability != Durability.NONE;
  }

  public Path store() {
    return store;
  }

  public int blockSize() {
    return blockSize;
  }

  /** The epoch the trees were last committed or rolled back to. */
  public long currentEpoch() {
    return current;
  }

  /** The id the working epoch will get when committed. */
  public long workingEpoch() {
    return next;
  }

  /** Committed epochs on the current line, oldest first. */
  public List<EpochInfo> epochs() throws CorruptStoreException {
    List<EpochInfo> all = allEpochs();
    java.util.Map<Long, EpochInfo> byId = new java.util.HashMap<>();
    for (EpochInfo e : all) {
      byId.put(e.id(), e);
    }
    List<EpochInfo> visible = new ArrayList<>();
    for (EpochInfo e : all) {
      if (e.visible()) {
        // a pruned epoch between two listed ones is skipped: the parent is the nearest listed
        EpochInfo p = byId.get(e.parent());
        while (p != null && !p.visible()) {
          p = byId.get(p.parent());
        }
        visible.add(e.withParentAndFlags(p == null ? -1 : p.id(), e.flags()));
      }
    }
    return visible;
  }

  /** Every node of the tree, pruned ones (hidden, archive) too, by id; see {@link #checkPruneMarks}. */
  List<EpochInfo> allEpochs() throws CorruptStoreException {
    List<EpochInfo> all = index.epochs();
    all.sort(Comparator.comparingLong(EpochInfo::id));
    checkPruneMarks(all);
    return all;
  }

  /** The committed, listed (not pruned) epoch {@code id}, or null. */
  public EpochInfo epoch(long id) throws CorruptStoreException {
    EpochInfo e = index.epoch(id);
    if (e != null && !e.visible()) {
      allEpochs(); // a pruned epoch is reported only if a prune can have left it so
    }
    return e == null || !e.visible() ? null : e;
  }

  /**
   * An epoch's flags are the only record that a prune hid it, and MVStore does not checksum the
   * entries of its pages: a flipped bit there must not read as a prune, or a committed epoch is
   * silently lost. So the flags are checked against what only a prune leaves: flags it writes
   * ({@code 0}, hidden, hidden archive, compacted hidden archive); the {@code root} key, which
   * every prune that hides an epoch writes; archives in a line above the rest (each one's
   * parent an archive, the top one the root); each other hidden epoch an ancestor of a listed
   * one (a prune hides only epochs a kept one's restore passes through); and the current epoch
   * listed (outside an interrupted restore, which passes through hidden ones). Any other flags
   * are damage of the index.
   */
  private void checkPruneMarks(List<EpochInfo> all) throws CorruptStoreException {
    java.util.Map<Long, EpochInfo> byId = new java.util.HashMap<>();
    boolean marked = false;
    for (EpochInfo e : all) {
      byId.put(e.id(), e);
      marked |= e.flags() != 0;
    }
    if (!marked) {
      return;
    }
    long root = index.meta(META_ROOT, -1);
    Set<Long> aboveListed = new HashSet<>();
    for (EpochInfo e : all) {
      if (e.visible()) {
        for (EpochInfo p = byId.get(e.parent()); p != null && aboveListed.add(p.id()); p = byId.get(p.parent())) {}
      }
    }
    boolean restoring = index.meta(META_ROLLBACK_TARGET, -1) >= 0;
    for (EpochInfo e : all) {
      long f = e.flags();
      boolean archive = (f & EpochInfo.ARCHIVE) != 0;
      String wrong = null;
      if (f != 0 && f != EpochInfo.HIDDEN && f != (EpochInfo.HIDDEN | EpochInfo.ARCHIVE)
          && f != (EpochInfo.HIDDEN | EpochInfo.ARCHIVE | EpochInfo.COMPACTED)) {
        wrong = "flags no prune writes";
      } else if (f != 0 && root < 0) {
        wrong = "no prune recorded in the index";
      } else if (archive && e.parent() >= 0
          && (byId.get(e.parent()) == null || (byId.get(e.parent()).flags() & EpochInfo.ARCHIVE) == 0)) {
        wrong = "an archive below epoch " + e.parent() + ", which is not one";
      } else if (archive && e.parent() < 0 && e.id() != root) {
        wrong = "an archive at the top of the tree, which is not its root " + root;
      } else if (!e.visible() && !archive && !aboveListed.contains(e.id())) {
        wrong = "no listed epoch below it";
      } else if (!e.visible() && e.id() == current && !restoring) {
        wrong = "it is the current epoch";
      }
      if (wrong != null) {
        throw new CorruptStoreException(
            store.resolve("index.mv"),
            -1,
            e.id(),
            "the index marks committed epoch " + e.id() + " pruned (flags 0x" + Long.toHexString(f)
                + ") but no prune can have left it so (" + wrong + "): the index is damaged");
      }
    }
  }

  /**
   * Appends an undo record to the working epoch's segment. When this returns the record is in
   * the file, so it survives the death of this process; with {@link Durability#SYSTEM} it is
   * also forced to stable storage.
   */
  public void append(UndoRecord record) throws IOException {
    Segment segment = working;
    if (segment == null) {
      segment = openWorking();
    }
    long end = segment.append(record);
    if (durability == Durability.SYSTEM) {
      segment.forceThrough(end);
    }
  }

  private synchronized Segment openWorking() throws IOException {
    if (working == null) {
      working = createSegment(next, sealedPending ? Segment.AFTER_SEALED : 0);
    }
    return working;
  }

  private Segment createSegment(long id, int flags) throws IOException {
    Segment segment = Segment.create(segmentFile(id), id, newNonce(), blockSize, flags);
    if (durability == Durability.SYSTEM) {
      segment.force();
      forceDirectory(segments);
    }
    return segment;
  }

  /** A random segment nonce: never 0, which marks "no segment" and neutral undo progress. */
  long newNonce() {
    long nonce;
    do {
      nonce = random.nextLong();
    } while (nonce == 0);
    return nonce;
  }

  /** Key standing for volatile item {@code item} where file ids go (and back): negative. */
  public static long stateKey(long item) {
    return -1 - item;
  }

  /**
   * A fresh path in the working epoch's trash, and the name a {@link UndoRecord.Trashed}
   * record stores for it.
   */
  public String newTrashEntry() throws IOException {
    Path dir = trash.resolve(Long.toString(next));
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      if (durability == Durability.SYSTEM) {
        forceDirectory(trash);
      }
    }
    return next + "/" + trashCounter.incrementAndGet();
  }

  /** The path of a trash entry named by {@link #newTrashEntry()}. */
  public Path trashPath(String name) {
    return trash.resolve(name);
  }

  /** An epoch sealed by {@link #seal()}, on its way to being committed. */
  public static final class Sealed {
    private final long id;
    private final long parent;
    private final Segment segment;

    private Sealed(long id, long parent, Segment segment) {
      this.id = id;
      this.parent = parent;
      this.segment = segment;
    }

    /** The id the epoch gets when committed. */
    public long id() {
      return id;
    }
  }

  /** Writes the volatile state of a sealed epoch into it; see {@link #commit(Sealed, long, StateWriter, String)}. */
  public interface StateWriter {
    void write(StateSink sink) throws IOException;
  }

  /** Where a {@link StateWriter} puts state records. */
  public interface StateSink {
    /** Appends a state record to the sealed epoch and returns its sequence number. */
    long append(UndoRecord record) throws IOException;

    /** Appends a {@link UndoRecord.Name} record and indexes the name with the epoch. */
    void name(UndoRecord.Name name) throws IOException;
  }

  /**
   * Ends the working epoch: from now on records go to a new working epoch, while the sealed one
   * is committed by {@link #commit(Sealed, long, StateWriter, String)}. The caller makes sure that no
   * {@link #append} runs concurrently with this, and that at most one epoch is sealed and not
   * yet committed.
   */
  public Sealed seal() {
    sealedPending = true;
    Sealed sealed = new Sealed(next, current, working);
    working = null;
    next++;
    trashCounter.set(0);
    return sealed;
  }

  /** The tracked roots the store was last opened with (real path strings). */
  public List<String> roots() throws CorruptStoreException {
    return index.roots();
  }

  /** Records the tracked roots, so that the store can be reopened without naming them. */
  public void recordRoots(List<String> roots) throws IOException {
    if (!roots.equals(index.roots())) {
      index.putRoots(roots);
      index.commit(forcing());
    }
  }

  /** A fresh id for a volatile item (region or object), fixed by the next commit. */
  public synchronized long newItem() throws CorruptStoreException {
    long item = Math.max(nextItem, index.meta(META_NEXT_ITEM, 0));
    nextItem = item + 1;
    return item;
  }

  private long nextItem;
  /** Whether an epoch is sealed and not yet committed: segments created now say so. */
  private volatile boolean sealedPending;

  /** The volatile item called {@code name} at the current epoch: {id, size, pageSize, epoch}. */
  public long[] name(String name) throws IOException {
    return name(name, current);
  }

  /**
   * The volatile item called {@code name} at epoch {@code at}, as named by the newest Name
   * record on the line from epoch 0 to {@code at}: {id, size, pageSize, epoch}; null if none.
   */
  public long[] name(String name, long at) throws IOException {
    Set<Long> line = new HashSet<>(line(at));
    long[] v = null;
    for (long[] candidate : index.nameVersions(name)) {
      if (candidate.length != 5) {
        throw new CorruptStoreException(
            store.resolve("index.mv"), -1, -1, "the index entry of " + name + " is damaged");
      }
      if (line.contains(candidate[3]) && (v == null || v[3] < candidate[3])) {
        v = candidate;
      }
    }
    if (v == null) {
      checkNoItemUnnamed();
      return null;
    }
    try (StateReader reader = stateReader()) {
      checkName(reader, name, v);
    }
    return v;
  }

  /**
   * The names entry {@code name → v} against the Name record it was made from: a damaged
   * entry must not silently hand out another item (whose state would then read as empty).
   */
  private void checkName(StateReader reader, String name, long[] v) throws IOException {
    UndoRecord r = null;
    if (v.length == 5 && index.epoch(v[3]) != null) {
      r = reader.read(v[3], v[4]);
    }
    if (!(r instanceof UndoRecord.Name)
        || !((UndoRecord.Name) r).name().equals(name)
        || ((UndoRecord.Name) r).item() != v[0]
        || ((UndoRecord.Name) r).size() != v[1]
        || ((UndoRecord.Name) r).pageSize() != v[2]) {
      throw new CorruptStoreException(
          store.resolve("index.mv"), -1, v.length == 5 ? v[3] : -1, "the index entry of " + name + " is damaged");
    }
  }

  /**
   * A name the index does not list is taken for a new region or object, which starts empty:
   * so its absence is checked too. Every item that a committed epoch lists state entries of
   * must be named by an entry that matches its Name record; an entry lost, or moved to another
   * name, by a flipped byte is reported, not taken for an empty item. The epochs' own entries
   * are asked rather than the versions map, because damage to MVStore's layout was seen to
   * empty the names and versions maps together. Costs one record read per item and a few
   * lookups per committed epoch, once per name the store does not hold yet.
   */
  private void checkNoItemUnnamed() throws IOException {
    java.util.Set<Long> named = new java.util.HashSet<>();
    try (StateReader reader = stateReader()) {
      for (java.util.Map.Entry<String, long[]> e : index.names().entrySet()) {
        long[] v = e.getValue();
        if (v.length == 5 && index.epoch(v[3]) == null) {
          continue; // named by the epoch being committed right now
        }
        checkName(reader, MvStoreIndex.nameOf(e.getKey()), v);
        named.add(v[0]);
      }
    }
    for (EpochInfo epoch : index.epochs()) {
      for (long item : index.stateItems(epoch.id())) {
        if (!named.contains(item)) {
          throw new CorruptStoreException(
              store.resolve("index.mv"), -1, epoch.id(), "epoch " + epoch.id() + " holds state of item "
                  + item + " but the index has no name for it");
        }
      }
    }
  }

  /** Seals the working epoch and commits it, with no state records. */
  public EpochInfo commit(long nowMillis) throws IOException {
    return commit(seal(), nowMillis, null, null);
  }

  /**
   * Commits a sealed epoch: appends its state records and its commit record, forces its
   * segment, indexes it and makes it the current epoch durably. Records may be appended to the
   * new working epoch meanwhile.
   */
  public EpochInfo commit(Sealed sealed, long nowMillis, StateWriter state, String label)
      throws IOException {
    long id = sealed.id;
    long bytes = 0;
    long blocks = 0;
    long files = 0;
    long nonce = 0;
    List<UndoRecord.Name> named = new ArrayList<>();
    List<Long> namedSeqs = new ArrayList<>();
    Segment segment = sealed.segment;
    if (state != null) {
      Segment[] target = {segment};
      state.write(
          new StateSink() {
            @Override
            public long append(UndoRecord record) throws IOException {
              if (target[0] == null) {
                target[0] = createSegment(id, 0);
              }
              long seq = target[0].nextSeq();
              target[0].append(record);
              return seq;
            }

            @Override
            public void name(UndoRecord.Name name) throws IOException {
              namedSeqs.add(append(name));
              named.add(name);
            }
          });
      segment = target[0];
    }
    if (segment != null) {
      segment.append(new Commit(sealed.parent, nowMillis));
      if (forcing()) {
        segment.force();
      }
      Segment.Scan scan = segment.scan();
      if (scan.tornTail()) {
        throw segment.corrupt(scan.validEnd(), "the working segment ends in a damaged record");
      }
      for (byte type : scan.types()) {
        if (type == UndoRecord.TOUCH || type == UndoRecord.CREATED) {
          files++;
        }
      }
      long[] keys = scan.blockKeys();
      for (int i = 0; i < keys.length; i += 3) {
        if (keys[i] >= 0) {
          blocks++;
        }
      }
      // entries of an earlier, abandoned incarnation of this id would mix with ours
      index.removeRecords(id);
      // in chunks, so memory stays bounded; invisible until the epoch itself is put below
      index.putRecordsInChunks(id, scan.offsets(), keys);
      bytes = scan.validEnd();
      nonce = segment.nonce;
      Path trashDir = trash.resolve(Long.toString(id));
      if (forcing()) {
        forceDirectory(segments);
      }
      if (forcing() && Files.isDirectory(trashDir)) {
        forceDirectory(trashDir);
        forceDirectory(trash);
      }
    } else {
      // the remains of a segment whose creation failed before any record reached it
      Files.deleteIfExists(segmentFile(id));
    }
    for (int i = 0; i < named.size(); i++) {
      UndoRecord.Name n = named.get(i);
      index.putName(n.name(), new long[] {n.item(), n.size(), n.pageSize(), id, namedSeqs.get(i)});
      index.putMeta(META_NEXT_ITEM, Math.max(index.meta(META_NEXT_ITEM, 0), n.item() + 1));
    }
    EpochInfo epoch = new EpochInfo(id, sealed.parent, nowMillis, bytes, blocks, files, nonce, label);
    // the witness first: after a crash before the index commit it names an epoch the index
    // does not have, which tells it from damage
    progress.head(id);
    if (forcing()) {
      progress.force();
    }
    index.putEpoch(epoch);
    index.putMeta(META_CURRENT, id);
    index.putMeta(META_NEXT, next);
    index.commit(forcing());
    current = id;
    sealedPending = false;
    if (segment != null) {
      segment.close();
    }
    return epoch;
  }

  /**
   * Reads state records of committed epochs, keeping the segments it opened open until
   * closed.
   */
  public final class StateReader implements Closeable {
    private final java.util.Map<Long, Segment> open =
        new java.util.LinkedHashMap<>(16, 0.75f, true) {
          @Override
          protected boolean removeEldestEntry(java.util.Map.Entry<Long, Segment> eldest) {
            if (size() > 32) {
              try {
                eldest.getValue().close();
              } catch (IOException ignored) {
                // read-only: nothing to lose
              }
              return true;
            }
            return false;
          }
        };

    /** The index file, to blame where a record read does not match what the index says. */
    public Path indexFile() {
      return store.resolve("index.mv");
    }

    /** Record {@code seq} of committed epoch {@code epoch}. */
    public UndoRecord read(long epoch, long seq) throws IOException {
      Segment s = segment(epoch);
      if (s == null) {
        throw new CorruptStoreException(
            store.resolve("index.mv"), -1, epoch, "the index names record " + seq + " of epoch "
                + epoch + ", which has no segment");
      }
      long offset = index.recordOffset(epoch, seq);
      if (offset < 0) {
        throw new CorruptStoreException(
            store.resolve("index.mv"), -1, epoch, "the index lacks the offset of record " + seq);
      }
      try {
        return s.read(offset, seq);
      } catch (CorruptStoreException damage) {
        throw blameIndexIfSegmentSound(s, recordOffsets(epoch), damage);
      }
    }

    private final java.util.Map<Long, Set<Long>> lines = new java.util.HashMap<>();

    /** The epochs on the line from the root to {@code at}, cached for the life of this reader. */
    private Set<Long> lineOf(long at) throws CorruptStoreException {
      Set<Long> line = lines.get(at);
      if (line == null) {
        line = new HashSet<>(line(at));
        lines.put(at, line);
      }
      return line;
    }

    /** The segment of committed epoch {@code epoch}, kept open; null if it has none. */
    private Segment segment(long epoch) throws IOException {
      Segment s = open.get(epoch);
      if (s == null) {
        EpochInfo info = index.epoch(epoch);
        s = info == null ? null : openCommitted(info);
        if (s != null) {
          open.put(epoch, s);
        }
      }
      return s;
    }

    /**
     * The newest version of each page or part of {@code item} at epoch {@code at} (the newest on
     * the line from the root to {@code at}; other branches' versions are skipped), from one pass
     * over the item's {@code versions} entries, checked against the entries each epoch of the
     * line lists for itself in {@code blocks}, another map: all the item's entries must come in
     * strictly ascending order, and those of the line must be, as a set, exactly those that the
     * epochs on the line list. MVStore checksums chunk headers, not page contents, so a flipped
     * key or value in a leaf reads as valid; it could make a lookup by key step over the newest
     * version to an older one, or move a version to another page or part. Checked this way it
     * is reported as damage of the index instead. Costs one sequential pass over the item's
     * entries in each map, and no lookups by key.
     */
    public StateVersions versionsAt(long item, long at) throws IOException {
      Set<Long> line = lineOf(at);
      StateVersions.Builder versions = new StateVersions.Builder();
      long[] previous = {Long.MIN_VALUE, Long.MIN_VALUE};
      index.forEachVersion(
          item,
          at,
          (i, x, e, seq) -> {
            if (x < previous[0] || (x == previous[0] && e <= previous[1])) {
              throw damagedVersions(item, "an entry of page or part " + x + " at epoch " + e + " is out of order");
            }
            previous[0] = x;
            previous[1] = e;
            if (line.contains(e) && !versions.add(x, e, seq)) {
              throw damagedVersions(item, "an entry of page or part " + x + " at epoch " + e + " is out of order");
            }
          });
      long[] listed = {0, 0};
      for (long e : line) {
        index.forEachStateOf(
            e,
            item,
            (i, x, epoch, seq) -> {
              listed[0]++;
              listed[1] += StateVersions.mix(x, epoch, seq);
            });
      }
      if (listed[0] != versions.entries) {
        throw damagedVersions(
            item, "the index holds " + versions.entries + " versions but its epochs list " + listed[0]);
      }
      if (listed[1] != versions.digest) {
        throw damagedVersions(item, "the index's versions differ from those its epochs list");
      }
      return versions.build();
    }

    private CorruptStoreException damagedVersions(long item, String detail) {
      return new CorruptStoreException(store.resolve("index.mv"), -1, -1, "item " + item + ": " + detail);
    }

    /**
     * The state records (item, page or part, epoch, sequence number) of the committed epochs on
     * the way between {@code a} and {@code b} (those after their common ancestor, on either
     * line), read from their segments: a page or part not among them is the same at both. The
     * segments are checksummed and the source of truth; the index's list of an epoch's state
     * records is not consulted, so that a damaged entry there cannot hide a page that a restore
     * must restore. Costs a scan of those segments, which a restore reads anyway.
     */
    public void forEachStateRecordBetween(long a, long b, EpochIndex.StateVisitor visitor)
        throws IOException {
      Set<Long> lineA = lineOf(a);
      Set<Long> lineB = lineOf(b);
      List<Long> way = new ArrayList<>();
      lineA.stream().filter(e -> !lineB.contains(e)).forEach(way::add);
      lineB.stream().filter(e -> !lineA.contains(e)).forEach(way::add);
      for (long e : way) {
        Segment s = segment(e);
        if (s == null) {
          continue;
        }
        Segment.Scan scan = s.scan();
        if (scan.tornTail() || scan.count() == 0 || scan.types()[scan.count() - 1] != UndoRecord.COMMIT) {
          throw s.corrupt(scan.validEnd(), "the committed epoch's segment does not end with its commit record");
        }
        long[] keys = scan.blockKeys();
        for (int i = 0; i < keys.length; i += 3) {
          if (keys[i] < 0) {
            visitor.visit(stateKey(keys[i]), keys[i + 1], e, keys[i + 2]);
          }
        }
      }
    }

    /** {@link #forEachStateRecordBetween} the current epoch and the restore target. */
    public void forEachStateRecordAfter(long target, EpochIndex.StateVisitor visitor) throws IOException {
      forEachStateRecordBetween(current, target, visitor);
    }

    @Override
    public void close() throws IOException {
      for (Segment s : open.values()) {
        s.close();
      }
      open.clear();
    }
  }

  /** A reader of committed state records; close it when done. */
  public StateReader stateReader() {
    return new StateReader();
  }

  /** Fails unless {@code target} is an epoch in the store, with sound lines to epoch 0. */
  public void checkRollbackTarget(long target) throws CheckpointException {
    if (target < 0) {
      throw new NoSuchEpochException(target, "epoch ids are never negative");
    }
    line(current);
    EpochInfo t = index.epoch(target);
    if (t != null && !t.visible()) {
      allEpochs(); // "pruned" only if a prune can have left it so: else the index is damaged
    }
    if (t == null || !t.visible()) {
      throw new NoSuchEpochException(
          target,
          (t == null ? "it is not in the store" : "it was pruned")
              + " (valid targets: the epochs listed by epochs())");
    }
    line(target);
  }

  /**
   * The way from the current epoch to {@code target}: the epochs to undo (from the current one
   * up to, not including, the common ancestor), then the epochs to redo (from the common
   * ancestor's child down to the target).
   */
  private record Way(List<Long> up, List<Long> down) {}

  private Way way(long target) throws CorruptStoreException {
    List<Long> targetLine = line(target);
    Set<Long> onTargetLine = new HashSet<>(targetLine);
    List<Long> up = new ArrayList<>();
    for (long e : line(current)) {
      if (onTargetLine.contains(e)) {
        List<Long> down = new ArrayList<>(targetLine.subList(0, targetLine.indexOf(e)));
        java.util.Collections.reverse(down);
        return new Way(up, down);
      }
      up.add(e);
    }
    throw new CorruptStoreException(
        store.resolve("index.mv"), -1, target, "epochs " + current + " and " + target + " share no ancestor");
  }

  /**
   * Checks that {@code target} is a valid target and reads every committed record a restore to
   * it would undo or redo: damage stops the restore before anything changes, and leaves no
   * intent behind for recovery to retry.
   */
  public void prepareRollback(long target) throws IOException {
    checkRollbackTarget(target);
    Way way = way(target);
    List<Long> passed = new ArrayList<>(way.up());
    passed.addAll(way.down());
    for (long id : passed) {
      checkSegment(index.epoch(id));
      // read whole: an undo appends to an epoch's redo file or relies on it, a redo applies it
      forEachRedoRecord(id, r -> {});
    }
  }

  private void checkSegment(EpochInfo e) throws IOException {
    try (Segment s = openCommitted(e)) {
      if (s == null) {
        return;
      }
      long[] offsets = recordOffsets(e.id());
      UndoRecord last = null;
      for (int seq = 0; seq < offsets.length; seq++) {
        try {
          last = s.read(offsets[seq], seq);
        } catch (CorruptStoreException damage) {
          throw blameIndexIfSegmentSound(s, offsets, damage);
        }
      }
      if (!(last instanceof Commit)) {
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
   * The segment of committed epoch {@code e}, checked against the index, or null if the epoch
   * changed nothing. The segment header is checksummed: where they disagree, the index is
   * damaged.
   */
  private Segment openCommitted(EpochInfo e) throws IOException {
    Path file = segmentFile(e.id());
    if (e.segmentNonce() == 0) {
      if (Files.exists(file)) {
        throw new CorruptStoreException(
            store.resolve("index.mv"), -1, e.id(), "the index says epoch " + e.id() + " has no segment, but it has");
      }
      return null;
    }
    Segment s = Segment.open(file);
    if (s.nonce != e.segmentNonce() || s.epoch != e.id() || s.blockSize != blockSize) {
      s.close();
      throw new CorruptStoreException(
          store.resolve("index.mv"),
          -1,
          e.id(),
          "the index names another incarnation (or block size) of segment " + file);
    }
    return s;
  }

  private long[] recordOffsets(long epoch) throws CorruptStoreException {
    try {
      return index.recordOffsets(epoch);
    } catch (IllegalStateException e) {
      throw new CorruptStoreException(store.resolve("index.mv"), -1, epoch, e.getMessage(), e);
    }
  }

  /**
   * A record the index points to is unreadable: if the segment itself reads back whole and
   * sound, the index's offsets are what is damaged.
   */
  private CorruptStoreException blameIndexIfSegmentSound(
      Segment s, long[] offsets, CorruptStoreException damage) throws IOException {
    Segment.Scan scan;
    try {
      scan = s.scan();
    } catch (CorruptStoreException segmentDamage) {
      return damage;
    }
    if (!scan.tornTail()
        && scan.count() > 0
        && scan.types()[scan.count() - 1] == UndoRecord.COMMIT
        && !java.util.Arrays.equals(scan.offsets(), offsets)) {
      return new CorruptStoreException(
          store.resolve("index.mv"),
          -1,
          s.epoch,
          "the index's record offsets do not match the sound segment " + s.file,
          damage);
    }
    return damage;
  }

  /**
   * Records the intent to restore {@code target} durably, then undoes the working epoch, undoes
   * the epochs from the current one up to the common ancestor with {@code target} (keeping
   * what each undo destroys as the epoch's redo) and redoes the epochs down to {@code target}.
   * Call {@link #prepareRollback} first.
   */
  public void rollback(long target, UndoTarget undo) throws IOException {
    checkRollbackTarget(target);
    Segment segment = working;
    if (segment != null && forcing()) {
      // the undo of the working epoch is resumed from its segment after a power loss: it must
      // be durable before the first step of the undo (PROCESS mode has not forced it yet)
      segment.force();
      forceDirectory(segments);
      Path trashDir = trash.resolve(Long.toString(next));
      if (Files.isDirectory(trashDir)) {
        forceDirectory(trashDir);
        forceDirectory(trash);
      }
    }
    index.putMeta(META_ROLLBACK_TARGET, target);
    index.commit(forcing());
    finishUndo(undo);
  }

  /**
   * Recovery on open: {@link #finishUndo}, then drops index entries that a crash left behind
   * for epochs the index does not list.
   */
  public void recover(UndoTarget undo) throws IOException {
    finishUndo(undo);
    index.removeOrphans();
    index.commit(false);
  }

  /**
   * Brings the trees to a committed epoch: undoes every uncommitted segment, then finishes an
   * interrupted restore if one was recorded. Called on open (recovery) and by {@link
   * #rollback}. Resumes exactly where an earlier, interrupted call stopped: the index's current
   * epoch moves one epoch at a time, and the undo progress says how far within it.
   */
  public void finishUndo(UndoTarget undo) throws IOException {
    long target = index.meta(META_ROLLBACK_TARGET, current);
    Segment segment = working;
    working = null;
    if (segment != null) {
      segment.close();
    }
    List<Path> uncommitted = uncommittedSegments();
    for (Path file : uncommitted) {
      if (Files.size(file) >= Segment.HEADER_SIZE) {
        checkUncommitted(file);
      }
    }
    for (Path file : uncommitted) {
      if (Files.size(file) < Segment.HEADER_SIZE) {
        // died while creating the segment: no record can have been appended
        Files.delete(file);
        continue;
      }
      try (Segment s = Segment.open(file)) {
        Segment.Scan scan = s.scan();
        undoSegment(s, scan.offsets(), undo, null);
        // what was restored must be durable before the records that restore it are gone
        undo.finish();
        deleteTrash(s.epoch);
      }
      Files.delete(file);
    }
    trashCounter.set(0);
    Way way = way(target);
    long total = 0;
    for (long id : way.up()) {
      total += index.epoch(id).bytes();
    }
    for (long id : way.down()) {
      total += index.epoch(id).bytes();
    }
    long done = 0;
    for (long id : way.up()) {
      EpochInfo epoch = index.epoch(id);
      try (Segment s = openCommitted(epoch)) {
        if (s != null) {
          try (RedoCapture capture = RedoCapture.open(this, epoch, s)) {
            undoSegment(s, recordOffsets(epoch.id()), undo, capture);
          }
        }
      }
      undo.finish();
      moveTo(epoch.parent());
      done += epoch.bytes();
      listener.advanced(done, total);
    }
    for (long id : way.down()) {
      EpochInfo epoch = index.epoch(id);
      redoEpoch(epoch, undo);
      undo.finish();
      moveTo(id);
      done += epoch.bytes();
      listener.advanced(done, total);
    }
    index.removeMeta(META_ROLLBACK_TARGET);
    index.commit(forcing());
    undo.finish();
    progress.settled();
  }

  /**
   * Makes {@code epoch} the current one durably, and then the undo progress neutral: a progress
   * left naming the segment just undone would make its next undo (after a redo) skip records.
   */
  private void moveTo(long epoch) throws IOException {
    index.putMeta(META_CURRENT, epoch);
    index.commit(forcing());
    current = epoch;
    progress.head(epoch);
    if (forcing()) {
      progress.force();
    }
  }

  /** The trash name under which the undo of a Created record of a committed epoch keeps it. */
  private static String keptName(long epoch, long seq) {
    return epoch + "/c" + seq;
  }

  /**
   * Where the undo of step {@code seq} (a {@link UndoRecord.Created} record) of committed epoch
   * {@code epoch} keeps what the step created, while the epoch is off the current line.
   */
  public Path keptPath(long epoch, long seq) {
    return trashPath(keptName(epoch, seq));
  }

  /**
   * Reads the redo file of committed epoch {@code epoch}, if it has one: what the state was at
   * the end of the epoch, saved when it was first undone. Returns false, visiting nothing, if
   * the epoch has never been undone (it is then on the current line).
   *
   * @throws CorruptStoreException if the redo file is damaged or incomplete, or missing for an
   *     epoch off the current line
   */
  public boolean forEachRedoRecord(long epoch, java.util.function.Consumer<UndoRecord> visitor)
      throws IOException {
    EpochInfo e = index.epoch(epoch);
    if (e == null) {
      throw new NoSuchEpochException(epoch, "it is not in the store");
    }
    if (e.segmentNonce() == 0 || (!Files.exists(redoFile(epoch)) && line(current).contains(epoch))) {
      return false;
    }
    try (Segment redo = openRedo(e)) {
      Segment.Scan scan = redo.scan();
      for (int i = 0; i < scan.count(); i++) {
        visitor.accept(redo.read(scan.offsets()[i], i));
      }
    }
    return true;
  }

  Path redoFile(long epoch) {
    return segments.resolve(String.format("%020d.redo", epoch));
  }

  /** A complete redo file of {@code e}, checked: its header names the epoch, it ends with a mark of step 0. */
  private Segment openRedo(EpochInfo e) throws IOException {
    Path file = redoFile(e.id());
    if (!Files.exists(file)) {
      throw new CorruptStoreException(
          file, -1, e.id(), "the redo file of epoch " + e.id() + ", which is not on the current line, is missing");
    }
    Segment redo = Segment.open(file);
    try {
      if (redo.epoch != e.id()) {
        throw redo.corrupt(0, "the redo file's header names epoch " + redo.epoch);
      }
      Segment.Scan scan = redo.scan();
      UndoRecord last = scan.count() == 0 ? null : redo.read(scan.offsets()[scan.count() - 1], scan.count() - 1);
      if (scan.tornTail() || !(last instanceof UndoRecord.RedoMark) || ((UndoRecord.RedoMark) last).step() != 0) {
        throw redo.corrupt(scan.validEnd(), "the redo file is incomplete");
      }
      return redo;
    } catch (IOException | RuntimeException ex) {
      redo.close();
      throw ex;
    }
  }

  /** Whether an undo of a record takes it and the records after it out of a capture batch. */
  private static boolean endsBatch(UndoRecord r) {
    return r instanceof UndoRecord.Created || r instanceof UndoRecord.Trashed || r instanceof UndoRecord.Moved;
  }

  /**
   * Redoes committed epoch {@code e} (its parent is the current epoch): each step of its
   * segment in order, a rename or deletion itself, then what its redo file holds for the step.
   */
  private void redoEpoch(EpochInfo e, UndoTarget undo) throws IOException {
    try (Segment s = openCommitted(e)) {
      if (s == null) {
        return;
      }
      try (Segment redo = openRedo(e)) {
        Segment.Scan scan = redo.scan();
        long[] offsets = recordOffsets(e.id());
        long done = progress.redone(redo.nonce);
        // claims the progress slot: whatever it said about an earlier undo no longer holds
        progress.redone(redo.nonce, done);
        if (forcing()) {
          progress.force();
        }
        // redo records are read backwards (they were written in undo order), each once: next
        // is the record at p, read and not yet used
        int p = scan.count() - 1;
        UndoRecord next = null;
        List<UndoRecord> deferred = new ArrayList<>();
        for (long step = 0; step < offsets.length; step++) {
          UndoRecord record = s.read(offsets[(int) step], step);
          boolean redoing = step >= done;
          for (; p >= 0; p--, next = null) {
            next = next != null ? next : redo.read(scan.offsets()[p], p);
            if (!(next instanceof UndoRecord.RedoMark)) {
              break;
            }
          }
          // a skip is the only redo record of its step
          boolean skip = next instanceof UndoRecord.RedoSkip && ((UndoRecord.RedoSkip) next).step() == step;
          if (redoing && !skip) {
            undo.redo(record, record instanceof UndoRecord.Created ? keptName(e.id(), step) : null);
          }
          for (; p >= 0; p--, next = null) {
            UndoRecord r = next != null ? next : redo.read(scan.offsets()[p], p);
            next = r;
            long at = stepOf(r);
            if (at < 0) {
              continue;
            }
            if (at < step) {
              throw redo.corrupt(scan.offsets()[p], "redo records out of order");
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
          if (redoing && endsBatch(record)) {
            if (durability == Durability.SYSTEM) {
              undo.finish();
              progress.redone(redo.nonce, step + 1);
              progress.force();
            } else {
              progress.redone(redo.nonce, step + 1);
            }
          }
        }
        if (p >= 0) {
          throw redo.corrupt(scan.offsets()[p], "redo records for steps the epoch does not have");
        }
      }
    }
  }

  /** The step a redo record belongs to, or -1 for a mark. */
  private static long stepOf(UndoRecord r) {
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

  /**
   * An uncommitted segment is the working epoch's, or one a rollback had finished undoing when
   * it stopped before deleting it. Any other is a committed epoch the index has lost (an
   * index read back at an older version, e.g. from a truncated file): undoing it would
   * silently drop committed work.
   */
  private void checkUncommitted(Path file) throws IOException {
    try (Segment s = Segment.open(file)) {
      if (!file.getFileName().toString().equals(segmentFile(s.epoch).getFileName().toString())) {
        throw s.corrupt(0, "the segment header names epoch " + s.epoch);
      }
      // next + 1: the working epoch while epoch next was being committed, as its header says
      // (and without a commit record of its own)
      boolean working =
          s.epoch == next
              || (s.epoch == next + 1
                  && (s.flags & Segment.AFTER_SEALED) != 0
                  && !endsInCommit(s));
      if (!working && !progress.names(s.nonce)) {
        throw new CorruptStoreException(
            store.resolve("index.mv"),
            -1,
            s.epoch,
            "the index does not list epoch "
                + s.epoch
                + " (next epoch "
                + next
                + ") although its segment exists and was not rolled back: the index has lost commits");
      }
    }
  }

  private static boolean endsInCommit(Segment s) throws IOException {
    Segment.Scan scan = s.scan();
    return scan.count() > 0 && scan.types()[scan.count() - 1] == UndoRecord.COMMIT;
  }

  /**
   * Undoes a segment's records newest first, resuming where the undo progress says an earlier
   * undo stopped. With a {@code capture} (a committed epoch, which may be redone later), what
   * each undo step destroys is first saved in the epoch's redo file, in batches: a batch's redo
   * records and a mark are written (and forced, unless durability is NONE) before any of its
   * steps is undone, so a crash never leaves an undone step without its redo.
   */
  private void undoSegment(Segment segment, long[] offsets, UndoTarget undo, RedoCapture capture)
      throws IOException {
    long resume = progress.resumeBefore(segment.nonce);
    List<UndoRecord> batch = new ArrayList<>();
    long batchEnd = Math.min(offsets.length, resume);
    for (long seq = batchEnd - 1; seq >= 0; seq--) {
      UndoRecord record = segment.read(offsets[(int) seq], seq);
      if (capture != null && capture.needs(seq)) {
        capture.add(undo, record, seq);
        batch.add(record);
        if (endsBatch(record) || capture.full() || seq == 0) {
          capture.flush(seq, endsBatch(record));
          undoBatch(segment, batchEnd, batch, undo);
          batch.clear();
          batchEnd = seq;
        }
      } else {
        undoStep(segment, record, seq, undo, capture != null);
        batchEnd = seq;
      }
    }
    if (capture != null) {
      capture.complete();
    }
    if (offsets.length == 0) {
      progress.undone(segment.nonce, 0);
    }
  }

  private void undoBatch(Segment segment, long end, List<UndoRecord> batch, UndoTarget undo)
      throws IOException {
    for (int i = 0; i < batch.size(); i++) {
      undoStep(segment, batch.get(i), end - 1 - i, undo, true);
    }
  }

  /** One undo step; {@code keep}: a committed epoch's, whose creations go to the trash. */
  private void undoStep(Segment segment, UndoRecord record, long seq, UndoTarget undo, boolean keep)
      throws IOException {
    undo.undo(
        record, keep && record instanceof UndoRecord.Created ? keptName(segment.epoch, seq) : null);
    if (durability != Durability.SYSTEM) {
      progress.undone(segment.nonce, seq);
    } else if (!(record instanceof UndoRecord.Block || record instanceof UndoRecord.Touch)) {
      // a rename or delete cannot be repeated blindly: make it and everything before it
      // durable, then the progress that says so; block and attribute restores are
      // idempotent and are simply repeated after a power loss
      undo.finish();
      progress.undone(segment.nonce, seq);
      progress.force();
    }
  }

  private List<Path> uncommittedSegments() throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(segments, "*.seg")) {
      for (Path file : stream) {
        String name = file.getFileName().toString();
        long epoch;
        try {
          epoch = Long.parseLong(name.substring(0, name.length() - 4));
        } catch (NumberFormatException e) {
          continue;
        }
        if (index.epoch(epoch) == null) {
          found.add(file);
        }
      }
    }
    found.sort(Comparator.reverseOrder());
    return found;
  }

  void deleteTrash(long epoch) throws IOException {
    Path dir = trash.resolve(Long.toString(epoch));
    if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  Path segmentFile(long epoch) {
    return segments.resolve(String.format("%020d.seg", epoch));
  }

  /**
   * Reads the whole store like a scrub and returns every damage found: unreadable segment
   * headers, records that fail their checksum or cannot be decoded, records the index expects
   * but the segment lacks, missing segments. Changes nothing. Empty when the store is sound.
   */
  public List<CorruptStoreException> verify() throws IOException {
    List<CorruptStoreException> damage = new ArrayList<>();
    List<EpochInfo> all;
    try {
      all = allEpochs();
    } catch (CorruptStoreException marks) {
      damage.add(marks);
      all = index.epochs();
      all.sort(Comparator.comparingLong(EpochInfo::id));
    }
    long total = 0;
    for (EpochInfo epoch : all) {
      total += epoch.bytes();
    }
    long done = 0;
    for (EpochInfo epoch : all) {
      done += epoch.bytes();
      if (epoch.segmentNonce() == 0) {
        continue;
      }
      Path file = segmentFile(epoch.id());
      if (!Files.exists(file)) {
        damage.add(new CorruptStoreException(file, -1, epoch.id(), "the segment is missing"));
        continue;
      }
      long[] offsets;
      try {
        offsets = index.recordOffsets(epoch.id());
      } catch (IllegalStateException e) {
        damage.add(new CorruptStoreException(store.resolve("index.mv"), -1, epoch.id(), e.getMessage()));
        continue;
      }
      try (Segment s = Segment.open(file)) {
        if (s.nonce != epoch.segmentNonce() || s.epoch != epoch.id()) {
          damage.add(s.corrupt(0, "the segment header names another epoch or incarnation"));
        }
        for (int seq = 0; seq < offsets.length; seq++) {
          try {
            UndoRecord record = s.read(offsets[seq], seq);
            if (seq == offsets.length - 1 && !(record instanceof Commit)) {
              damage.add(s.corrupt(offsets[seq], "the epoch's last record is not its commit record"));
            }
          } catch (CorruptStoreException e) {
            damage.add(e);
          }
        }
      } catch (CorruptStoreException e) {
        damage.add(e);
      }
      listener.advanced(done, total);
    }
    listener.advanced(total, total);
    for (EpochInfo epoch : all) {
      if (Files.exists(redoFile(epoch.id()))) {
        try (Segment redo = openRedo(epoch)) {
          Segment.Scan scan = redo.scan();
          for (int i = 0; i < scan.count(); i++) {
            try {
              redo.read(scan.offsets()[i], i);
            } catch (CorruptStoreException e) {
              damage.add(e);
            }
          }
        } catch (CorruptStoreException e) {
          damage.add(e);
        }
      }
    }
    for (Path file : uncommittedSegments()) {
      if (Files.size(file) < Segment.HEADER_SIZE) {
        continue;
      }
      try (Segment s = Segment.open(file)) {
        s.scan();
      } catch (CorruptStoreException e) {
        damage.add(e);
      }
    }
    return damage;
  }

  EpochIndex index() {
    return index;
  }

  /**
   * Removes the epochs of the store that {@code keep} does not name, and reclaims what no
   * restore between the remaining ones needs; see {@link Pruner}.
   *
   * @return the ids of the epochs no longer listed
   */
  public List<Long> prune(Set<Long> keep) throws IOException {
    List<Long> removed = new Pruner(this).prune(keep);
    compactIndex();
    return removed;
  }

  /**
   * Rewrites the index into {@code index.mv.new}, forced, and renames it over {@code index.mv}
   * (then forces the directory): a crash leaves either file whole, and a leftover copy is
   * deleted on open.
   */
  private void compactIndex() throws IOException {
    if (!(index instanceof MvStoreIndex)) {
      return;
    }
    Path file = store.resolve("index.mv");
    Path copy = store.resolve("index.mv.new");
    ((MvStoreIndex) index).copyTo(copy);
    index.close();
    Files.move(copy, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    forceDirectory(store);
    index = new MvStoreIndex(file);
  }

  /** Forces a directory's entries to storage, where the platform allows it. */
  public static void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name").startsWith("Windows")) {
        throw e;
      }
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Closeable c : new Closeable[] {working, progress, index, lockChannel}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    working = null;
    if (failure != null) {
      throw failure;
    }
  }

  private static void closeQuietly(Closeable c, Throwable primary) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        primary.addSuppressed(e);
      }
    }
  }
}
