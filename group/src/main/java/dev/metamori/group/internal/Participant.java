package dev.metamori.group.internal;

import dev.metamori.RestoreOption;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupException;
import dev.metamori.group.internal.Records.Round;
import java.util.concurrent.CompletableFuture;

/**
 * This member's part in a round, run on its participant thread: capture (commit round) or
 * restore (rollback round) at the member's next safe point, then report ready with the local
 * epoch. The capture pause holds no ZooKeeper call.
 */
final class Participant {
  private final GroupMember m;
  private final Znodes z;

  Participant(GroupMember member) {
    this.m = member;
    this.z = member.znodes;
  }

  /**
   * Captures this member in commit round {@code round}, which the caller has just read without
   * a decision (in one snapshot with the round, or right after its own open); should an abort
   * come first all the same, the capture only adds a local epoch that no global epoch names.
   */
  void capture(Round round) throws Exception {
    long r = round.id();
    if (!m.safePoints.enterExclusive(m.config.timeout().toNanos())) {
      throw new GroupException("no safe point within " + m.config.timeout() + ": a step stayed open");
    }
    if (m.closed) {
      m.safePoints.exitExclusive();
      return;
    }
    CompletableFuture<Long> durable;
    try { // no ZooKeeper call in here: this is the member's capture pause
      Trace.step("capture " + r);
      m.channels.prepareCapture(r);
      durable = m.config.checkpointer().commitAsync(localLabel(round));
    } finally {
      m.safePoints.exitExclusive();
    }
    Trace.step("resumed " + r);
    long local = durable.get();
    Trace.step("captured " + r + " " + local);
    m.coordinator.decider.reportReady(round, local);
  }

  private String localLabel(Round round) {
    String s = "group:" + m.config.group() + ":round:" + round.id() + (round.label() == null ? "" : ":" + round.label());
    return s.length() > 1000 ? s.substring(0, 1000) : s;
  }

  void restore(Round round) throws Exception {
    long r = round.id();
    GlobalEpoch target = z.epoch(round.target()).orElseThrow(
        () -> new GroupException("global epoch " + round.target() + " is not recorded"));
    long local = target.localEpoch(m.config.member());
    if (z.decision(r).isPresent()) {
      return;
    }
    if (!m.safePoints.enterExclusive(m.config.timeout().toNanos())) {
      throw new GroupException("no safe point within " + m.config.timeout() + ": a step stayed open");
    }
    if (m.closed) {
      m.safePoints.exitExclusive();
      return;
    }
    try {
      Trace.step("restore " + r + " " + round.target() + " " + local);
      m.config.checkpointer().restore(local, RestoreOption.ADOPT_OUTSIDE_CHANGES);
      m.coordinator.clearRequests();
      m.channels.resume(round.incarnation());
      m.rolledBackTo.set(round.target());
      Trace.step("restored " + r + " " + round.target() + " " + local);
    } finally {
      m.safePoints.exitExclusive();
    }
    m.coordinator.decider.reportReady(round, local);
  }

}
