package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupException;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.GroupState;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The rounds a member opens itself: a commit or restore of the application, the first global
 * epoch of a new group, a commit a peer's frame asks for. One at a time per member: the {@code
 * open} znode names a session, not a thread.
 */
final class Rounds {
  private static final System.Logger LOG = System.getLogger("dev.metamori.group");

  private final GroupMember m;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicBoolean background = new AtomicBoolean();

  Rounds(GroupMember member) {
    this.m = member;
  }

  /** The group has no global epoch yet: the members commit the first one together. */
  void commitFirst(long deadline) throws Exception {
    while (m.znodes.head().head().global() == 0) {
      try {
        run(Kind.COMMIT, null, 0, deadline, true);
      } catch (GroupException e) {
        if (System.nanoTime() - deadline > 0) {
          throw e;
        }
        LOG.log(System.Logger.Level.DEBUG, "first global commit of group {0} retried: {1}", m.config.group(), e.getMessage());
      }
    }
  }

  /**
   * Opens a round and waits for its decision. A commit round returns the new global epoch; a
   * rollback round its target. While another round is open or the group recovers, it waits;
   * if {@code first}, it returns as soon as the group has a global epoch, whoever committed it.
   */
  long run(Kind kind, String label, long target, long deadline, boolean first) throws Exception {
    if (!lock.tryLock(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
      throw new GroupException("another commit or restore of member '" + m.config.member() + "' took longer than "
          + m.config.timeout());
    }
    try {
      return runLocked(kind, label, target, deadline, first);
    } finally {
      lock.unlock();
    }
  }

  private long runLocked(Kind kind, String label, long target, long deadline, boolean first) throws Exception {
    // the head this member last knew settled, if any: the open multi checks that it is still at
    // that version, that no round is open and that every roster member is connected; if not,
    // the state is read until it is settled, as below
    VersionedHead known = m.coordinator.settledHead();
    while (true) {
      VersionedHead vh;
      Set<String> present;
      if (known != null) {
        vh = known;
        present = m.config.roster();
        known = null;
      } else {
        GroupState state = m.coordinator.awaitSettled(deadline);
        vh = state.head();
        present = state.members();
      }
      Head h = vh.head();
      if (first && h.global() > 0) {
        return h.global();
      }
      Set<String> absent = new TreeSet<>(m.config.roster());
      absent.removeAll(present);
      if (!absent.isEmpty()) {
        throw new GroupException("cannot " + (kind == Kind.COMMIT ? "commit" : "restore") + ": members " + absent
            + " of group '" + m.config.group() + "' are not connected; the members go on, and a "
            + (kind == Kind.COMMIT ? "commit" : "restore") + " succeeds once they have joined");
      }
      long r = h.round() + 1;
      Head next;
      Round round;
      if (kind == Kind.COMMIT) {
        round = new Round(r, kind, label, 0, h.incarnation(), vh.version() + 1);
        next = h.opened(r);
      } else {
        GlobalEpoch e = m.znodes.epoch(target).orElseThrow();
        round = new Round(r, kind, null, target, h.incarnation() + 1, vh.version() + 1);
        next = new Head(r, target, h.incarnation() + 1, true, e.localEpochs());
      }
      if (!m.coordinator.open(round, next, vh.version(), true)) {
        continue; // another member opened a round first: wait for it, then try again
      }
      Decision d = m.coordinator.awaitDecision(r, deadline);
      if (d.outcome() == Outcome.ABORT) {
        throw new GroupException("the " + (kind == Kind.COMMIT ? "global commit" : "group restore") + " (round " + r
            + ") aborted: " + d.reason() + "; this round changed no global epoch, try again");
      }
      return kind == Kind.COMMIT ? r : target;
    }
  }

  /** Commits a global epoch on a thread of its own, unless one such commit is running. */
  void commitInBackground() {
    if (background.compareAndSet(false, true)) {
      Thread t = new Thread(() -> {
        try {
          run(Kind.COMMIT, null, 0, m.deadline(), false);
        } catch (Exception e) {
          LOG.log(System.Logger.Level.DEBUG, "commit asked for by a peer's frame failed: {0}", e.toString());
        } finally {
          background.set(false);
        }
      }, "metamori-group-" + m.config.member() + "-requested-commit");
      t.setDaemon(true);
      t.start();
    }
  }
}
