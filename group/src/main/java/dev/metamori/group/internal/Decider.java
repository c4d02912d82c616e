package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.Readiness;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.apache.zookeeper.KeeperException;

/**
 * Writes the decisions of rounds, each with one multi fenced by {@code head}'s version after
 * the round's open ({@link Round#headVersion()}). The member whose {@code ready} completes the
 * roster writes it and the decision in that same multi, so a round is decided by the write of
 * its last {@code ready}. Two members that wrote their last ones at once, neither seeing the
 * other's, each look once more after writing and send the decision without a {@code ready}
 * (the first one wins); the round's coordinator does the same when a pass of its finds every
 * {@code ready} and no decision, and aborts the round when a member left or {@code head}
 * changed.
 */
final class Decider {
  /** Round znodes kept behind the newest decided one. */
  private static final int ROUNDS_KEPT = 32;
  private static final String HEAD_CHANGED =
      "the group's head changed during the round: a member rejoined, and the group rolls back";

  private final GroupMember m;
  private final Znodes z;
  private final BiConsumer<Long, Decision> decided;

  /** {@code decided} is told of every decision this member writes. */
  Decider(GroupMember member, BiConsumer<Long, Decision> decided) {
    this.m = member;
    this.z = member.znodes;
    this.decided = decided;
  }

  /**
   * Reports this member ready in {@code round} with its local epoch {@code local}. If every
   * other member of the roster is ready already and {@code head} is still at the version the
   * open left, the ready and the decision are one multi; otherwise (or if that multi fails: a
   * decision or a change of {@code head} came first) the ready alone, and then, if every member
   * is ready by now, the decision alone.
   */
  void reportReady(Round round, long local) throws Exception {
    long r = round.id();
    String self = m.config.member();
    if (round.headVersion() < 0) {
      z.writeReady(r, self, local);
      traceReady(round, local);
      return;
    }
    Set<String> others = new TreeSet<>(m.config.roster());
    others.remove(self);
    if (decideIfComplete(round, others, Map.entry(self, local))) {
      traceReady(round, local);
      return;
    }
    z.writeReady(r, self, local);
    traceReady(round, local);
    // members whose epochs became durable together may each have read before the other wrote
    // (the forces of one disk often end together): one more look, so that one of them decides
    decideIfComplete(round, m.config.roster(), null);
  }

  /**
   * Decides {@code round} if every one of {@code members} is ready and {@code head} is at the
   * round's {@link Round#headVersion()}, with {@code own} ready in the same multi if not null;
   * whether it did. A failed multi (a decision or a change of {@code head} came first, or the
   * connection was lost) leaves the round to the others and the coordinator.
   */
  private boolean decideIfComplete(Round round, Set<String> members, Map.Entry<String, Long> own) {
    try {
      Readiness now = z.readiness(round.id(), members);
      if (!now.ready().keySet().containsAll(members) || now.head().version() != round.headVersion()) {
        return false;
      }
      Map<String, Long> ready = new TreeMap<>(now.ready());
      if (own != null) {
        ready.put(own.getKey(), own.getValue());
      }
      decide(round, now.head().head(), ready, round.headVersion(), own);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (Exception e) {
      return false;
    }
  }

  private static void traceReady(Round round, long local) {
    if (round.kind() == Kind.COMMIT) {
      Trace.step("ready " + round.id() + " " + local);
    }
  }

  /**
   * A pass of the coordinator of {@code round}, which opened it leaving {@code head} at {@code
   * version}, read {@code vh} and the members {@code present}: decide the round if every member
   * is ready, abort it if a member left before being ready or {@code head} changed.
   */
  void coordinate(Round round, VersionedHead vh, Set<String> present, int version) throws Exception {
    long r = round.id();
    if (vh.version() < version) {
      // this pass read the head before this member's own open of the round (the reads of a
      // pass are not one snapshot): look again at the next pass
      return;
    }
    if (vh.version() != version) {
      // a member rejoined (it set pending): it takes no part in this round, which cannot commit
      z.abort(r, HEAD_CHANGED);
      return;
    }
    Set<String> missing = new TreeSet<>(m.config.roster());
    missing.removeAll(z.readyMembers(r));
    Set<String> gone = new TreeSet<>(missing);
    gone.removeAll(present);
    if (!gone.isEmpty()) {
      z.abort(r, "members " + gone + " left the group before reporting ready");
      return;
    }
    if (!missing.isEmpty()) {
      return;
    }
    try {
      decide(round, vh.head(), z.ready(r), version, null);
    } catch (KeeperException.BadVersionException e) {
      z.abort(r, HEAD_CHANGED);
    } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
      // decided by another member first
    }
  }

  /** Decides {@code round}, from {@code h} (head at {@code version}), with {@code own} ready if not null. */
  private void decide(Round round, Head h, Map<String, Long> ready, int version, Map.Entry<String, Long> own)
      throws Exception {
    long r = round.id();
    Trace.step("decide " + r);
    Outcome outcome;
    if (round.kind() == Kind.COMMIT) {
      outcome = Outcome.COMMIT;
      GlobalEpoch e = new GlobalEpoch(r, h.global(), round.label(), ready);
      z.decide(r, outcome, new Head(r, r, h.incarnation(), false, ready), version, e, own);
    } else {
      outcome = Outcome.ROLLED_BACK;
      z.decide(r, outcome, new Head(r, h.global(), h.incarnation(), false, h.epochs()), version, null, own);
    }
    Trace.step("decided " + r);
    decided.accept(r, new Decision(outcome, ""));
    z.pruneRound(r - ROUNDS_KEPT);
  }
}
