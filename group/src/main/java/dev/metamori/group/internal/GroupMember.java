package dev.metamori.group.internal;

import dev.metamori.group.CheckpointGroup;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupChannel;
import dev.metamori.group.GroupException;
import dev.metamori.group.GroupFencedException;
import dev.metamori.group.GroupListener;
import dev.metamori.group.GroupRolledBackException;
import dev.metamori.group.GroupStep;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.MemberInfo;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.VersionedHead;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.KeeperException;

/**
 * A member of a group: the public {@link CheckpointGroup} and the {@link ChannelHost} of its
 * channels. Its {@link Coordinator} follows the group's znodes; this class joins, opens rounds
 * for the application and waits for their decisions.
 */
public final class GroupMember implements CheckpointGroup, ChannelHost {
  /** The name under which the channels' state is registered with the member's Checkpointer. */
  public static final String CHANNELS_NAME = "metamori.group.channels";

  private static final System.Logger LOG = System.getLogger("dev.metamori.group");

  final GroupConfig config;
  final CuratorFramework client;
  private final boolean ownsClient;
  final Znodes znodes;
  final SafePoints safePoints = new SafePoints();
  final List<GroupListener> listeners = new CopyOnWriteArrayList<>();
  final AtomicLong rolledBackTo = new AtomicLong(-1);
  final Set<Long> ownSessions = new HashSet<>();
  final Coordinator coordinator;
  final Rounds rounds;
  private final org.apache.curator.framework.state.ConnectionStateListener connectionListener;
  MemberChannels channels;
  InetSocketAddress address;
  volatile boolean fenced;
  volatile boolean closed;

  private GroupMember(GroupConfig config, CuratorFramework client, boolean ownsClient) {
    this.config = config;
    this.client = client;
    this.ownsClient = ownsClient;
    this.znodes = new Znodes(client, Layout.of(config.group()));
    this.coordinator = new Coordinator(this);
    this.rounds = new Rounds(this);
    this.connectionListener = (c, state) -> coordinator.recovery.connectionChanged(state);
  }

  /** Joins the group described by {@code config}, with channels made by {@code factory}. */
  public static GroupMember join(GroupConfig config, MemberChannels.Factory factory) throws IOException {
    CuratorFramework client = config.curator();
    boolean owns = client == null;
    if (owns) {
      int session = (int) Math.min(Integer.MAX_VALUE, config.sessionTimeout().toMillis());
      client =
          CuratorFrameworkFactory.builder()
              .connectString(config.connectString())
              .sessionTimeoutMs(session)
              .connectionTimeoutMs(Math.min(session, 15_000))
              .retryPolicy(new ExponentialBackoffRetry(100, 3))
              .build();
      client.start();
    }
    GroupMember m = new GroupMember(config, client, owns);
    try {
      m.start(factory);
      return m;
    } catch (IOException | RuntimeException e) {
      m.closeQuietly();
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      m.closeQuietly();
      throw new InterruptedIOException("interrupted while joining group " + config.group());
    } catch (Exception e) {
      m.closeQuietly();
      throw m.zookeeperFailure("join group '" + config.group() + "'", e);
    }
  }

  private void start(MemberChannels.Factory factory) throws Exception {
    long deadline = deadline();
    if (!client.blockUntilConnected((int) config.timeout().toMillis(), TimeUnit.MILLISECONDS)) {
      throw new GroupException(
          "cannot reach ZooKeeper (" + describeZookeeper() + ") within " + config.timeout()
              + "; check that the ensemble is up, has a quorum and is reachable from this machine");
    }
    znodes.ensure();
    Set<String> peers = new TreeSet<>(config.roster());
    peers.remove(config.member());
    channels = factory.create(this, Set.copyOf(peers));
    address = channels.listen(config.bind());
    config.checkpointer().register(CHANNELS_NAME, channels);
    client.getConnectionStateListenable().addListener(connectionListener);
    coordinator.start();
    publish(deadline);
    awaitRoster(deadline);
    if (!coordinator.recovery.request()) {
      rounds.commitFirst(deadline);
    }
    coordinator.recovery.awaitRecovered(deadline);
    rolledBackTo.set(-1); // the application starts from the restored state; nothing to report
  }

  /** Creates this member's ephemeral znode, clearing one left by a dead process of this member. */
  void publish(long deadline) throws Exception {
    long session = sessionId();
    ownSessions.add(session);
    MemberInfo info =
        new MemberInfo(address.getHostString(), address.getPort(), ProcessHandle.current().pid(), machine(), session);
    while (true) {
      try {
        znodes.publish(config.member(), info);
        return;
      } catch (KeeperException.NodeExistsException e) {
        Optional<Map.Entry<MemberInfo, Long>> old = znodes.member(config.member());
        if (old.isEmpty()) {
          continue;
        }
        long owner = old.get().getValue();
        MemberInfo was = old.get().getKey();
        if (owner == session) {
          return;
        }
        boolean dead =
            ownSessions.contains(owner)
                || (was.machine().equals(machine()) && ProcessHandle.of(was.pid()).map(p -> !p.isAlive()).orElse(true));
        if (dead) {
          coordinator.clearDeadSession(owner);
          continue;
        }
        coordinator.passes.awaitChange(deadline, () -> znodes.member(config.member()).isPresent(),
            () -> "member '" + config.member() + "' is already connected to group '" + config.group()
                + "' (process " + was.pid() + " on " + was.machine() + "): another process uses this member id,"
                + " or a dead one's session has not expired yet; stop it or wait the session timeout");
      }
    }
  }

  private void awaitRoster(long deadline) throws Exception {
    coordinator.passes.awaitChange(deadline, () -> !absent().isEmpty(),
        () -> "members " + absentQuietly() + " of group '" + config.group() + "' did not join within "
            + config.timeout() + "; start them, or check the roster " + new TreeSet<>(config.roster()));
  }

  Set<String> absent() throws Exception {
    Set<String> missing = new TreeSet<>(config.roster());
    missing.removeAll(znodes.members());
    return missing;
  }

  Set<String> absentQuietly() {
    try {
      return absent();
    } catch (Exception e) {
      return config.roster();
    }
  }

  @Override
  public String member() {
    return config.member();
  }

  @Override
  public long commit() throws IOException {
    return commit0(null);
  }

  @Override
  public long commit(String label) throws IOException {
    if (label == null || label.isEmpty() || label.length() > 500) {
      throw new IllegalArgumentException("label must have 1 to 500 characters, was " + (label == null ? null : "'" + label + "'"));
    }
    return commit0(label);
  }

  private long commit0(String label) throws IOException {
    checkCaller("commit()");
    return call("commit a global epoch", () -> rounds.run(Kind.COMMIT, label, 0, deadline(), false));
  }

  @Override
  public void restore(long globalEpoch) throws IOException {
    checkCaller("restore()");
    call("restore global epoch " + globalEpoch, () -> {
      if (znodes.epoch(globalEpoch).isEmpty()) {
        throw new GroupException("no such global epoch " + globalEpoch + " in group '" + config.group()
            + "'; globalEpochs() lists them");
      }
      return rounds.run(Kind.ROLLBACK, null, globalEpoch, deadline(), false);
    });
  }

  @Override
  public void rollback(long globalEpoch) throws IOException {
    restore(globalEpoch);
  }

  @Override
  public long currentGlobalEpoch() throws IOException {
    checkOpen();
    return call("read the group's head", () -> znodes.head().head().global());
  }

  @Override
  public List<GlobalEpoch> globalEpochs() throws IOException {
    checkOpen();
    return call("list the global epochs", znodes::epochs);
  }

  @Override
  public GroupChannel channel(String peer) {
    checkOpen();
    if (!config.roster().contains(peer) || peer.equals(config.member())) {
      throw new IllegalArgumentException("'" + peer + "' is not a peer of member '" + config.member()
          + "'; its peers are the other members of the roster " + new TreeSet<>(config.roster()));
    }
    return channels.channel(peer);
  }

  @Override
  public GroupStep step() throws IOException, InterruptedException {
    checkOpen();
    safePoints.enterStep();
    try {
      long g = rolledBackTo.getAndSet(-1); // a fenced member still steps: only its outputs stop
      if (g >= 0) {
        throw new GroupRolledBackException(g);
      }
    } catch (RuntimeException | GroupRolledBackException e) {
      safePoints.exitStep();
      throw e;
    }
    AtomicBoolean open = new AtomicBoolean(true);
    return () -> {
      if (open.compareAndSet(true, false)) {
        safePoints.exitStep();
      }
    };
  }

  @Override
  public void addListener(GroupListener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    coordinator.stop();
    try {
      coordinator.abortOwnRound("member '" + config.member() + "' left the group");
      znodes.deleteQuietly(znodes.layout.member(config.member()));
    } catch (Exception e) {
      LOG.log(System.Logger.Level.DEBUG, "leaving group {0}: {1}", config.group(), e.toString());
    }
    closeQuietly();
  }

  private void closeQuietly() {
    closed = true;
    client.getConnectionStateListenable().removeListener(connectionListener);
    coordinator.stop();
    if (ownsClient) {
      client.close();
    }
    if (channels != null) {
      try {
        channels.close();
      } catch (IOException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "closing the channels of member {0}: {1}", config.member(), e.toString());
      }
    }
  }

  // ChannelHost

  @Override
  public String self() {
    return config.member();
  }

  @Override
  public InetSocketAddress address(String member) {
    return coordinator.address(member);
  }

  @Override
  public void checkUsable() throws IOException {
    if (fenced) {
      throw new GroupFencedException("member '" + config.member() + "' lost its ZooKeeper session: the group may have"
          + " decided without it, so it sends, receives and releases nothing until it has rejoined, which it does"
          + " by itself once ZooKeeper is reachable");
    }
    long g = rolledBackTo.getAndSet(-1);
    if (g >= 0) {
      throw new GroupRolledBackException(g);
    }
  }

  @Override
  public void captureRequested(long round) {
    coordinator.requestCapture(round);
  }

  @Override
  public void blocking(boolean blocked) {
    safePoints.blocking(blocked);
  }

  // helpers

  long deadline() {
    return System.nanoTime() + config.timeout().toNanos();
  }

  long sessionId() throws Exception {
    return client.getZookeeperClient().getZooKeeper().getSessionId();
  }

  static String machine() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "localhost";
    }
  }

  String describeZookeeper() {
    return config.connectString() != null ? config.connectString() : client.getZookeeperClient().getCurrentConnectionString();
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("member '" + config.member() + "' has left group '" + config.group() + "' (closed)");
    }
  }

  private void checkCaller(String what) throws IOException {
    checkOpen();
    if (safePoints.inStep()) {
      throw new IllegalStateException(what + " inside a step would wait for the step to end; call it between steps");
    }
    if (fenced) {
      try {
        coordinator.passes.awaitChange(deadline(), () -> fenced, () -> "member '" + config.member() + "' is fenced: it lost"
            + " its ZooKeeper session and could not rejoin within " + config.timeout() + "; " + what
            + " needs ZooKeeper (" + describeZookeeper() + ") reachable with a quorum");
      } catch (IOException e) {
        throw e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while member '" + config.member() + "' was fenced");
      } catch (Exception e) {
        throw zookeeperFailure(what, e);
      }
    }
  }

  interface ZkCall<T> {
    T call() throws Exception;
  }

  private <T> T call(String what, ZkCall<T> body) throws IOException {
    try {
      // a ZooKeeper restart or leader change within the session timeout is waited out
      if (!client.blockUntilConnected((int) config.sessionTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
        throw new KeeperException.ConnectionLossException();
      }
      return body.call();
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while trying to " + what);
    } catch (Exception e) {
      throw zookeeperFailure(what, e);
    }
  }

  GroupException zookeeperFailure(String what, Exception e) {
    if (e instanceof KeeperException.ConnectionLossException
        || e instanceof KeeperException.SessionExpiredException
        || e instanceof KeeperException.OperationTimeoutException
        || e instanceof KeeperException.SessionMovedException) {
      return new GroupException("could not " + what + ": ZooKeeper (" + describeZookeeper() + ") is unreachable or has"
          + " no quorum; nothing was decided, the members go on at their current state; try again once it is back", e);
    }
    return new GroupException("could not " + what + ": " + e, e);
  }
}
