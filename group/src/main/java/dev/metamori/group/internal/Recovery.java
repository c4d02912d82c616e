package dev.metamori.group.internal;

import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Znodes.VersionedHead;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.KeeperException;

/**
 * A member's way back into the group: fenced when its ZooKeeper session is lost, published
 * again once ZooKeeper is reachable, and, at every join, the group marked as owing a rollback
 * to its global epoch ({@code head.pending}); the member is recovered (and unfenced) once a
 * rollback round has cleared it.
 */
final class Recovery {
  private static final System.Logger LOG = System.getLogger("dev.metamori.group");

  private final GroupMember m;
  private final Coordinator c;
  private final Znodes z;
  /** The version of {@code head} this member's last {@code pending} write left, or -1 once recovered. */
  private volatile long recoveringVersion = -1;

  Recovery(GroupMember member, Coordinator coordinator) {
    this.m = member;
    this.c = coordinator;
    this.z = member.znodes;
  }

  void connectionChanged(ConnectionState state) {
    if (state == ConnectionState.LOST && !m.fenced) {
      m.fenced = true;
      m.channels.fenced(true);
      LOG.log(System.Logger.Level.WARNING, "member {0} of group {1} lost its ZooKeeper session: fenced until it rejoins",
          m.config.member(), m.config.group());
      c.announcer.fenced();
    } else if (state == ConnectionState.RECONNECTED && m.fenced && !c.stopped) {
      Thread t = Coordinator.daemon(this::rejoin, "metamori-group-" + m.config.member() + "-rejoin");
      t.start();
    }
    c.reconcileSoon();
  }

  /** After a lost session: publish again, and roll the group back to its global epoch. */
  private void rejoin() {
    while (!c.stopped && m.fenced) {
      try {
        c.watch();
        m.publish(m.deadline());
        request();
        return;
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "member {0} could not rejoin group {1} yet: {2}", m.config.member(),
            m.config.group(), e.toString());
        c.passes.awaitNext();
      }
    }
  }

  /**
   * Marks the group as needing a rollback to its global epoch (head {@code pending}), so that
   * every member restores its local epoch of it; false if the group has no global epoch yet.
   * This member takes part only in rounds opened after.
   */
  boolean request() throws Exception {
    while (true) {
      VersionedHead vh = z.head();
      Head h = vh.head();
      if (h.global() == 0) {
        return false;
      }
      c.skipRounds(h.round());
      try {
        int v = z.setHead(new Head(h.round(), h.global(), h.incarnation(), true, h.epochs()), vh.version());
        recoveringVersion = v;
        Trace.step("pending " + h.global());
        c.reconcileSoon();
        return true;
      } catch (KeeperException.BadVersionException e) {
        // a round opened or decided meanwhile: read again
      }
    }
  }

  /** A pass read {@code vh}: once a rollback after this member's request cleared pending, it is recovered. */
  void check(VersionedHead vh) {
    if (recoveringVersion >= 0 && !vh.head().pending() && vh.version() > recoveringVersion) {
      recoveringVersion = -1;
      if (m.fenced) {
        m.fenced = false;
        m.channels.fenced(false);
        LOG.log(System.Logger.Level.INFO, "member {0} rejoined group {1}", m.config.member(), m.config.group());
      }
    }
  }

  void awaitRecovered(long deadline) throws Exception {
    c.passes.awaitChange(deadline, () -> recoveringVersion >= 0,
        () -> "group '" + m.config.group() + "' did not finish rolling back to its global epoch within "
            + m.config.timeout() + " (members not connected: " + c.absentQuietly() + ")");
  }
}
