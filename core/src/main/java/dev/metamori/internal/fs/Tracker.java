package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.ParallelForce;
import dev.metamori.internal.journal.Route;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Lock;

/**
 * The journaling of the tracked trees at epoch boundaries: recovers them, ends the working
 * epoch (capture, commit), undoes epochs (rollback), prunes and scrubs the journal, and closes.
 * It assembles the parts that the file system hands its calls to.
 *
 * <p>Every mutating call is routed once ({@link PathZones#route}): under a tracked root it is
 * journaled, inside the store it is refused, elsewhere it passes through. For a journaled call
 * the undo record reaches the journal file before the underlying file system acts. Data is
 * written through a {@link MetamoriFileChannel} from the {@link ChannelFactory}, names change
 * through {@link NamespaceOps}, attributes through {@link AttributeOps}; each saves what it
 * overwrites through the one {@link BeforeImages}.
 *
 * <p>Locking ({@link EpochGate}): data writes, creations and attribute changes hold the epoch
 * lock shared; deletes, moves, copies, commit and rollback hold it exclusively. So every change
 * belongs wholly to one epoch, and the path a record names is where the file is when it is
 * undone.
 */
public final class Tracker {
  private final FileSystem delegate;
  private final FileSystemProvider provider;
  private final Journal journal;
  private final boolean posix;
  private final EpochGate gate = new EpochGate();
  private final PathZones zones;
  private final FileRegistry files;
  private final BeforeImages beforeImages;
  private final ChannelFactory channels;
  private final NamespaceOps namespace;
  private final AttributeOps attributes;
  private final DriftWatch drift;
  private final Path store;
  private final Exclusions exclusions;
  private AdoptedPaths adopted;

  /** The paths under the roots that are not tracked. */
  public Exclusions exclusions() {
    return exclusions;
  }

  public Tracker(FileSystem delegate, Journal journal, List<Path> realRoots, Path realStore, Exclusions exclusions) {
    this.delegate = delegate;
    this.provider = delegate.provider();
    this.journal = journal;
    this.posix = delegate.supportedFileAttributeViews().contains("posix");
    this.exclusions = exclusions;
    exclusions.roots(realRoots);
    this.zones = new PathZones(provider, gate, realRoots, realStore, exclusions);
    this.files = new FileRegistry(provider, zones);
    this.beforeImages = new BeforeImages(provider, journal, zones, files, posix);
    this.channels = new ChannelFactory(provider, journal, gate, zones, files, beforeImages);
    this.namespace = new NamespaceOps(delegate, journal, gate, zones, files, beforeImages);
    this.attributes = new AttributeOps(provider, delegate.supportedFileAttributeViews(), gate, zones, files, beforeImages);
    this.drift = new DriftWatch(delegate, realRoots, realStore, journal.trashDirectory(), exclusions);
    this.store = realStore;
    journal.watchAppends(drift::appended);
  }

  /** The file system the tracked trees and the store live on. */
  public FileSystem delegate() {
    return delegate;
  }

  PathZones zones() {
    return zones;
  }

  ChannelFactory channels() {
    return channels;
  }

  EpochGate gate() {
    return gate;
  }

  FileRegistry files() {
    return files;
  }

  BeforeImages beforeImages() {
    return beforeImages;
  }

  NamespaceOps namespace() {
    return namespace;
  }

  AttributeOps attributes() {
    return attributes;
  }

  boolean isOpen() {
    return gate.isOpen();
  }

  // ---------------------------------------------------------------- lifecycle

  /** Recovers the trees to the last committed epoch (or finishes an interrupted rollback). */
  public void recover() throws IOException {
    Lock lock = exclusive();
    try {
      adopted = AdoptedPaths.load(store);
      drift.load();
      DirtyPaths recovered = new DirtyPaths();
      journal.recover(
          new NotingUndoTarget(
              new UndoApplier(delegate, journal, posix, journal.forcing(), true, recovered), recovered, drift));
      drift.open(journal.currentEpoch(), recovered);
      newGeneration();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A sealed epoch on its way to being committed (see {@link #capture}); namespace operations,
   * rollbacks and the next capture wait until it is.
   */
  public static final class Capture {
    private final Journal.Sealed sealed;
    private final List<TrackedFile> touched;
    private final DirtyPaths changed;
    private final CountDownLatch done = new CountDownLatch(1);
    /** Whether the touched files were forced: a retry of a failed commit does not force them again. */
    private boolean forced;

    private Capture(Journal.Sealed sealed, List<TrackedFile> touched, DirtyPaths changed) {
      this.sealed = sealed;
      this.touched = touched;
      this.changed = changed;
    }

    /** The id the epoch gets when committed. */
    public long id() {
      return sealed.id();
    }
  }

  /** The write lock, once no epoch is being committed: exclusive operations wait for it. */
  private Lock exclusive() {
    return gate.exclusive();
  }

  /** Seals the working epoch and commits it. */
  public EpochInfo commit(long nowMillis) throws IOException {
    return commit(capture(null), nowMillis, null, null);
  }

  /**
   * Ends the working epoch at one instant: runs {@code atInstant} (which captures the
   * volatile state; if it throws, nothing is sealed) and seals the epoch, while no write, create
   * or namespace operation runs. Follow with {@link #commit(Capture, long, Journal.StateWriter, String)}.
   */
  public Capture capture(IoRunnable atInstant) throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      if (atInstant != null) {
        atInstant.run();
      }
      List<TrackedFile> touched = new java.util.ArrayList<>();
      for (TrackedFile f : files.values()) {
        if (f.touchedIn(files.generation()) && journal.forcing()) {
          f.forceMappings();
          touched.add(f);
        }
      }
      Capture capture = new Capture(journal.seal(), touched, drift.seal());
      gate.committing(capture.done);
      newGeneration();
      // the writes of a writable mapping cannot be seen: its range is saved again
      for (TrackedFile f : files.values()) {
        List<TrackedFile.MappedRange> live = f.liveMappings();
        if (live.isEmpty() || zones.zoneOf(f.path) != PathZones.Zone.TRACKED) {
          continue;
        }
        BasicFileAttributes a = Trees.attributesOrNull(provider, f.path);
        if (a == null || !a.isRegularFile()) {
          continue; // deleted while mapped: its writes no longer reach the tree
        }
        for (TrackedFile.MappedRange m : live) {
          beforeImages.beforeWrite(f, null, false, m.position(), m.size());
        }
      }
      return capture;
    } finally {
      lock.unlock();
    }
  }

  /** Something to run that may fail with an I/O error. */
  public interface IoRunnable {
    void run() throws IOException;
  }

  /**
   * Forces what the captured epoch changed, writes its state records and commits it. Writes and
   * creates of the new working epoch may run meanwhile.
   */
  public EpochInfo commit(
      Capture capture, long nowMillis, Journal.StateWriter state, String label) throws IOException {
    try {
      if (!capture.forced) {
        // the epoch's undo records and the directories of its segment and trash beside its
        // files: the commit record's force is then small
        List<ParallelForce.Force> forces = new java.util.ArrayList<>();
        forces.addAll(journal.forcesBeforeCommit(capture.sealed));
        for (TrackedFile f : capture.touched) {
          forces.add(() -> force(f));
        }
        ParallelForce.runAll(forces);
        capture.forced = true;
      }
      drift.committed(capture.id(), capture.changed);
      return journal.commit(capture.sealed, nowMillis, state, label);
    } catch (IOException | RuntimeException | Error e) {
      drift.unseal(capture.changed);
      throw e;
    } finally {
      capture.done.countDown();
    }
  }

  /**
   * Closes the journaling channels, then moves the trees along {@code route} ({@link
   * Journal#prepareRollback}). The entries of {@code overwritten} (outside changes the caller
   * restores over) and the adopted ones are restored as nearly as the journal allows where they
   * are missing or short; they are witnessed as the restore leaves them.
   */
  public void rollback(Route route, List<dev.metamori.OutsideChange> overwritten) throws IOException {
    rollback(route.target(), overwritten, undo -> journal.rollback(route, undo));
  }

  /**
   * Finishes a restore that stopped part way for lack of space ({@link
   * Journal#resumeRollback}); does nothing if there is none.
   */
  public void resumeRollback() throws IOException {
    long target = journal.unfinishedRestore();
    if (target >= 0) {
      rollback(target, List.of(), journal::resumeRollback);
    }
  }

  /** A move of the trees, given the target to apply records to. */
  private interface Move {
    void run(dev.metamori.internal.journal.UndoTarget undo) throws IOException;
  }

  private void rollback(long target, List<dev.metamori.OutsideChange> overwritten, Move move)
      throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      closeChannels(false);
      drift.restoring(target);
      DirtyPaths restored = new DirtyPaths();
      DirtyPaths tolerated = new DirtyPaths();
      tolerated.addAll(adopted.paths());
      for (dev.metamori.OutsideChange c : overwritten) {
        tolerated.addTree(c.path().toString());
        restored.addTree(c.path().toString());
      }
      try {
        move.run(
            new NotingUndoTarget(
                new UndoApplier(delegate, journal, posix, journal.forcing(), false, tolerated), restored, drift));
      } catch (IOException | RuntimeException | Error e) {
        drift.unfinished(restored); // what it changed is witnessed when the restore is finished
        throw e;
      }
      drift.restored(journal.currentEpoch(), restored);
    } finally {
      // also after a failure: a file's next change must be journaled again from its start
      // (a restore that stopped part way refuses it until it is finished)
      files.values().forEach(TrackedFile::dropMappings);
      files.clear();
      newGeneration();
      lock.unlock();
    }
  }

  /**
   * Prunes the journal (see {@link Journal#prune}); commits and rollbacks wait, writes go on:
   * a prune never touches the working epoch or the files.
   */
  public List<Long> prune(java.util.Set<Long> keep) throws IOException {
    Lock lock = gate.shared();
    try {
      checkOpen();
      return journal.prune(keep);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Every change made to the tracked trees behind the checkpointer's back (see {@link
   * DriftWatch}); writes wait while the trees are read.
   */
  public List<dev.metamori.OutsideChange> outsideChanges() throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      return drift.changes();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Adopts {@code changes} into the working epoch, which will be {@code epoch} when committed:
   * a created entry is journaled as created (a restore removes it, a redo brings it back); the
   * others, whose earlier state is lost, are recorded as adopted. All are witnessed at the commit.
   */
  public void adopt(List<dev.metamori.OutsideChange> changes, long epoch) throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      List<String> lost = new java.util.ArrayList<>();
      for (dev.metamori.OutsideChange c : changes) {
        String path = c.path().toString();
        if (c.kind() == dev.metamori.OutsideChange.Kind.CREATED) {
          journal.append(new dev.metamori.internal.journal.UndoRecord.Created(path));
        } else {
          lost.add(path);
          drift.adopted(path);
        }
      }
      if (!lost.isEmpty()) {
        adopted.add(epoch, lost);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Runs {@code work} while no write, create or namespace operation of another thread runs (the
   * calling thread's own go through): an export reads a consistent state, a receive writes one.
   */
  public void whileQuiet(IoRunnable work) throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      work.run();
    } finally {
      lock.unlock();
    }
  }

  /** Scrubs the journal; commits and rollbacks wait, writes go on. */
  public List<dev.metamori.CorruptStoreException> verify() throws IOException {
    Lock lock = gate.shared();
    try {
      checkOpen();
      return journal.verify();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Closes every channel; later calls fail with {@link java.nio.file.ClosedFileSystemException}.
   * Called once, by the file system as its checkpointer closes it.
   */
  void close() throws IOException {
    Lock lock = exclusive();
    try {
      // while still open: a DELETE_ON_CLOSE channel deletes through the journal (undone on the
      // next open, like all uncommitted work)
      closeChannels(true);
    } finally {
      gate.close();
      files.clear();
      lock.unlock();
    }
  }

  /** Closes the journaling channels, and with {@code all} the unwrapped ones too. */
  private void closeChannels(boolean all) throws IOException {
    channels.closeAll(all);
  }

  private void newGeneration() {
    files.newGeneration();
  }

  private void force(TrackedFile f) throws IOException {
    Path path = f.path;
    if (zones.zoneOf(path) != PathZones.Zone.TRACKED) {
      return;
    }
    try {
      // by what is there now: the entry may have been replaced by another kind (and an inode
      // number reused). A symbolic link has no data of its own (and may dangle or loop): its
      // directory is forced.
      BasicFileAttributes a = provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      if (a.isDirectory()) {
        Journal.forceDirectory(path);
      } else if (a.isRegularFile()) {
        try (FileChannel c =
            provider.newFileChannel(path, Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS))) {
          dev.metamori.internal.journal.IoFaults.force(c, true);
        }
      }
    } catch (NoSuchFileException ignored) {
      // removed again within the epoch: its directory is forced instead
    }
  }

  private void checkOpen() {
    gate.checkOpen();
  }
}
