package dev.metamori.group.internal;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.OutsideChange;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupException;
import dev.metamori.group.GroupLog;
import dev.metamori.group.NoSuchGlobalEpochException;
import dev.metamori.group.NoSuchGroupException;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.Stat;

/**
 * Reads and restores a group from outside it, for tools: no member znode, no round opened, no
 * persistent watch. A restore sets {@code head} to the target with {@code pending}, with one
 * version-checked write, and the members carry it out with their recovery round; see
 * docs/group.md, "Restoring from outside".
 */
public final class Outside {
  /** How many of the groups there are an unknown group's message lists. */
  private static final int KNOWN_LISTED = 20;

  private final CuratorFramework client;
  private final String group;
  private final Znodes z;

  public Outside(CuratorFramework client, String group) {
    this.client = client;
    this.group = GroupConfig.checkName("group", group);
    this.z = new Znodes(client, Layout.of(group));
  }

  /** The group's global epochs, where it is and who is connected. */
  public GroupLog log() throws Exception {
    Head h = head().head();
    return new GroupLog(group, h.global(), h.pending(), z.members(), z.epochs());
  }

  /**
   * Restores the group to global epoch {@code g}. With no stores, every member must be
   * connected: the group rolls back as after a member's {@code restore(g)}, and this returns
   * once it has. With stores, no member may be connected: each store is restored to its
   * member's local epoch of {@code g}, then {@code head} moves to {@code g}.
   */
  public GlobalEpoch restore(long g, Map<String, Checkpointer> stores, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    VersionedHead vh = head();
    GlobalEpoch target = epoch(g);
    Set<String> roster = target.localEpochs().keySet();
    Set<String> connected = z.members();
    if (stores.isEmpty()) {
      Set<String> missing = new TreeSet<>(roster);
      missing.removeAll(connected);
      if (!missing.isEmpty()) {
        throw new GroupException("members " + missing + " of group '" + group + "' are not running (connected: "
            + connected + "); start them, or stop every member and restore their stores instead");
      }
      return restoreRunning(target, deadline, timeout);
    }
    Set<String> running = new TreeSet<>(roster);
    running.retainAll(connected);
    if (!running.isEmpty()) {
      throw new GroupException("members " + running + " of group '" + group + "' are running, so their stores are in"
          + " use; restore without stores (the running group rolls back), or stop every member first");
    }
    if (!stores.keySet().equals(roster)) {
      Set<String> lacking = new TreeSet<>(roster);
      lacking.removeAll(stores.keySet());
      Set<String> extra = new TreeSet<>(stores.keySet());
      extra.removeAll(roster);
      throw new GroupException("global epoch " + g + " of group '" + group + "' has members " + roster
          + (lacking.isEmpty() ? "" : "; give the stores of " + lacking)
          + (extra.isEmpty() ? "" : "; " + extra + " are not members"));
    }
    restoreStores(target, stores);
    Head h = vh.head();
    try {
      z.setHead(new Head(h.round(), g, h.incarnation(), true, target.localEpochs()), vh.version());
    } catch (KeeperException.BadVersionException e) {
      throw new GroupException("group '" + group + "' changed while its stores were restored (a member joined?): the"
          + " stores are at their local epochs of global epoch " + g + " but the group's head was not moved, so"
          + " members that join roll back to global epoch " + h.global() + "; stop every member and restore again");
    }
    return target;
  }

  /**
   * Checks every store first (it has its local epoch of the target, nothing changed behind its
   * back), so that a refusal changes no store; then restores them one by one.
   */
  private void restoreStores(GlobalEpoch target, Map<String, Checkpointer> stores) throws IOException {
    for (Map.Entry<String, Checkpointer> e : new java.util.TreeMap<>(stores).entrySet()) {
      long local = target.localEpoch(e.getKey());
      Checkpointer cp = e.getValue();
      boolean has = false;
      for (Epoch ep : cp.epochs()) {
        has |= ep.id() == local;
      }
      if (!has) {
        throw new GroupException("the store given for member '" + e.getKey() + "' has no epoch " + local
            + " (its local epoch of global epoch " + target.id() + "): is it that member's store?");
      }
      List<OutsideChange> outside = cp.status();
      if (!outside.isEmpty()) {
        cp.restore(local); // refuses, naming the changes; no store has changed yet
      }
    }
    for (Map.Entry<String, Checkpointer> e : new java.util.TreeMap<>(stores).entrySet()) {
      e.getValue().restore(target.localEpoch(e.getKey()));
    }
  }

  /**
   * Sets head to (target, pending) if no one changed it since it was read; the members' next
   * pass opens the rollback round, as after a member's restart. A round open then can no longer
   * decide (head's version changed): the same multi aborts it, saying why, so that its caller
   * learns of the restore. Then waits until a rollback round clears {@code pending}.
   */
  private GlobalEpoch restoreRunning(GlobalEpoch target, long deadline, Duration timeout) throws Exception {
    long g = target.id();
    long round;
    int version;
    while (true) {
      VersionedHead vh = head();
      Head h = vh.head();
      Head next = new Head(h.round(), g, h.incarnation(), true, target.localEpochs());
      try {
        if (h.round() > 0 && z.decision(h.round()).isEmpty()) {
          version = z.setHeadAborting(next, vh.version(), h.round(), "group '" + group + "' is being restored to global"
              + " epoch " + g + " from outside it (CheckpointGroup.restore, metamori group restore), so this round"
              + " cannot commit: every member restores its local epoch of global epoch " + g + " at its next safe point");
        } else {
          version = z.setHead(next, vh.version());
        }
        round = h.round();
        break;
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
        // a round opened, was decided or was aborted meanwhile: read again
        if (System.nanoTime() > deadline) {
          throw new GroupException("group '" + group + "' kept changing (rounds opening and closing) until the"
              + " timeout; nothing was changed, try again");
        }
      }
    }
    while (true) {
      CountDownLatch changed = new CountDownLatch(1);
      Stat stat = new Stat();
      byte[] data = client.getData().storingStatIn(stat).usingWatcher((CuratorWatcher) ev -> changed.countDown())
          .forPath(z.layout.head());
      Head h = Head.decode(data);
      if (!h.pending() && stat.getVersion() > version) {
        if (h.global() == g || rolledBackTo(g, round, h.round())) {
          return target;
        }
        throw new GroupException("group '" + group + "' was restored to global epoch " + h.global()
            + " by another restore meanwhile; it is there now");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0 || !changed.await(left, TimeUnit.NANOSECONDS)) {
        throw new GroupException("group '" + group + "' has not rolled back to global epoch " + g + " within "
            + timeout.toString().substring(2).toLowerCase(java.util.Locale.ROOT) + ": " + waitingFor(target));
      }
    }
  }

  /** What a running group's rollback to {@code target} still waits for, and that it stays owed. */
  private String waitingFor(GlobalEpoch target) throws Exception {
    Set<String> roster = target.localEpochs().keySet();
    Set<String> missing = new TreeSet<>(roster);
    missing.removeAll(z.members());
    if (!missing.isEmpty()) {
      return "members " + missing + " are not connected; the rollback stays owed (group log shows it pending) and"
          + " runs once every member is";
    }
    Head h = head().head();
    if (h.global() != target.id()) {
      return "another restore, to global epoch " + h.global() + ", came after it; the group goes there";
    }
    Set<String> waiting = new TreeSet<>(roster);
    Optional<Round> round = z.round(h.round());
    if (round.isPresent() && round.get().kind() == Kind.ROLLBACK && round.get().target() == target.id()) {
      waiting.removeAll(z.readyMembers(h.round()));
    }
    return "members " + waiting + " have not restored their local epochs of it. A member restores at its next safe"
        + " point (between two of its steps, or while it waits in a receive), so a step that does not end holds the"
        + " rollback back; it stays owed (group log shows it pending) and runs once they reach one";
  }

  /** Whether a rollback round after {@code from}, up to {@code to}, restored the group to {@code g}. */
  private boolean rolledBackTo(long g, long from, long to) throws Exception {
    for (long r = from + 1; r <= to; r++) {
      Optional<Round> round = z.round(r);
      Optional<Decision> d = z.decision(r);
      if (round.isPresent() && round.get().kind() == Kind.ROLLBACK && round.get().target() == g
          && d.isPresent() && d.get().outcome() == Outcome.ROLLED_BACK) {
        return true;
      }
    }
    return false;
  }

  private VersionedHead head() throws Exception {
    try {
      return z.head();
    } catch (KeeperException.NoNodeException e) {
      throw noSuchGroup();
    }
  }

  /** Names where the group was looked for and the groups that are there. */
  private NoSuchGroupException noSuchGroup() throws Exception {
    List<String> known;
    try {
      known = new ArrayList<>(new TreeSet<>(client.getChildren().forPath(Layout.GROUPS)));
    } catch (KeeperException.NoNodeException e) {
      known = new ArrayList<>();
    }
    known.remove(group); // its root without a head: no member finished joining it
    String listed = known.size() <= KNOWN_LISTED ? String.join(", ", known)
        : String.join(", ", known.subList(0, KNOWN_LISTED)) + " and " + (known.size() - KNOWN_LISTED) + " more";
    return new NoSuchGroupException(group, "no group '" + group + "' under ZooKeeper "
        + client.getZookeeperClient().getCurrentConnectionString() + " (no " + z.layout.head() + "); "
        + (known.isEmpty() ? "no group has joined through it yet" : "known groups: " + listed)
        + ". Check the group's name and the ZooKeeper address; a group exists once a member has joined it");
  }

  private GlobalEpoch epoch(long g) throws Exception {
    return z.epoch(g).orElseThrow(() -> new NoSuchGlobalEpochException(g, group));
  }

  /** Wraps a ZooKeeper failure in a message that says what to do. */
  public static IOException failure(String what, CuratorFramework client, Exception e) {
    if (e instanceof IOException io) {
      return io;
    }
    if (e instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new InterruptedIOException("interrupted while trying to " + what);
    }
    if (e instanceof KeeperException.ConnectionLossException || e instanceof KeeperException.SessionExpiredException
        || e instanceof KeeperException.OperationTimeoutException) {
      return new GroupException("could not " + what + ": ZooKeeper (" + client.getZookeeperClient().getCurrentConnectionString()
          + ") is unreachable or has no quorum; check that it is up and reachable from this machine", e);
    }
    if (e instanceof RuntimeException r) {
      throw r;
    }
    return new GroupException("could not " + what + ": " + e, e);
  }
}
