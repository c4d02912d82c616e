package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;

import dev.metamori.internal.events.RecoveryEvent;
import java.io.IOException;
import java.lang.ref.SoftReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Brings the trees to a committed epoch. A restore checks its target once ({@link #prepare}),
 * which gives its {@link Route}; {@link #restore} records the intent durably, undoes what is
 * not committed, then follows the route: undoes the epochs up to the common ancestor (keeping
 * what each undo destroys as the epoch's redo) and redoes those down to the target. Recovery on
 * open ({@link #recover}) does the same towards the target an interrupted restore recorded, or
 * the current epoch. Resumes where an earlier, interrupted call stopped: the index's current
 * epoch moves one epoch (or one run of replayable epochs) at a time, and the undo progress
 * says how far within it the renames, creations and deletions got.
 */
final class Restorer {
  private final JournalStore store;
  private final EpochGraph graph;
  private final CommittedSegments segments;
  private final RedoFile redoFile;
  private final EpochUndo epochUndo;
  private final EpochRedo epochRedo;
  /**
   * A run of replayable epochs is made durable at its end, or after this many epochs or bytes
   * of records: what a crash makes a restore repeat.
   */
  static final int RUN_EPOCHS = 256;

  static final long RUN_BYTES = 64L << 20;

  /** What the last preparation read and checked, for the restore of its route (see PreparedRoute). */
  private SoftReference<PreparedRoute> prepared;

  Restorer(JournalStore store, EpochGraph graph, CommittedSegments segments, RedoFile redoFile) {
    this.store = store;
    this.graph = graph;
    this.segments = segments;
    this.redoFile = redoFile;
    this.epochUndo = new EpochUndo(store, segments);
    this.epochRedo = new EpochRedo(store, segments, redoFile);
  }

  /**
   * Checks that {@code target} is a valid target, reads every committed record a restore to it
   * would undo or redo, and checks every trash entry it would bring back ({@link TrashCheck}):
   * damage stops the restore before anything changes, and leaves no intent behind for recovery
   * to retry. The records read are kept, within a budget, for the restore of the returned route
   * ({@link PreparedRoute}), which then applies them without reading them again.
   */
  Route prepare(long target) throws IOException {
    prepared = null;
    Route route = graph.routeTo(target);
    TrashCheck trash = new TrashCheck(store, segments);
    PreparedRoute kept = new PreparedRoute(route);
    java.util.Set<Long> down = new java.util.HashSet<>(route.down());
    for (long id : route.passed()) {
      PreparedRoute.Collector records = kept.segmentOf(id);
      segments.check(store.index().epoch(id), records);
      records.keep();
      // read whole: an undo appends to an epoch's redo file or relies on it, a redo applies it
      PreparedRoute.Collector redo = kept.redoOf(id);
      boolean redone = redoFile.forEachRecord(id, r -> {
            trash.redoRecord(id, r);
            redo.accept(r);
          });
      if (redone && down.contains(id)) {
        redo.keep();
      } else if (redone) {
        kept.redoComplete(id); // an undo of the epoch will capture nothing
      }
    }
    trash.check(route);
    prepared = new SoftReference<>(kept);
    return route;
  }

  /** What {@link #prepare} read and checked for {@code route}, given up once taken. */
  private PreparedRoute take(Route route) {
    PreparedRoute p = prepared == null ? null : prepared.get();
    prepared = null;
    return p != null && p.route == route ? p : new PreparedRoute(route);
  }

  /**
   * Records the intent to restore the route's target durably, then undoes the working epoch
   * (its segment {@code working}, or null) and follows the route.
   */
  void restore(Route route, Segment working, UndoTarget undo, ProgressListener listener) throws IOException {
    PreparedRoute checked = take(route);
    if (route.from() != store.current) {
      throw new IllegalStateException(
          "a route from epoch " + route.from() + " but the current epoch is " + store.current);
    }
    if (working != null && store.forcing()) {
      // the undo of the working epoch is resumed from its segment after a power loss: it must
      // be durable before the first step of the undo (PROCESS mode has not forced it yet)
      working.force();
      store.files.forceSegmentsAndTrashOf(store.next);
    }
    store.index().putMeta(META_ROLLBACK_TARGET, route.target());
    store.commitEvent(false, List.of(), new long[0]); // the catalogue's witness of the restore
    close(working);
    undoUncommitted(segments.uncommittedNear(store.next), undo);
    follow(checked, undo, listener);
  }

  /**
   * Recovery on open: undoes what is not committed, finishes an interrupted restore if one was
   * recorded, then drops index entries that a crash left behind for epochs the index does not
   * list.
   */
  void recover(Segment working, UndoTarget undo, ProgressListener listener) throws IOException {
    RecoveryEvent event = RecoveryEvent.begun();
    long target = store.index().meta(META_ROLLBACK_TARGET, store.current);
    close(working);
    int undone = undoUncommitted(segments.uncommitted(), undo);
    Route route = graph.route(store.current, target);
    // an interrupted restore: its last run of epochs may be repeated (see follow)
    undo.repeating(!route.passed().isEmpty());
    try {
      follow(new PreparedRoute(route), undo, listener);
    } finally {
      undo.repeating(false);
    }
    store.index().removeOrphans();
    store.index().commit(false);
    event.recovered(store.files.store, target, undone, route.up().size(), route.down().size());
  }

  private static void close(Segment working) throws IOException {
    if (working != null) {
      working.close();
    }
  }

  /**
   * Undoes and deletes the segments {@code uncommitted}, after checking each may be undone;
   * returns how many had records to undo.
   */
  private int undoUncommitted(List<Path> uncommitted, UndoTarget undo) throws IOException {
    int undone = 0;
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
      undone++;
      try (Segment s = Segment.open(file)) {
        epochUndo.undoUncommitted(s, undo);
        // what was restored must be durable before the records that restore it are gone
        undo.finish();
        store.files.deleteTrash(s.epoch);
      }
      Files.delete(file);
    }
    return undone;
  }

  /**
   * Undoes the route's epochs up to the common ancestor, then redoes those down to its target.
   * Each epoch moved is made durable (the restored files and directories forced, then the index
   * and the undo progress naming the epoch reached), except within a run of replayable epochs
   * ({@link PreparedRoute#replayable}), which is made durable once, at its end: a crash inside
   * the run resumes from its start and repeats its steps, which gives the same trees. The redo
   * each undo saves is still forced before the steps it protects.
   */
  private void follow(PreparedRoute checked, UndoTarget undo, ProgressListener listener) throws IOException {
    Route route = checked.route;
    EpochIndex index = store.index();
    long total = 0;
    for (long id : route.passed()) {
      total += index.epoch(id).bytes();
    }
    // the last move also clears the recorded target, in the same index commit
    boolean restoring = index.meta(META_ROLLBACK_TARGET, -1) >= 0;
    List<Long> steps = new java.util.ArrayList<>(route.up());
    steps.addAll(route.down());
    int ups = route.up().size();
    long runBytes = 0;
    int runEpochs = 0;
    long done = 0;
    for (int i = 0; i < steps.size(); i++) {
      long id = steps.get(i);
      EpochInfo epoch = index.epoch(id);
      boolean replayable = checked.replayable(id);
      long reached;
      if (i < ups) {
        epochUndo.undoCommitted(epoch, checked.segment(id), checked.hasCompleteRedo(id), undo);
        reached = epoch.parent();
      } else {
        epochRedo.redo(epoch, checked.segment(id), checked.redo(id), replayable, undo);
        reached = id;
      }
      boolean last = i == steps.size() - 1;
      runBytes += epoch.bytes();
      runEpochs++;
      if (!last && replayable && checked.replayable(steps.get(i + 1))
          && runEpochs < RUN_EPOCHS && runBytes < RUN_BYTES) {
        store.current = reached; // made durable with the end of the run
      } else {
        undo.finish();
        store.moveTo(reached, last && restoring);
        runBytes = 0;
        runEpochs = 0;
      }
      done += epoch.bytes();
      listener.advanced(done, total);
    }
    if (route.passed().isEmpty()) {
      index.removeMeta(META_ROLLBACK_TARGET);
      if (restoring) {
        store.commitEvent(false, List.of(), new long[0]); // the catalogue's new current epoch
      } else {
        index.commit(store.forcing());
      }
      undo.finish();
    }
    store.progress.settled();
  }

  /**
   * An uncommitted segment is the working epoch's, or one a restore had finished undoing when
   * it stopped before deleting it. Any other lost its commit record to damage (a segment that
   * has one is a committed epoch, which the open brings the index up to): undoing it would
   * silently drop committed work.
   */
  private void checkUncommitted(Path file) throws IOException {
    try (Segment s = Segment.open(file)) {
      if (!file.getFileName().toString().equals(store.files.segment(s.epoch).getFileName().toString())) {
        throw s.corrupt(0, "the segment header names epoch " + s.epoch);
      }
      long next = store.next;
      // next + 1: the working epoch while epoch next was being committed, as its header says
      // (and without a commit record of its own)
      boolean working =
          s.epoch == next
              || (s.epoch == next + 1 && (s.flags & Segment.AFTER_SEALED) != 0 && !endsInCommit(s));
      if (!working && !store.progress.names(s.nonce)) {
        throw s.corrupt(
            -1,
            "the segment has no commit record (damaged or cut short), but it is not the working epoch's"
                + " (the next epoch is " + next + ") and was not rolled back");
      }
    }
  }

  private static boolean endsInCommit(Segment s) throws IOException {
    Segment.Scan scan = s.scan();
    return scan.count() > 0 && scan.types()[scan.count() - 1] == UndoRecord.COMMIT;
  }
}
