package dev.metamori.group.internal;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** Looks into and disturbs a member's {@link Channels} from tests. */
final class Probe {
  static final int NEXT_SEND = 0;
  static final int RETAINED = 1;
  static final int HELD_ACKS = 2;
  static final int DELIVERED = 3;
  static final int ARRIVED = 4;

  private Probe() {}

  /** Per peer: {next send, retained, held acks, delivered, arrived}. */
  static Map<String, long[]> counts(Channels c) {
    c.lock.lock();
    try {
      Map<String, long[]> m = new TreeMap<>();
      for (String p : c.outboxes.keySet()) {
        Outbox o = c.outboxes.get(p);
        Inbox in = c.inboxes.get(p);
        m.put(p, new long[] {o.nextSend(), o.size(), o.heldAcks(), in.delivered, in.arrived.size()});
      }
      return m;
    } finally {
      c.lock.unlock();
    }
  }

  static long count(Channels c, String peer, int which) {
    return counts(c).get(peer)[which];
  }

  /**
   * Waits until {@code condition} holds of {@link #counts}; false after {@code bound}, which
   * only keeps a broken run from hanging.
   */
  static boolean await(Channels c, Predicate<Map<String, long[]>> condition, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    c.lock.lock();
    try {
      while (!condition.test(counts(c))) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        // acknowledgements and deliveries signal this condition; the cap covers arrivals of held frames
        c.appChanged.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(20)));
      }
      return true;
    } finally {
      c.lock.unlock();
    }
  }

  /** Closes every connection of {@code c}, as a network failure would. */
  static void dropConnections(Channels c) {
    List<Connection> all = new ArrayList<>();
    c.lock.lock();
    try {
      c.outboxes.values().stream().filter(o -> o.conn != null).forEach(o -> all.add(o.conn));
      c.inboxes.values().stream().filter(i -> i.conn != null).forEach(i -> all.add(i.conn));
    } finally {
      c.lock.unlock();
    }
    all.forEach(c.wire::detach);
  }

  /** Damages the next DATA frame {@code c} transmits. */
  static void damageNextFrame(Channels c) {
    c.links.damageNext.set(true);
  }

  static String describe(Map<String, long[]> counts) {
    StringBuilder b = new StringBuilder();
    counts.forEach((p, v) -> b.append(p).append(": next send ").append(v[0]).append(", retained ").append(v[1])
        .append(", held acks ").append(v[2]).append(", delivered ").append(v[3]).append(", arrived ").append(v[4]).append("; "));
    return b.toString();
  }
}
