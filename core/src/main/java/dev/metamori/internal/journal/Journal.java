package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import dev.metamori.NoSuchEpochException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoch journal of one store directory (its files: {@link StoreFiles}): appends undo
 * records to the working epoch, seals and commits it, and hands restores, reads, scrubs and
 * prunes to the classes that do them.
 *
 * <p>The working epoch (the changes since {@link #currentEpoch()}) has id {@link
 * #workingEpoch()}; its segment is created on its first record. An epoch is committed when the
 * index says so; segments of uncommitted epochs are undone and deleted by {@link #recover} and
 * by {@link #rollback}. Not thread-safe except {@link #append} and {@link #newTrashEntry}; the
 * caller serialises the rest.
 */
public final class Journal implements Closeable {
  private final JournalStore store;
  private final FileChannel lockChannel;
  private final EpochGraph graph;
  private final CommittedSegments segments;
  private final RedoFile redoFile;
  private final StateCatalogue catalogue;
  private final Restorer restorer;
  private final JournalFaults faults;
  private final AtomicLong trashCounter = new AtomicLong();
  private volatile java.util.function.Consumer<UndoRecord> appended = r -> {};
  /** The trash entries the working epoch makes, checksummed when it is committed. */
  private volatile TrashDigests.Made trashMade = new TrashDigests.Made();
  private volatile Segment working;
  /** Whether an epoch is sealed and not yet committed: segments created now say so. */
  private volatile boolean sealedPending;
  private volatile ProgressListener listener = ProgressListener.NONE;

  Journal(JournalStore store, FileChannel lockChannel) {
    this.store = store;
    this.lockChannel = lockChannel;
    this.graph = new EpochGraph(store);
    this.segments = new CommittedSegments(store);
    this.redoFile = new RedoFile(store, graph);
    this.catalogue = new StateCatalogue(store, graph, segments);
    this.restorer = new Restorer(store, graph, segments, redoFile);
    this.faults = new JournalFaults(store);
  }

  /**
   * Opens or creates the journal in {@code store} and locks it (see {@link JournalOpener}). Does
   * not recover: call {@link #recover} before anything else.
   *
   * @param requestedBlockSize 0 for the store's block size (4 KiB for a new store)
   */
  public static Journal open(Path store, int requestedBlockSize, Durability durability, long nowMillis)
      throws IOException {
    return JournalOpener.open(store, requestedBlockSize, durability, nowMillis);
  }

  /**
   * Reports the progress of the scrubs ({@link #verify()}) and of the restores ({@link
   * #rollback}, {@link #recover}) that follow, until another listener is set.
   */
  public void reportProgressTo(ProgressListener listener) {
    this.listener = listener == null ? ProgressListener.NONE : listener;
  }

  // ------------------------------------------------------------------ the tree and its epochs

  /** Whether commits, rollbacks and recovery force what they write. */
  public boolean forcing() {
    return store.forcing();
  }

  public Path store() {
    return store.files.store;
  }

  public int blockSize() {
    return store.blockSize;
  }

  /** The epoch the trees were last committed or rolled back to. */
  public long currentEpoch() {
    return store.current;
  }

  /** The id the working epoch will get when committed. */
  public long workingEpoch() {
    return store.next;
  }

  /** Committed epochs that are listed (not pruned), oldest first, on every branch. */
  public List<EpochInfo> epochs() throws CorruptStoreException {
    return graph.listed();
  }

  /** The committed, listed (not pruned) epoch {@code id}, or null. */
  public EpochInfo epoch(long id) throws CorruptStoreException {
    return graph.listed(id);
  }

  /** The epochs from {@code id} up to the root of the tree, {@code id} first, checked. */
  public List<Long> line(long id) throws CorruptStoreException {
    return graph.line(id);
  }

  /** See {@link CommittedSegments#forEachRecord}. */
  public void forEachRecord(long epoch, RecordVisitor visitor) throws IOException {
    segments.forEachRecord(epoch, visitor);
  }

  /** See {@link CommittedSegments#forEachWorkingRecord}. */
  public void forEachWorkingRecord(RecordVisitor visitor) throws IOException {
    segments.forEachWorkingRecord(visitor);
  }

  /** See {@link RedoFile#forEachRecord}. */
  public boolean forEachRedoRecord(long epoch, java.util.function.Consumer<UndoRecord> visitor)
      throws IOException {
    return redoFile.forEachRecord(epoch, visitor);
  }

  /** The step a record of a redo file belongs to, or -1 for a mark (see {@link RedoFile#stepOf}). */
  public static long redoStep(UndoRecord r) {
    return RedoFile.stepOf(r);
  }

  // ------------------------------------------------------------------ state catalogue

  /** Key standing for volatile item {@code item} where file ids go (and back): negative. */
  public static long stateKey(long item) {
    return -1 - item;
  }

  /** Every region's and object's name at epoch {@code at}, with the entry of its newest naming. */
  public Map<String, NameEntry> names(long at) throws CorruptStoreException {
    return catalogue.names(at);
  }

  /** The volatile item called {@code name} at the current epoch; null if none. */
  public NameEntry name(String name) throws IOException {
    return catalogue.name(name, store.current);
  }

  /** See {@link StateCatalogue#name(String, long)}. */
  public NameEntry name(String name, long at) throws IOException {
    return catalogue.name(name, at);
  }

  /** A fresh id for a volatile item (region or object), fixed by the next commit. */
  public long newItem() throws CorruptStoreException {
    return catalogue.newItem();
  }

  /** A reader of committed state records; close it when done. */
  public StateReader stateReader() {
    return catalogue.reader();
  }

  /** The tracked roots the store was last opened with (real path strings). */
  public List<String> roots() throws CorruptStoreException {
    return catalogue.roots();
  }

  /** Records the tracked roots, so that the store can be reopened without naming them. */
  public void recordRoots(List<String> roots) throws IOException {
    catalogue.recordRoots(roots);
  }

  // ------------------------------------------------------------------ the working epoch

  /**
   * Appends an undo record to the working epoch's segment. When this returns the record is in
   * the file, so it survives the death of this process; with {@link Durability#SYSTEM} it is
   * also forced to stable storage.
   */
  public void append(UndoRecord record) throws IOException {
    appendBlock(record, 0, null);
  }

  /**
   * As {@link #append}; with a {@code source}, {@code record} is a {@link UndoRecord.Block}
   * whose data is ignored: its {@code length} bytes are read from the source into the frame.
   */
  public void appendBlock(UndoRecord record, int length, BlockSource source) throws IOException {
    faults.checkAppend();
    appended.accept(record);
    try {
      Segment segment = working != null ? working : openWorking();
      long end = source == null ? segment.append(record) : segment.appendBlock((UndoRecord.Block) record, length, source, !store.system());
      if (record instanceof UndoRecord.Trashed t) {
        trashMade.trashed(t);
      }
      if (store.system()) {
        segment.forceThrough(end);
      }
    } catch (IOException e) {
      throw faults.appendFailed(record, e);
    }
  }

  /** Calls {@code watcher} with every record of the working epoch, before it is appended. */
  public void watchAppends(java.util.function.Consumer<UndoRecord> watcher) {
    appended = watcher;
  }

  /**
   * Refuses a change of a tracked file while the journal is stopped or a restore is unfinished
   * (see {@link JournalFaults}).
   */
  public void checkChanges() throws IOException {
    faults.checkAppend();
  }

  /**
   * The error that stopped the journal (see {@link JournalFaults}), or null: the checkpointer
   * stops with it.
   */
  public IOException stoppedBy() {
    return faults.stoppedBy();
  }

  private synchronized Segment openWorking() throws IOException {
    if (working == null) {
      working = store.createSegment(store.next, sealedPending ? Segment.AFTER_SEALED : 0);
    }
    return working;
  }

  /**
   * A fresh path in the working epoch's trash, and the name a {@link UndoRecord.Trashed}
   * record stores for it.
   */
  public String newTrashEntry() throws IOException {
    faults.checkAppend();
    long next = store.next;
    Path dir = store.files.trashOf(next);
    if (!Files.isDirectory(dir)) {
      try {
        OwnerOnly.createDirectory(dir);
        if (store.system()) {
          StoreFiles.forceDirectory(store.files.trash);
        }
      } catch (IOException e) {
        throw faults.trashFailed(null, e);
      }
    }
    return next + "/" + trashCounter.incrementAndGet();
  }

  /**
   * What to throw when {@code path} could not be renamed or linked into the trash entry the
   * journal has a record of (the change is not made; the record's undo finds no entry and does
   * nothing).
   */
  public IOException trashFailed(Path path, IOException e) {
    return faults.trashFailed(path.toString(), e);
  }

  /**
   * Says that a channel or mapping open on the trash entry {@code name} of the working epoch (or
   * on a file under it) could still write to it after it was trashed: it is committed without
   * a checksum, since such writes (journaled, and undone before the entry is used) would change
   * it legitimately.
   */
  public void trashedWhileOpen(String name) {
    trashMade.open(name);
  }

  /** The store's trash directory: trash entries and kept creations are paths under it. */
  public Path trashDirectory() {
    return store.files.trash;
  }

  /** Whether {@code path} lies in the trash of an epoch a prune dropped ({@link JournalStore#trashDropped}). */
  public boolean inDroppedTrash(Path path) throws CorruptStoreException {
    return store.trashDropped(path);
  }

  /** The path of a trash entry named by {@link #newTrashEntry()}. */
  public Path trashPath(String name) {
    return store.files.trashPath(name);
  }

  /**
   * Where the undo of step {@code seq} (a {@link UndoRecord.Created} record) of committed epoch
   * {@code epoch} keeps what the step created, while the epoch is off the current line.
   */
  public Path keptPath(long epoch, long seq) {
    return store.files.trashPath(StoreFiles.keptName(epoch, seq));
  }

  // ------------------------------------------------------------------ sealing and committing

  /** An epoch sealed by {@link #seal()}, on its way to being committed. */
  public static final class Sealed {
    private final long id;
    private final long parent;
    /** Null while the epoch has no record. */
    Segment segment;
    /** The records of the segment when sealed, and where they end: a retry cuts it back there. */
    private int records;
    private long end;
    private boolean tried;
    private final TrashDigests.Made trash;
    /**
     * How many directories of {@link #forcesBeforeCommit} are not forced yet; -1 if it gave none
     * (the commit forces them itself).
     */
    private final java.util.concurrent.atomic.AtomicInteger directoriesUnforced =
        new java.util.concurrent.atomic.AtomicInteger(-1);

    private Sealed(long id, long parent, Segment segment, TrashDigests.Made trash) {
      this.id = id;
      this.parent = parent;
      this.segment = segment;
      this.records = segment == null ? 0 : (int) segment.nextSeq();
      this.end = segment == null ? Segment.HEADER_SIZE : segment.size();
      this.trash = trash;
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
    Sealed sealed = new Sealed(store.next, store.current, working, trashMade);
    trashMade = new TrashDigests.Made();
    faults.sealed(sealed);
    working = null;
    store.next++;
    trashCounter.set(0);
    return sealed;
  }

  /** Seals the working epoch and commits it, with no state records. */
  public EpochInfo commit(long nowMillis) throws IOException {
    return commit(seal(), nowMillis, null, null);
  }

  /**
   * Commits a sealed epoch (see {@link EpochCommit}). Records may be appended to the new
   * working epoch meanwhile.
   */
  public EpochInfo commit(Sealed sealed, long nowMillis, StateWriter state, String label)
      throws IOException {
    EpochInfo epoch = sealed.tried ? store.index().epoch(sealed.id) : null;
    if (epoch == null) {
      if (sealed.segment != null) { // the zeros grown ahead, and what a failed try appended, go
        sealed.segment.rewind(sealed.records, sealed.end);
      }
      sealed.tried = true;
      EpochCommit commit = new EpochCommit(store, catalogue);
      try {
        epoch =
            commit.commit(
                sealed.id, sealed.parent, sealed.segment, sealed.trash, sealed.directoriesUnforced.get() == 0, nowMillis,
                state, label);
      } catch (IOException | RuntimeException e) {
        if (sealed.segment == null) {
          sealed.segment = commit.created(); // its header stays, the records go on a retry
        }
        faults.commitFailed(e);
        throw e;
      }
    } else {
      // the index took the failed try's commit after all: it stands
      store.current = sealed.id;
      if (sealed.segment != null) {
        sealed.segment.close();
      }
    }
    sealedPending = false;
    faults.committed();
    IndexCompaction.compactIfGrown(store);
    return epoch;
  }

  /**
   * What the commit of {@code sealed} must make durable before its commit record and can
   * before it begins, as forces to run beside those of its files (none if commits do not
   * force): the records the sealed epoch has so far (without the zeros grown ahead of them,
   * which are cut off first), and the directories that hold the entries of its segment and its
   * trash (nothing is added to either once the epoch is sealed), and the checksums of its
   * trash entries, their data forced ({@link TrashDigests.Made#ahead}). Its commit then forces
   * only what follows them. An epoch without a segment yet gets none: the commit forces the
   * directory of a segment it creates for state records itself.
   */
  public List<ParallelForce.Force> forcesBeforeCommit(Sealed sealed) {
    Segment segment = sealed.segment;
    if (!store.forcing() || segment == null) {
      return List.of();
    }
    List<Path> directories = store.files.segmentsAndTrashOf(sealed.id);
    sealed.directoriesUnforced.set(directories.size());
    List<ParallelForce.Force> forces = new java.util.ArrayList<>();
    forces.add(
        () -> {
          segment.rewind(sealed.records, sealed.end); // the zeros grown ahead go
          segment.force();
        });
    for (Path dir : directories) {
      forces.add(
          () -> {
            StoreFiles.forceDirectory(dir);
            sealed.directoriesUnforced.decrementAndGet();
          });
    }
    forces.addAll(sealed.trash.ahead(store.files, true));
    return forces;
  }

  // ------------------------------------------------------------------ restores

  /**
   * Checks that {@code target} is a valid target and reads every committed record a restore to
   * it would undo or redo: damage stops the restore before anything changes. Returns the route
   * to hand to {@link #rollback(Route, UndoTarget)}.
   */
  public Route prepareRollback(long target) throws IOException {
    return restorer.prepare(target);
  }

  /**
   * Restores the target of a route from {@link #prepareRollback}: records the intent durably,
   * undoes the working epoch, undoes the epochs up to the common ancestor with the target
   * (keeping what each undo destroys as the epoch's redo) and redoes those down to it.
   */
  public void rollback(Route route, UndoTarget undo) throws IOException {
    Segment working = takeWorking();
    try {
      restorer.restore(route, working, undo, listener);
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(working, e);
      faults.restoreFailed(route.target(), undo, e);
      throw e;
    }
    faults.restored();
    trashCounter.set(0);
    trashMade = new TrashDigests.Made();
    IndexCompaction.compactIfGrown(store);
  }

  /**
   * The target of a restore that stopped part way for lack of space (see {@link
   * JournalFaults}), or -1: {@link #resumeRollback} finishes it.
   */
  public long unfinishedRestore() {
    return faults.restoreTarget();
  }

  /** Finishes the restore that stopped part way, if any, as {@link #recover} would. */
  public void resumeRollback(UndoTarget undo) throws IOException {
    long target = faults.restoreTarget();
    if (target >= 0) {
      rollback(graph.route(store.current, target), undo);
    }
  }

  /**
   * Recovery on open: undoes what is not committed, finishes an interrupted restore, and drops
   * index entries a crash left behind for epochs the index does not list.
   */
  public void recover(UndoTarget undo) throws IOException {
    restorer.recover(takeWorking(), undo, listener);
    trashCounter.set(0);
    trashMade = new TrashDigests.Made();
  }

  private Segment takeWorking() {
    Segment segment = working;
    working = null;
    return segment;
  }

  // ------------------------------------------------------------------ scrubs and prunes

  /** Reads the whole store like a scrub; see {@link Scrubber}. Empty when the store is sound. */
  public List<CorruptStoreException> verify() throws IOException {
    return new Scrubber(store, graph, segments, redoFile).scrub(listener);
  }

  /**
   * Removes the epochs of the store that {@code keep} does not name, and reclaims what no
   * restore between the remaining ones needs; see {@link Pruner}.
   *
   * @return the ids of the epochs no longer listed
   */
  public List<Long> prune(Set<Long> keep) throws IOException {
    return new Pruner(store, graph).prune(keep);
  }

  /** Forces a directory's entries to storage, where the platform allows it. */
  public static void forceDirectory(Path dir) throws IOException {
    StoreFiles.forceDirectory(dir);
  }

  @Override
  public void close() throws IOException {
    Closeable[] all = {faults::close, working, store.progress, store.index(), store.catalogue, lockChannel};
    working = null;
    JournalStore.closeAll(all);
  }
}
