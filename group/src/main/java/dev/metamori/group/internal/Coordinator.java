package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupException;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.Open;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher;

/**
 * Follows the group's znodes for one member and acts on them, level-triggered: every change
 * under the group's root (one persistent recursive watch) and a periodic tick run {@link
 * #reconcile()}, which reads where the group is and does this member's part: capture or restore
 * in the open round (on the participant thread, at a safe point), decide the round it opened,
 * abort a round whose opener left, open the recovery round the group needs.
 */
final class Coordinator {
  private static final System.Logger LOG = System.getLogger("dev.metamori.group");
  /** Round znodes kept behind the newest decided one. */
  private static final int ROUNDS_KEPT = 32;

  private final GroupMember m;
  private final Znodes z;
  private final Participant part;
  private final Announcer announcer;
  private final ExecutorService events;
  private final ExecutorService participant;
  private final ScheduledExecutorService ticker;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Map<Long, CompletableFuture<Decision>> waiters = new ConcurrentHashMap<>();
  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  private final Watcher watcher = event -> reconcileSoon();
  private final Object monitor = new Object();
  private final Object openLock = new Object();
  private long generation;
  private int membersVersion = -1;
  private final java.util.concurrent.atomic.AtomicLong requested = new java.util.concurrent.atomic.AtomicLong();
  private long handledRound;
  private long ownRound = -1;
  private int ownVersion = -1;
  private volatile long recoveringVersion = -1;
  private volatile boolean stopped;

  Coordinator(GroupMember member) {
    this.m = member;
    this.z = member.znodes;
    this.part = new Participant(member);
    this.announcer = new Announcer(z, member.config.member(), member.listeners);
    String name = "metamori-group-" + member.config.member();
    this.events = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-events"));
    this.participant = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-capture"));
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-tick"));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  void start() throws Exception {
    watch();
    long tick = Math.max(200, Math.min(1000, m.config.sessionTimeout().toMillis() / 4));
    ticker.scheduleWithFixedDelay(this::reconcileSoon, tick, tick, TimeUnit.MILLISECONDS);
    reconcileSoon();
  }

  private void watch() throws Exception {
    m.client.watchers().add().withMode(AddWatchMode.PERSISTENT_RECURSIVE).usingWatcher(watcher).forPath(z.layout.root());
  }

  void stop() {
    stopped = true;
    ticker.shutdownNow();
    events.shutdownNow();
    participant.shutdown(); // not interrupted: it may be inside the Checkpointer's file I/O
    announcer.stop();
    try {
      m.client.watchers().remove(watcher).quietly().forPath(z.layout.root());
    } catch (Exception e) {
      // the client is closing
    }
    waiters.values().forEach(f -> f.completeExceptionally(new GroupException("member '" + m.config.member() + "' left the group")));
    signal();
  }

  void execute(Runnable task) {
    try {
      events.execute(task);
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  void reconcileSoon() {
    if (!stopped && scheduled.compareAndSet(false, true)) {
      execute(() -> {
        scheduled.set(false);
        reconcile();
      });
    }
  }

  void connectionChanged(ConnectionState state) {
    if (state == ConnectionState.LOST && !m.fenced) {
      m.fenced = true;
      m.channels.fenced(true);
      LOG.log(System.Logger.Level.WARNING, "member {0} of group {1} lost its ZooKeeper session: fenced until it rejoins",
          m.config.member(), m.config.group());
      announcer.fenced();
    } else if (state == ConnectionState.RECONNECTED && m.fenced && !stopped) {
      Thread t = daemon(this::rejoin, "metamori-group-" + m.config.member() + "-rejoin");
      t.start();
    }
    reconcileSoon();
  }

  /** After a lost session: publish again, and roll the group back to its global epoch. */
  private void rejoin() {
    while (!stopped && m.fenced) {
      try {
        watch();
        m.publish(m.deadline());
        requestRecovery();
        return;
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "member {0} could not rejoin group {1} yet: {2}", m.config.member(),
            m.config.group(), e.toString());
        awaitQuietly();
      }
    }
  }

  /**
   * Marks the group as needing a rollback to its global epoch (head {@code pending}), so that
   * every member restores its local epoch of it; false if the group has no global epoch yet.
   */
  boolean requestRecovery() throws Exception {
    while (true) {
      VersionedHead vh = z.head();
      Head h = vh.head();
      if (h.global() == 0) {
        return false;
      }
      synchronized (this) {
        handledRound = Math.max(handledRound, h.round());
      }
      try {
        int v = z.setHead(new Head(h.round(), h.global(), h.incarnation(), true, h.epochs()), vh.version());
        recoveringVersion = v;
        Trace.step("pending " + h.global());
        reconcileSoon();
        return true;
      } catch (KeeperException.BadVersionException e) {
        // a round opened or decided meanwhile: read again
      }
    }
  }

  void awaitRecovered(long deadline) throws Exception {
    awaitChange(deadline, () -> recoveringVersion >= 0,
        () -> "group '" + m.config.group() + "' did not finish rolling back to its global epoch within "
            + m.config.timeout() + " (members not connected: " + absentQuietly() + ")");
  }

  /** A dead process of this member left its session: end what it owned. */
  void clearDeadSession(long owner) throws Exception {
    Optional<Open> open = z.open();
    if (open.isPresent() && open.get().owner() == owner) {
      z.abort(open.get().round(), "member '" + m.config.member() + "', which opened the round, died");
      z.deleteQuietly(z.layout.open());
    }
    Optional<Map.Entry<Records.MemberInfo, Long>> old = z.member(m.config.member());
    if (old.isPresent() && old.get().getValue() == owner) {
      z.deleteQuietly(z.layout.member(m.config.member()));
    }
  }

  /**
   * Opens a round with one multi; false if another member changed head or opened a round
   * first. On a lost connection the multi may have happened: the read-back of {@code open} says.
   */
  boolean open(Round round, Head next, int version) throws Exception {
    // one open at a time per member: the application's commit and this member's recovery pass
    // both open rounds, and the read-back below can only tell sessions apart, not threads
    synchronized (openLock) {
      synchronized (this) {
        ownRound = round.id();
        ownVersion = version + 1;
      }
      try {
        z.openRound(next, version, round);
        Trace.step("open " + round.id());
        reconcileSoon();
        return true;
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException e) {
        Optional<Open> open = z.open();
        if (open.isPresent() && open.get().round() == round.id() && open.get().owner() == m.sessionId()) {
          reconcileSoon(); // a retry after a lost connection found this member's own multi done
          return true;
        }
        synchronized (this) {
          ownRound = -1;
        }
        return false;
      }
    }
  }

  Decision awaitDecision(long r, long deadline) throws Exception {
    CompletableFuture<Decision> f = waiters.computeIfAbsent(r, k -> new CompletableFuture<>());
    reconcileSoon();
    try {
      return f.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      Set<String> missing = new TreeSet<>(m.config.roster());
      missing.removeAll(z.ready(r).keySet());
      return z.abort(r, "members " + missing + " did not report ready within " + m.config.timeout()
          + " (a member whose steps never end cannot capture)");
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception ? (Exception) e.getCause() : e;
    } finally {
      waiters.remove(r);
    }
  }

  /** Waits until no round is open and the group is not recovering; head as it is then. */
  VersionedHead awaitSettled(long deadline) throws Exception {
    VersionedHead[] out = new VersionedHead[1];
    awaitChange(deadline, () -> {
      VersionedHead vh = z.head();
      Head h = vh.head();
      boolean busy = h.pending() || z.open().isPresent() || (h.round() > 0 && z.decision(h.round()).isEmpty());
      out[0] = vh;
      return busy;
    }, () -> "group '" + m.config.group() + "' stayed busy for " + m.config.timeout()
        + " (a round open, or a recovery waiting for members " + absentQuietly() + ")");
    return out[0];
  }

  interface Check {
    boolean waiting() throws Exception;
  }

  /** Waits while {@code check} says so, re-checking after every pass of reconcile. */
  void awaitChange(long deadline, Check check, Supplier<String> timeoutMessage) throws Exception {
    while (true) {
      long seen;
      synchronized (monitor) {
        seen = generation;
      }
      if (!check.waiting()) {
        return;
      }
      if (stopped) {
        throw new GroupException("member '" + m.config.member() + "' left the group");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new GroupException(timeoutMessage.get());
      }
      synchronized (monitor) {
        while (generation == seen && left > 0 && !stopped) {
          TimeUnit.NANOSECONDS.timedWait(monitor, left);
          left = deadline - System.nanoTime();
        }
      }
    }
  }

  private void awaitQuietly() {
    try {
      synchronized (monitor) {
        long seen = generation;
        while (generation == seen && !stopped) {
          monitor.wait();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void signal() {
    synchronized (monitor) {
      generation++;
      monitor.notifyAll();
    }
  }

  InetSocketAddress address(String member) {
    return addresses.get(member);
  }

  /**
   * A peer's frame tagged with {@code round} waits for this member to capture that round: once
   * no round is open, the group is settled and this member has not captured it, a pass starts
   * a commit round (an open round at least {@code round} is captured anyway).
   */
  void requestCapture(long round) {
    requested.accumulateAndGet(round, Math::max);
    reconcileSoon();
  }

  /** After a restore: frames that asked for captures before it are gone with their incarnation. */
  void clearRequests() {
    requested.set(0);
  }

  void abortOwnRound(String reason) throws Exception {
    long r;
    synchronized (this) {
      r = ownRound;
    }
    Optional<Open> open = z.open();
    if (r > 0 && open.isPresent() && open.get().round() == r && open.get().owner() == m.sessionId()) {
      z.abort(r, reason);
      z.deleteQuietly(z.layout.open());
    }
  }

  /** One pass: read where the group is and do this member's part. */
  private void reconcile() {
    if (stopped) {
      return;
    }
    try {
      if (!m.client.getZookeeperClient().isConnected()) {
        return;
      }
      VersionedHead vh = z.head();
      Head h = vh.head();
      Optional<Open> open = z.open();
      Map.Entry<Set<String>, Integer> members = z.membersVersioned();
      Set<String> present = members.getKey();
      if (members.getValue() != membersVersion) { // someone came or went: read every address again
        addresses.keySet().retainAll(present);
        for (String id : present) {
          z.member(id).ifPresent(e -> addresses.put(id, new InetSocketAddress(e.getKey().host(), e.getKey().port())));
        }
        membersVersion = members.getValue();
      }
      if (recoveringVersion >= 0 && !h.pending() && vh.version() > recoveringVersion) {
        recoveringVersion = -1;
        if (m.fenced) {
          m.fenced = false;
          m.channels.fenced(false);
          LOG.log(System.Logger.Level.INFO, "member {0} rejoined group {1}", m.config.member(), m.config.group());
        }
      }
      long r = h.round();
      for (Long w : waiters.keySet()) {
        z.decision(w).ifPresent(d -> waiters.get(w).complete(d));
      }
      Optional<Decision> decision = r == 0 ? Optional.empty() : z.decision(r);
      Optional<Round> round = r == 0 ? Optional.empty() : z.round(r);
      if (round.isPresent()) {
        if (decision.isPresent()) {
          if (open.isPresent() && open.get().round() == r && open.get().owner() == m.sessionId()) {
            z.deleteQuietly(z.layout.open()); // aborted by another member while this one coordinated
          }
        } else {
          participate(round.get());
          if (open.isEmpty() || open.get().round() != r) {
            z.abort(r, "the member that opened round " + r + " left before deciding it");
          } else if (open.get().owner() == m.sessionId() && isOwn(r)) {
            coordinate(round.get(), vh, present);
          }
        }
      }
      boolean settled = r == 0 || decision.isPresent();
      if (h.pending() && settled && open.isEmpty() && present.containsAll(m.config.roster())) {
        openRecovery(vh);
      } else if (!h.pending() && settled && open.isEmpty() && requested.get() > m.channels.capturedRound()
          && present.containsAll(m.config.roster()) && !m.fenced) {
        m.commitInBackground();
      }
      announcer.decided(r, decision, m.fenced); // last: the listeners' reads hold up none of the above
    } catch (Exception e) {
      LOG.log(System.Logger.Level.DEBUG, "member {0}: pass over group {1} failed, retried on the next change: {2}",
          m.config.member(), m.config.group(), e.toString());
    } finally {
      signal();
    }
  }

  private synchronized boolean isOwn(long r) {
    return ownRound == r;
  }

  private void openRecovery(VersionedHead vh) throws Exception {
    Head h = vh.head();
    GlobalEpoch target = z.epoch(h.global()).orElseThrow(
        () -> new IllegalStateException("head names global epoch " + h.global() + ", which is missing"));
    long r = h.round() + 1;
    Round round = new Round(r, Kind.ROLLBACK, null, h.global(), h.incarnation() + 1);
    open(round, new Head(r, h.global(), h.incarnation() + 1, true, target.localEpochs()), vh.version());
  }

  /** This member opened round r: decide it once everyone is ready, abort it if someone left. */
  private void coordinate(Round round, VersionedHead vh, Set<String> present) throws Exception {
    long r = round.id();
    Head h = vh.head();
    int version;
    synchronized (this) {
      version = ownVersion;
    }
    if (vh.version() < version) {
      // this pass read the head before this member's own open of the round (the reads of a
      // pass are not one snapshot): look again at the next pass
      return;
    }
    if (vh.version() != version) {
      // a member rejoined (it set pending): it takes no part in this round, which cannot commit
      z.abort(r, "the group's head changed during the round: a member rejoined, and the group rolls back");
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
    Map<String, Long> ready = z.ready(r);
    try {
      Trace.step("decide " + r);
      if (round.kind() == Kind.COMMIT) {
        GlobalEpoch e = new GlobalEpoch(r, h.global(), round.label(), ready);
        z.decide(r, Outcome.COMMIT, new Head(r, r, h.incarnation(), false, ready), version, e);
      } else {
        z.decide(r, Outcome.ROLLED_BACK, new Head(r, h.global(), h.incarnation(), false, h.epochs()), version, null);
      }
      Trace.step("decided " + r);
      CompletableFuture<Decision> waiter = waiters.get(r);
      if (waiter != null) {
        waiter.complete(new Decision(round.kind() == Kind.COMMIT ? Outcome.COMMIT : Outcome.ROLLED_BACK, ""));
      }
      z.pruneRound(r - ROUNDS_KEPT);
    } catch (KeeperException.BadVersionException e) {
      z.abort(r, "the group's head changed during the round: a member rejoined, and the group rolls back");
    } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
      // decided by another member first (an abort)
    }
  }

  /** Runs this member's part of round r, once, on the participant thread. */
  private void participate(Round round) {
    synchronized (this) {
      if (round.id() <= handledRound) {
        return;
      }
      handledRound = round.id();
    }
    try {
      participant.execute(() -> {
        try {
          if (round.kind() == Kind.COMMIT) {
            part.capture(round);
          } else {
            part.restore(round);
          }
        } catch (Exception e) {
          if (stopped) {
            return;
          }
          try {
            z.abort(round.id(), "member '" + m.config.member() + "' failed: " + e);
          } catch (Exception again) {
            LOG.log(System.Logger.Level.WARNING, "member {0} could not abort round {1}: {2}", m.config.member(),
                round.id(), again.toString());
          }
        }
      });
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  private Set<String> absentQuietly() {
    try {
      return m.absent();
    } catch (Exception e) {
      return m.config.roster();
    }
  }
}
