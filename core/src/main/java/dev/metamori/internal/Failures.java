package dev.metamori.internal;

import dev.metamori.CheckpointListener;
import dev.metamori.internal.events.CommitEvent;
import dev.metamori.internal.events.FailStopEvent;
import dev.metamori.internal.fs.Tracker;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.IoFaults;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.memory.VolatileState;
import java.io.IOException;

/**
 * How a checkpointer carries on after an I/O error. A fatal one stops it ({@link #stop}):
 * later calls fail with it as the cause, and reopening the store recovers it. A full disk (or
 * exceeded quota) in a commit or restore is not fatal ({@link IoFaults#recoverable}): the
 * operation is completed with the same checkpointer once space is freed, by the next commit,
 * restore, prune, diff, region or registration, before anything else ({@link #settle}).
 *
 * <ul>
 *   <li>A failed commit leaves the store at the epoch before, with the sealed epoch's records
 *       and the changes made since journaled: the retry commits the sealed epoch as it was
 *       captured (files, regions and objects), under its id, before anything else.
 *   <li>A failed restore leaves the tracked files part of the way to its target (no change of
 *       them is journaled, so none is made, until it is finished); finishing it brings files,
 *       regions and objects to the target, as the restore would have.
 * </ul>
 */
final class Failures {
  private final Journal journal;
  private final Tracker tracker;
  private final VolatileState state;
  private volatile IOException failure;
  private volatile Commit commit;
  private volatile Restore restore;

  /** A captured epoch and what its commit needs; {@code event} was begun when the commit was called. */
  record Commit(
      Tracker.Capture capture, long nowMillis, Journal.StateWriter writer, String label, CommitEvent event) {}

  /** The target of a restore that stopped part way, and its plan for regions and objects. */
  private record Restore(long target, VolatileState.Plan plan) {}

  Failures(Journal journal, Tracker tracker, VolatileState state) {
    this.journal = journal;
    this.tracker = tracker;
    this.state = state;
  }

  /** The error that stopped the checkpointer (or its journal), or null. */
  IOException stoppedBy() {
    IOException f = failure;
    return f != null ? f : journal.stoppedBy();
  }

  /** Stops the checkpointer: only recovery on open knows where the store stands after {@code e}. */
  void stop(Throwable e) {
    failure = e instanceof IOException ? (IOException) e : new IOException(e);
    FailStopEvent.stopped(journal.store(), e);
  }

  /** Commits a captured epoch and ends its event with the epoch's figures. */
  private long commit(Commit c, CommitEvent event) throws IOException {
    EpochInfo info = tracker.commit(c.capture, c.nowMillis, c.writer, c.label);
    event.committed(journal.store(), info.id(), info.label(), info.files(), info.blocks(), info.bytes());
    return info.id();
  }

  /** Stops the checkpointer unless {@code e} is a full disk it survives. */
  private void stopUnlessRecoverable(Throwable e) {
    if (!IoFaults.recoverable(e)) {
      stop(e);
    }
  }

  /**
   * Commits a captured epoch. A failure for lack of space keeps it for {@link #settle} and is
   * reported as a {@link dev.metamori.DiskFullException}; any other stops the checkpointer and
   * is thrown as it is.
   */
  long commit(Commit c) throws IOException {
    long before = journal.currentEpoch();
    try {
      return commit(c, c.event);
    } catch (IOException | RuntimeException | Error e) {
      if (!IoFaults.recoverable(e)) {
        stop(e);
        throw e;
      }
      commit = c;
      long id = c.capture.id();
      throw IoFaults.diskFull(
          store(),
          store(),
          "the commit of epoch " + id + " failed",
          "The store stays at epoch " + before + " and the changes since are still journaled: free"
              + " space on that disk and call commit() again, which commits epoch " + id
              + " first (a restore also does)",
          e);
    }
  }

  /**
   * A restore to {@code target} failed with {@code e}: what to throw. A failure for lack of space
   * leaves the restore to finish ({@link #settle}) and is reported as a {@link
   * dev.metamori.DiskFullException}; any other stops the checkpointer and is returned as it is.
   */
  IOException restoreFailed(long target, VolatileState.Plan plan, IOException e) {
    if (!IoFaults.recoverable(e) || journal.unfinishedRestore() != target) {
      stop(e);
      return e;
    }
    restore = new Restore(target, plan);
    return IoFaults.diskFull(
        store(),
        store(),
        "the restore to epoch " + target + " stopped part way",
        "The tracked files are partly restored and cannot be changed until it is finished: free"
            + " space on that disk and call restore(" + target + ") again (any restore or commit"
            + " finishes it first)",
        e);
  }

  /**
   * Completes the commit that failed for lack of space, then finishes the restore that stopped
   * part way (at most one of them is pending). Throws a {@link dev.metamori.DiskFullException}
   * if there still is not enough space (and the operation that called this does nothing); any
   * other failure stops the checkpointer and is thrown as it is.
   */
  void settle() throws IOException {
    try {
      complete();
    } catch (IOException | RuntimeException e) {
      stopUnlessRecoverable(e);
      throw e;
    }
  }

  private void complete() throws IOException {
    Commit c = commit;
    if (c != null) {
      try {
        commit(c, CommitEvent.begun()); // timed from this retry
      } catch (IOException | RuntimeException e) {
        if (!IoFaults.recoverable(e)) {
          throw e;
        }
        throw IoFaults.diskFull(
            store(),
            store(),
            "epoch " + c.capture.id() + ", whose commit failed for lack of space, still cannot be committed",
            "Nothing else was done: free space on that disk and retry",
            e);
      }
      commit = null;
    }
    Restore r = restore;
    if (r != null) {
      try {
        tracker.resumeRollback();
      } catch (IOException | RuntimeException e) {
        if (!IoFaults.recoverable(e)) {
          throw e;
        }
        throw IoFaults.diskFull(
            store(),
            store(),
            "the restore to epoch " + r.target + ", which stopped part way for lack of space, still"
                + " cannot be finished",
            "The tracked files stay partly restored: free space on that disk and retry",
            e);
      }
      restore = null;
      state.apply(r.plan);
      for (CheckpointListener l : state.listeners()) {
        l.afterRestore(r.target);
      }
    }
  }

  private String store() {
    return journal.store().toString();
  }
}
