package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupException;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.GroupState;
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
import org.apache.zookeeper.WatchedEvent;
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
  private final GroupMember m;
  private final Znodes z;
  private final Participant part;
  final Announcer announcer;
  private final ExecutorService events;
  private final ExecutorService participant;
  private final ScheduledExecutorService ticker;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Map<Long, CompletableFuture<Decision>> waiters = new ConcurrentHashMap<>();
  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  private final Watcher watcher = this::changed;
  /** {@code head} at a version, and whether the group was settled then. */
  private record Known(VersionedHead head, boolean settled) {}

  private final java.util.concurrent.atomic.AtomicReference<Known> known = new java.util.concurrent.atomic.AtomicReference<>();
  final Decider decider;
  private final Object openLock = new Object();
  private int membersVersion = -1;
  private final java.util.concurrent.atomic.AtomicLong requested = new java.util.concurrent.atomic.AtomicLong();
  private long handledRound;
  /** The round of {@code head} at the last pass: where the next pass looks for a round first. */
  private volatile long seenRound;
  private long ownRound = -1;
  private int ownVersion = -1;
  volatile boolean stopped;
  final Passes passes;
  final Recovery recovery;

  Coordinator(GroupMember member) {
    this.m = member;
    this.z = member.znodes;
    this.part = new Participant(member);
    this.announcer = new Announcer(z, member.config.member(), member.listeners);
    this.decider = new Decider(member, this::decided);
    this.passes = new Passes(member.config.member());
    this.recovery = new Recovery(member, this);
    String name = "metamori-group-" + member.config.member();
    this.events = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-events"));
    this.participant = Executors.newSingleThreadExecutor(r -> daemon(r, name + "-capture"));
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, name + "-tick"));
  }

  static Thread daemon(Runnable r, String name) {
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

  void watch() throws Exception {
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
    passes.stop();
  }

  void execute(Runnable task) {
    try {
      events.execute(task);
    } catch (RejectedExecutionException e) {
      // stopped
    }
  }

  /**
   * A change under the group's root: a pass, unless the change cannot matter to one, and for
   * the two events a round waits on, the one asynchronous read they need, answered on
   * ZooKeeper's event thread without waiting for a pass: a new round's znode (this member's part
   * starts) and the decision of a round this member's caller waits for.
   */
  private void changed(WatchedEvent event) {
    String path = event.getPath();
    long r = path == null ? 0 : z.layout.roundIn(path);
    if (event.getType() == Watcher.Event.EventType.NodeCreated && r > 0) {
      if (path.equals(z.layout.round(r))) {
        takePart(r);
      } else if (path.equals(z.layout.decision(r)) && waiters.containsKey(r)) {
        readDecision(r);
      } else if (path.startsWith(z.layout.ready(r) + "/")) {
        decider.sawReady(r, path.substring(z.layout.ready(r).length() + 1));
      }
    }
    if (event.getType() == Watcher.Event.EventType.NodeCreated && path != null && path.startsWith(z.layout.epochs() + "/")) {
      committed(path.substring(z.layout.epochs().length() + 1));
    }
    if (wakesPass(event, path, r)) {
      reconcileSoon();
    }
  }

  /**
   * Global epoch {@code g} was recorded: only the decide multi that commits round {@code g}
   * creates it, so its caller, if it waits here, returns without reading the decision (whose
   * read, under way, still tells this member the head it left).
   */
  private void committed(String g) {
    try {
      decided(Long.parseLong(g), new Decision(Outcome.COMMIT, ""));
    } catch (NumberFormatException e) {
      // not a global epoch
    }
  }

  /**
   * Whether a pass may act differently after {@code event}. Not after: a global epoch recorded
   * (the multi that records it also sets {@code head}), a {@code ready} whose name carries its
   * epoch (the members decide from the events; the periodic pass of the coordinator is their
   * fallback) or the {@code ready} of a round this member does not coordinate, or the deletion
   * of an old round's znodes (pruning). The periodic pass is the safety net either way.
   */
  private boolean wakesPass(WatchedEvent event, String path, long r) {
    if (path == null) {
      return true;
    }
    if (path.startsWith(z.layout.epochs() + "/")) {
      return false;
    }
    if (r == 0) {
      return true;
    }
    if (event.getType() == Watcher.Event.EventType.NodeDeleted || path.equals(z.layout.ready(r))) {
      return false;
    }
    return !path.startsWith(z.layout.ready(r) + "/") || isOwn(r) && path.indexOf('@') < 0;
  }

  /** Takes no part in rounds up to {@code r}: opened before this member's rejoin. */
  synchronized void skipRounds(long r) {
    handledRound = Math.max(handledRound, r);
  }

  private void takePart(long r) {
    synchronized (this) {
      if (r <= handledRound) {
        return;
      }
    }
    try {
      z.whenUndecided(r, (round, vh) -> {
        known(vh, false);
        decider.opened(round, vh);
        participate(round);
      });
    } catch (Exception e) {
      // the pass that follows looks again
    }
  }

  private void readDecision(long r) {
    try {
      z.whenDecided(r, (d, vh) -> {
        known(vh, vh.head().round() == r && !vh.head().pending());
        decided(r, d);
      });
    } catch (Exception e) {
      // the pass that follows looks again
    }
  }

  /** Round {@code r} was decided: its caller, if it waits here, returns. */
  private void decided(long r, Decision d) {
    CompletableFuture<Decision> waiter = waiters.get(r);
    if (waiter != null) {
      waiter.complete(d);
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
   * If {@code awaited}, the caller then waits with {@link #awaitDecision}, and the decision is
   * awaited from before the open (the round may be decided before the caller waits).
   */
  boolean open(Round round, Head next, int version, boolean awaited) throws Exception {
    // one open at a time per member: the application's commit and this member's recovery pass
    // both open rounds, and the read-back below can only tell sessions apart, not threads
    synchronized (openLock) {
      synchronized (this) {
        ownRound = round.id();
        ownVersion = version + 1;
      }
      if (awaited) {
        waiters.computeIfAbsent(round.id(), k -> new CompletableFuture<>());
      }
      try {
        z.openRound(next, version, round, m.config.roster());
        Trace.step("open " + round.id());
      } catch (KeeperException.BadVersionException | KeeperException.NodeExistsException
          | KeeperException.NoNodeException e) { // NoNode: a member's znode is gone
        Optional<Open> open = z.open();
        if (!open.isPresent() || open.get().round() != round.id() || open.get().owner() != m.sessionId()) {
          synchronized (this) {
            ownRound = -1;
          }
          waiters.remove(round.id());
          return false;
        }
        // a retry after a lost connection found this member's own multi done
      } catch (Exception e) {
        waiters.remove(round.id());
        throw e;
      }
      VersionedHead vh = new VersionedHead(next, version + 1);
      known(vh, false);
      decider.opened(round, vh);
      participate(round); // this member's part starts at once, without waiting for its watch
      reconcileSoon();
      return true;
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

  /**
   * {@code head} as this member last knew it (from a pass, its own open or decision, or the
   * read of a decision), if the group was settled then and owed no rollback; else null. An open
   * from it fails if {@code head} changed since (its version) or a round is open.
   */
  VersionedHead settledHead() {
    Known k = known.get();
    return k != null && k.settled() ? k.head() : null;
  }

  /** Learns {@code head} at a version; {@code settled}: no round was open or undecided then, no rollback owed. */
  void known(VersionedHead vh, boolean settled) {
    Known k = new Known(vh, settled);
    known.accumulateAndGet(k, (a, b) -> a == null || b.head().version() > a.head().version()
        || b.head().version() == a.head().version() && !b.settled() ? b : a);
  }

  /** Waits until no round is open and the group is not recovering; head as it is then. */
  GroupState awaitSettled(long deadline) throws Exception {
    GroupState[] out = new GroupState[1];
    passes.awaitChange(deadline, () -> {
      GroupState state = z.state(seenRound);
      out[0] = state;
      return state.head().head().pending() || state.open().isPresent() || !state.settled();
    }, () -> "group '" + m.config.group() + "' stayed busy for " + m.config.timeout()
        + " (a round open, or a recovery waiting for members " + absentQuietly() + ")");
    return out[0];
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
      GroupState state = z.state(seenRound);
      VersionedHead vh = state.head();
      Head h = vh.head();
      seenRound = h.round();
      Optional<Open> open = state.open();
      known(vh, state.settled() && open.isEmpty() && !h.pending());
      Set<String> present = state.members();
      if (state.membersVersion() != membersVersion) { // someone came or went: read every address again
        addresses.keySet().retainAll(present);
        for (String id : present) {
          z.member(id).ifPresent(e -> addresses.put(id, new InetSocketAddress(e.getKey().host(), e.getKey().port())));
        }
        membersVersion = state.membersVersion();
      }
      recovery.check(vh);
      long r = h.round();
      Optional<Decision> decision = state.decision();
      Optional<Round> round = state.round();
      for (Long w : waiters.keySet()) {
        (w == r ? decision : z.decision(w)).ifPresent(d -> decided(w, d));
      }
      if (round.isPresent()) {
        if (decision.isPresent()) {
          if (open.isPresent() && open.get().round() == r && open.get().owner() == m.sessionId()) {
            z.deleteQuietly(z.layout.open()); // aborted by another member while this one coordinated
          }
        } else {
          decider.opened(round.get(), vh);
          participate(round.get());
          if (open.isEmpty() || open.get().round() != r) {
            z.abort(r, "the member that opened round " + r + " left before deciding it");
          } else if (open.get().owner() == m.sessionId() && isOwn(r)) {
            int version;
            synchronized (this) {
              version = ownVersion;
            }
            decider.coordinate(round.get(), vh, present, version);
          }
        }
      }
      boolean settled = state.settled();
      if (h.pending() && settled && open.isEmpty() && present.containsAll(m.config.roster())) {
        openRecovery(vh);
      } else if (!h.pending() && settled && open.isEmpty() && requested.get() > m.channels.capturedRound()
          && present.containsAll(m.config.roster()) && !m.fenced) {
        m.rounds.commitInBackground();
      }
      announcer.decided(r, decision, m.fenced); // last: the listeners' reads hold up none of the above
    } catch (Exception e) {
      LOG.log(System.Logger.Level.DEBUG, "member {0}: pass over group {1} failed, retried on the next change: {2}",
          m.config.member(), m.config.group(), e.toString());
    } finally {
      passes.passed();
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
    Round round = new Round(r, Kind.ROLLBACK, null, h.global(), h.incarnation() + 1, vh.version() + 1);
    open(round, new Head(r, h.global(), h.incarnation() + 1, true, target.localEpochs()), vh.version(), false);
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

  Set<String> absentQuietly() {
    try {
      return m.absent();
    } catch (Exception e) {
      return m.config.roster();
    }
  }
}
