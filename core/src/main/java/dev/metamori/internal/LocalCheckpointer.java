package dev.metamori.internal;

import dev.metamori.CheckpointException;
import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.NoSuchEpochException;
import dev.metamori.OutsideChange;
import dev.metamori.OutsideChangesException;
import dev.metamori.RestoreOption;
import dev.metamori.StoreStats;
import dev.metamori.internal.events.CommitEvent;
import dev.metamori.internal.events.PruneEvent;
import dev.metamori.internal.events.RestoreEvent;
import dev.metamori.internal.fs.MetamoriFileSystem;
import dev.metamori.internal.fs.MetamoriFileSystemProvider;
import dev.metamori.internal.fs.Exclusions;
import dev.metamori.internal.fs.Tracker;
import dev.metamori.internal.jmx.CheckpointerControl;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.OwnerOnly;
import dev.metamori.internal.journal.ProgressListener;
import dev.metamori.internal.journal.Route;
import dev.metamori.internal.memory.VolatileState;
import dev.metamori.CheckpointListener;
import dev.metamori.Checkpointable;
import dev.metamori.MemoryRegion;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The {@link Checkpointer} of one store, journaling the file system the store is on (the default
 * one, or in tests a fault-injecting one that forwards to it): a {@link Journal}, the
 * {@link Tracker} that feeds it, and the {@link MetamoriFileSystem} the application uses.
 * After a fatal I/O error in commit or rollback it stops: later calls fail with the original
 * error as the cause, and reopening the store recovers it. A full disk is not fatal: see
 * {@link Failures}.
 */
final class LocalCheckpointer implements Checkpointer {
  private final Journal journal;
  private final Tracker tracker;
  private final MetamoriFileSystem fileSystem;
  private final Clock clock;
  private final VolatileState state;
  private final Failures failures;
  /** Completes commits after their capture, one at a time. */
  private final ExecutorService committer =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "metamori-commit");
            t.setDaemon(true);
            return t;
          });
  private ProgressListener progress = ProgressListener.NONE;
  /** Unregisters the MBean registered at open, or null. */
  private Runnable mbean;
  private boolean closed;
  private final Outputs outputs;
  private final Transfers transfers;
  /** The commit in flight, or the last one. */
  private CompletableFuture<Long> inflight = CompletableFuture.completedFuture(0L);

  private LocalCheckpointer(Journal journal, Tracker tracker, Clock clock) throws IOException {
    this.outputs = Outputs.open(journal.store(), journal.workingEpoch(), journal.forcing());
    this.state = new VolatileState(journal);
    this.journal = journal;
    this.tracker = tracker;
    this.clock = clock;
    this.failures = new Failures(journal, tracker, state);
    this.transfers = new Transfers(journal, tracker, state, this);
    this.fileSystem =
        new MetamoriFileSystem(
            MetamoriFileSystemProvider.instance(),
            tracker,
            this,
            MetamoriFileSystemProvider.uriOf(journal.store()));
  }

  /** Validates the configuration, opens the journal and recovers the tracked trees. */
  static Checkpointer open(
      Path store, List<Path> roots, int blockSize, Durability durability, Clock clock, boolean registerMBean,
      List<String> exclusions) throws IOException {
    // the file system the store lives on is the one journaled: the default one for most
    // applications, a fault-injecting one in tests
    FileSystem fs = store.getFileSystem();
    if (fs instanceof MetamoriFileSystem) {
      throw new IllegalArgumentException(
          "store " + store + " is a path of a Metamori file system: give a path of the underlying one");
    }
    List<Path> realRoots = StoreLocation.realRoots(store, roots, fs);
    boolean existed = java.nio.file.Files.exists(store.resolve("index.mv"));
    OwnerOnly.createStoreDirectory(store);
    Path realStore = store.toRealPath();
    Journal journal = Journal.open(realStore, blockSize, durability, clock.millis());
    try {
      List<String> rootStrings = realRoots.stream().map(Path::toString).toList();
      journal.recordRoots(rootStrings);
      Tracker tracker =
          new Tracker(fs, journal, realRoots, realStore, Exclusions.forStore(realStore, existed, exclusions));
      tracker.recover();
      LocalCheckpointer cp = new LocalCheckpointer(journal, tracker, clock);
      cp.mbean = registerMBean ? CheckpointerControl.register(cp, realStore) : null;
      MetamoriFileSystemProvider.register(realStore, cp.fileSystem);
      return cp;
    } catch (IOException | RuntimeException e) {
      try {
        journal.close();
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  @Override
  public FileSystem fileSystem() {
    return fileSystem;
  }

  private void checkUsable() throws CheckpointException {
    if (closed) {
      throw new IllegalStateException("this Checkpointer is closed");
    }
    IOException stopped = failures.stoppedBy();
    if (stopped != null) {
      throw new CheckpointException(
          "this Checkpointer stopped after an I/O error ("
              + stopped.getMessage()
              + "); close it and open the store again to recover it to its last committed epoch",
          stopped);
    }
  }

  /** Waits until the commit in flight, if any, is durable or has failed. */
  private void awaitInflight() {
    try {
      inflight.join();
    } catch (CompletionException | java.util.concurrent.CancellationException e) {
      // reported to whoever holds that future; a fatal one stops later calls (Failures)
    }
  }

  @Override
  public long commit() throws IOException {
    return join(startCommit(null));
  }

  @Override
  public long commit(String label) throws IOException {
    return join(startCommit(checkLabel(label)));
  }

  private static String checkLabel(String label) {
    if (label == null || label.isEmpty() || label.length() > 1000) {
      throw new IllegalArgumentException(
          "an epoch label must have 1 to 1000 characters, not " + (label == null ? "null" : label.length()));
    }
    return label;
  }

  @Override
  public synchronized CompletableFuture<Long> commitAsync() throws IOException {
    return startCommit(null);
  }

  @Override
  public synchronized CompletableFuture<Long> commitAsync(String label) throws IOException {
    return startCommit(checkLabel(label));
  }

  @Override
  public void deferUntilCommitted(String key, byte[] payload) throws IOException {
    checkUsable();
    outputs.defer(key, payload);
  }

  @Override
  public synchronized void onCommitted(dev.metamori.OutputHandler handler) throws IOException {
    checkUsable();
    outputs.handler(handler);
  }

  @Override
  public synchronized Epoch epoch(String label) throws IOException {
    checkLabel(label);
    return Epochs.byLabel(epochs(), label);
  }

  /** Waits for a commit, throwing its failure as it is. */
  private static long join(CompletableFuture<Long> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      if (cause instanceof Error) {
        throw (Error) cause;
      }
      throw e;
    }
  }

  private synchronized CompletableFuture<Long> startCommit(String label) throws IOException {
    checkUsable();
    awaitInflight();
    checkUsable();
    failures.settle();
    outputs.committed(journal.workingEpoch() - 1); // a commit retried by settle() is committed now
    CommitEvent event = CommitEvent.begun();
    state.beforeCheckpoint();
    StateAtInstant atInstant = new StateAtInstant();
    Tracker.Capture capture;
    try {
      capture = tracker.capture(atInstant);
    } catch (IOException e) {
      if (atInstant.writer != null) {
        failures.stop(e); // the epoch may be sealed: only recovery knows where it stands
      }
      throw e;
    }
    Journal.StateWriter writer = outputs.writerFor(capture.id(), atInstant.outputs, atInstant.writer);
    for (CheckpointListener l : state.listeners()) {
      l.afterCheckpoint(capture.id());
    }
    long now = clock.millis();
    CompletableFuture<Long> f =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                long id = failures.commit(new Failures.Commit(capture, now, writer, label, event));
                outputs.committed(id);
                return id;
              } catch (IOException e) {
                throw new CompletionException(e);
              }
            },
            committer);
    inflight = f;
    return f;
  }

  /** Captures the volatile state at the instant the working epoch ends, for its commit. */
  private final class StateAtInstant implements Tracker.IoRunnable {
    /** Null until captured. */
    private Journal.StateWriter writer;
    private List<Outputs.Deferred> outputs;

    @Override
    public void run() throws IOException {
      writer = state.capture(journal.workingEpoch());
      outputs = LocalCheckpointer.this.outputs.seal();
    }
  }

  @Override
  public synchronized MemoryRegion region(String name, long size) throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    return state.region(name, size);
  }

  @Override
  public synchronized void register(String name, Checkpointable object) throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    state.register(name, object);
  }

  @Override
  public synchronized java.util.stream.Stream<dev.metamori.Change> diff(long from, long to)
      throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    return DiffCollector.collect(journal, state, tracker.delegate(), from, to).stream();
  }

  @Override
  public void addListener(CheckpointListener listener) {
    state.addListener(listener);
  }

  @Override
  public void rollback(long epoch) throws IOException {
    restore(epoch);
  }

  @Override
  public synchronized void restore(long epoch) throws IOException {
    checkUsable();
    awaitInflight();
    checkUsable();
    failures.settle();
    // the target is checked and the route computed once, before anything changes
    Route route = journal.prepareRollback(epoch);
    List<OutsideChange> outside = tracker.outsideChanges();
    if (!outside.isEmpty()) {
      throw new OutsideChangesException(epoch, outside);
    }
    restore(epoch, route, List.of());
  }

  @Override
  public synchronized List<OutsideChange> restore(long epoch, RestoreOption option) throws IOException {
    java.util.Objects.requireNonNull(option, "option");
    checkUsable();
    awaitInflight();
    checkUsable();
    failures.settle();
    journal.prepareRollback(epoch); // an unknown epoch is refused before anything changes
    List<OutsideChange> outside = tracker.outsideChanges();
    if (option == RestoreOption.ADOPT_OUTSIDE_CHANGES && !outside.isEmpty()) {
      adopt(outside);
      restore(epoch, journal.prepareRollback(epoch), List.of());
    } else {
      restore(epoch, journal.prepareRollback(epoch), outside);
    }
    return outside;
  }

  @Override
  public synchronized long adoptOutsideChanges() throws IOException {
    checkUsable();
    awaitInflight();
    checkUsable();
    failures.settle();
    List<OutsideChange> outside = tracker.outsideChanges();
    return outside.isEmpty() ? journal.currentEpoch() : adopt(outside);
  }

  private long adopt(List<OutsideChange> outside) throws IOException {
    tracker.adopt(outside, journal.workingEpoch());
    return commit();
  }

  private void restore(long epoch, Route route, List<OutsideChange> overwritten) throws IOException {
    RestoreEvent event = RestoreEvent.begun();
    for (CheckpointListener l : state.listeners()) {
      l.beforeRestore(epoch);
    }
    VolatileState.Plan plan = state.plan(epoch);
    outputs.discardWorking(); // the working epoch that recorded them is undone
    try {
      tracker.rollback(route, overwritten);
      state.apply(plan);
    } catch (NoSuchEpochException e) {
      throw e;
    } catch (IOException e) {
      throw failures.restoreFailed(epoch, plan, e);
    }
    for (CheckpointListener l : state.listeners()) {
      l.afterRestore(epoch);
    }
    event.restored(journal.store(), route.from(), epoch, route.up(), route.down(), id -> journal.epoch(id).bytes());
  }

  @Override
  public List<String> exclusions() {
    return tracker.exclusions().globs();
  }

  @Override
  public synchronized long currentEpoch() {
    return journal.currentEpoch();
  }

  @Override
  public synchronized List<Epoch> epochs() throws IOException {
    awaitInflight();
    return Epochs.list(journal);
  }

  @Override
  public void export(long epoch, java.io.OutputStream out) throws IOException {
    exportFrom(null, epoch, out);
  }

  @Override
  public void export(long base, long epoch, java.io.OutputStream out) throws IOException {
    exportFrom(base, epoch, out);
  }

  private synchronized void exportFrom(Long base, long epoch, java.io.OutputStream out) throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    transfers.export(base, epoch, out, progress);
  }

  @Override
  public synchronized long receive(java.io.InputStream in) throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    return transfers.receive(in, progress);
  }

  @Override
  public synchronized List<OutsideChange> status() throws IOException {
    checkUsable();
    awaitInflight();
    failures.settle();
    return tracker.outsideChanges();
  }

  @Override
  public List<CorruptStoreException> verify() throws IOException {
    checkUsable();
    synchronized (this) {
      awaitInflight();
    }
    return tracker.verify();
  }

  @Override
  public synchronized dev.metamori.PruneResult prune(dev.metamori.RetentionPolicy policy)
      throws IOException {
    java.util.Objects.requireNonNull(policy, "policy");
    PruneEvent event = PruneEvent.begun();
    checkUsable();
    awaitInflight();
    failures.settle();
    List<Epoch> epochs = epochs();
    java.util.Set<Long> keep = new java.util.HashSet<>(policy.kept(epochs));
    long current = journal.currentEpoch();
    if (policy.dropped(epochs).contains(current)) {
      throw new IllegalArgumentException(
          "the current epoch " + current + " is on a branch that " + policy
              + " drops: restore an epoch outside it first");
    }
    keep.add(current); // whatever the policy says
    long before = StatsCollector.bytesUnder(journal.store());
    List<Long> removed;
    try {
      removed = tracker.prune(keep);
    } catch (IOException e) {
      failures.stop(e); // the index may be closed for its compaction: only a reopen knows
      throw e;
    }
    long after = StatsCollector.bytesUnder(journal.store());
    event.pruned(journal.store(), removed.size(), keep.size(), before, after);
    return new dev.metamori.PruneResult(removed, before, after);
  }

  @Override
  public synchronized StoreStats stats() throws IOException {
    checkUsable();
    awaitInflight();
    return StatsCollector.collect(journal, progress, state.pageTracking());
  }

  @Override
  public synchronized void reportProgressTo(dev.metamori.ProgressListener listener) {
    progress = listener == null ? ProgressListener.NONE : listener::advanced;
    journal.reportProgressTo(progress);
  }

  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    if (mbean != null) {
      mbean.run(); // first: an operator's call now would find it closed
    }
    awaitInflight();
    committer.shutdown();
    outputs.close();
    try {
      fileSystem.closeForCheckpointer();
    } finally {
      journal.close();
    }
  }

  @Override
  public String toString() {
    return "Checkpointer[" + journal.store() + " at epoch " + journal.currentEpoch() + "]";
  }
}
