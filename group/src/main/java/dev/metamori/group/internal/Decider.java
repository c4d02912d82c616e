package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import org.apache.zookeeper.KeeperException;

/**
 * Writes the decisions of rounds, each with one multi fenced by {@code head}'s version after
 * the round's open ({@link Round#headVersion()}). Every member learns the others' {@code ready}
 * znodes, whose names carry their local epochs, from the events of its watch, with no read. A
 * member whose epoch is durable once it has seen every other member ready writes its {@code
 * ready} and the decision in one multi, checking the others' {@code ready} znodes; otherwise it
 * writes its {@code ready} alone, and the member whose {@code ready}'s creation event completes
 * the roster sends the decision (the first decide multi wins). The round's coordinator, at a
 * periodic pass that finds every {@code ready} and no decision, decides too, and aborts the
 * round when a member left or {@code head} changed.
 */
final class Decider {
  /** Round znodes kept behind the newest decided one. */
  private static final int ROUNDS_KEPT = 32;
  /** Rounds kept in memory behind the newest one this member saw opened. */
  private static final int ROUNDS_REMEMBERED = 4;
  private static final String HEAD_CHANGED =
      "the group's head changed during the round: a member rejoined, and the group rolls back";

  /** A round, with {@code head} as its open left it (at {@link Round#headVersion()}). */
  private record Opened(Round round, Head head) {}

  /** What a decide multi writes. */
  private record Decided(Outcome outcome, Head next, GlobalEpoch epoch) {}

  private final GroupMember m;
  private final Znodes z;
  private final BiConsumer<Long, Decision> decided;
  private final Map<Long, Opened> opened = new ConcurrentHashMap<>();
  /** The {@code ready} znodes seen created, by round: member and local epoch (-1: not in the name). */
  private final Map<Long, Map<String, Long>> seen = new ConcurrentHashMap<>();
  /** The rounds this member sent a decide multi for, from its ready or from an event. */
  private final Set<Long> sent = ConcurrentHashMap.newKeySet();

  /** {@code decided} is told of every decision this member writes. */
  Decider(GroupMember member, BiConsumer<Long, Decision> decided) {
    this.m = member;
    this.z = member.znodes;
    this.decided = decided;
  }

  /**
   * This member takes part in {@code round}, read in one snapshot with {@code vh}: if {@code
   * head} is still as the open left it, this member can decide the round without reading it.
   */
  void opened(Round round, VersionedHead vh) {
    long r = round.id();
    if (round.headVersion() >= 0 && vh.version() == round.headVersion()) {
      opened.put(r, new Opened(round, vh.head()));
    }
    opened.keySet().removeIf(k -> k < r - ROUNDS_REMEMBERED);
    seen.keySet().removeIf(k -> k < r - ROUNDS_REMEMBERED);
    sent.removeIf(k -> k < r - ROUNDS_REMEMBERED);
  }

  /**
   * The {@code ready} znode {@code child} of round {@code r} was created (an event of the
   * watch, on ZooKeeper's event thread; events come in the order of the writes). If it is this
   * member's own and completes the roster, this member sends the decide multi, without waiting.
   */
  void sawReady(long r, String child) {
    Map.Entry<String, Long> e = Layout.readyOf(child);
    Map<String, Long> ready = seen.computeIfAbsent(r, k -> new ConcurrentHashMap<>());
    ready.put(e.getKey(), e.getValue());
    Opened o = opened.get(r);
    if (o == null || !e.getKey().equals(m.config.member()) || !complete(ready, m.config.roster()) || !sent.add(r)) {
      return;
    }
    Map<String, Long> all = new TreeMap<>(ready);
    all.keySet().retainAll(m.config.roster());
    Decided d = decisionOf(o.round(), o.head(), all);
    Trace.step("decide " + r);
    try {
      z.decideAsync(r, d.outcome(), d.next(), o.round().headVersion(), d.epoch(), null, all, ok -> {
        if (ok) {
          afterDecide(r, d, o.round().headVersion());
        }
      });
    } catch (Exception ex) {
      // the coordinator's pass decides
    }
  }

  /** Whether {@code ready} holds every one of {@code members} with the local epoch in its name. */
  private static boolean complete(Map<String, Long> ready, Set<String> members) {
    for (String id : members) {
      Long epoch = ready.get(id);
      if (epoch == null || epoch < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Reports this member ready in {@code round} with its local epoch {@code local}. If it has
   * seen every other member of the roster ready, the ready and the decision are one multi;
   * otherwise (or if that multi fails: a decision or a change of {@code head} came first) the
   * ready alone, and the event of the last {@code ready} decides.
   */
  void reportReady(Round round, long local) throws Exception {
    long r = round.id();
    String self = m.config.member();
    Opened o = opened.get(r);
    Set<String> others = new TreeSet<>(m.config.roster());
    others.remove(self);
    Map<String, Long> ready = new TreeMap<>(seen.getOrDefault(r, Map.of()));
    ready.keySet().retainAll(others);
    if (o != null && complete(ready, others) && sent.add(r)) {
      Map<String, Long> all = new TreeMap<>(ready);
      all.put(self, local);
      Decided d = decisionOf(round, o.head(), all);
      try {
        Trace.step("decide " + r);
        z.decide(r, d.outcome(), d.next(), round.headVersion(), d.epoch(), Map.entry(self, local), ready);
        traceReady(round, local);
        afterDecide(r, d, round.headVersion());
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (Exception e) {
        // a decision or a change of head came first, or the connection was lost: the ready alone
      }
    }
    z.writeReady(r, self, local);
    traceReady(round, local);
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
      decide(round, vh.head(), z.ready(r), version);
    } catch (KeeperException.BadVersionException e) {
      z.abort(r, HEAD_CHANGED);
    } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
      // decided by another member first
    }
  }

  /** Decides {@code round} from a pass's read of {@code h}, at {@code version}. */
  private void decide(Round round, Head h, Map<String, Long> ready, int version) throws Exception {
    long r = round.id();
    Trace.step("decide " + r);
    Decided d = decisionOf(round, h, ready);
    z.decide(r, d.outcome(), d.next(), version, d.epoch(), null, Map.of());
    afterDecide(r, d, version);
  }

  /** What deciding {@code round} writes, from {@code h} (head as the open left it) and the members' epochs. */
  private static Decided decisionOf(Round round, Head h, Map<String, Long> ready) {
    long r = round.id();
    if (round.kind() == Kind.COMMIT) {
      return new Decided(Outcome.COMMIT, new Head(r, r, h.incarnation(), false, ready),
          new GlobalEpoch(r, h.global(), round.label(), ready));
    }
    return new Decided(Outcome.ROLLED_BACK, new Head(r, h.global(), h.incarnation(), false, h.epochs()), null);
  }

  /** This member's decide multi of round {@code r}, fenced at {@code version}, succeeded. */
  private void afterDecide(long r, Decided d, int version) {
    Trace.step("decided " + r);
    m.coordinator.known(new VersionedHead(d.next(), version + 1), true);
    decided.accept(r, new Decision(d.outcome(), ""));
    m.coordinator.execute(() -> z.pruneRound(r - ROUNDS_KEPT));
  }
}
