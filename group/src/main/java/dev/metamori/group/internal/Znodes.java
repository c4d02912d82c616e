package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.MemberInfo;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import org.apache.curator.RetryLoop;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.api.transaction.CuratorOp;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Op;
import org.apache.zookeeper.OpResult;
import org.apache.zookeeper.data.Stat;

/**
 * Reads and writes a group's znodes ({@link Layout}). Every change of a round is one ZooKeeper
 * operation or one {@code multi}, so it happens wholly or not at all; {@code head}'s version
 * fences stale coordinators and {@code decision} is created once, by the first writer.
 */
final class Znodes {
  /** {@code head} with the version it was read at. */
  record VersionedHead(Head head, int version) {}

  /** The {@code open} znode: the round it opens and the session that owns it. */
  record Open(long round, long owner) {}

  /**
   * Where the group is, as a pass reads it in one snapshot: {@code head}, {@code open}, the
   * connected members and {@code members}' child version (it changes whenever one comes or
   * goes), and the znode and decision of {@code head}'s round.
   */
  record GroupState(VersionedHead head, Optional<Open> open, Set<String> members, int membersVersion,
      Optional<Round> round, Optional<Decision> decision) {
    /** No round is waiting for its decision. */
    boolean settled() {
      return head.head().round() == 0 || decision.isPresent();
    }
  }

  private final CuratorFramework client;
  final Layout layout;

  Znodes(CuratorFramework client, Layout layout) {
    this.client = client;
    this.layout = layout;
  }

  /** Creates the group's persistent znodes that are missing. */
  void ensure() throws Exception {
    for (String p : List.of(layout.members(), layout.rounds(), layout.epochs())) {
      try {
        client.create().creatingParentsIfNeeded().forPath(p);
      } catch (KeeperException.NodeExistsException e) {
        // another member made it
      }
    }
    try {
      client.create().forPath(layout.head(), Head.EMPTY.encode());
    } catch (KeeperException.NodeExistsException e) {
      // the group exists
    }
  }

  VersionedHead head() throws Exception {
    Stat stat = new Stat();
    byte[] data = client.getData().storingStatIn(stat).forPath(layout.head());
    return new VersionedHead(Head.decode(data), stat.getVersion());
  }

  /** Sets {@code head} if it is still at {@code version}; its new version. */
  int setHead(Head head, int version) throws Exception {
    return client.setData().withVersion(version).forPath(layout.head(), head.encode()).getVersion();
  }

  /**
   * Sets {@code head} if it is still at {@code version} and, in the same multi, aborts round
   * {@code r}, which must not be decided yet, with {@code reason}. Returns head's new version.
   */
  int setHeadAborting(Head head, int version, long r, String reason) throws Exception {
    client.transaction().forOperations(
        client.transactionOp().setData().withVersion(version).forPath(layout.head(), head.encode()),
        client.transactionOp().create().forPath(layout.decision(r), new Decision(Outcome.ABORT, reason).encode()));
    return version + 1;
  }

  Optional<Open> open() throws Exception {
    Stat stat = new Stat();
    try {
      byte[] data = client.getData().storingStatIn(stat).forPath(layout.open());
      return Optional.of(new Open(Records.decodeLong(data), stat.getEphemeralOwner()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  /**
   * Opens round {@code round.id()}: one multi that sets {@code head} to {@code next} if it is
   * still at {@code version}, creates the round and its {@code ready}, and creates {@code open}
   * owned by this session. Returns head's new version.
   */
  int openRound(Head next, int version, Round round, Set<String> roster) throws Exception {
    long r = round.id();
    List<CuratorOp> ops = new ArrayList<>();
    for (String id : roster) { // every member connected, in the same snapshot as head's version
      ops.add(client.transactionOp().check().forPath(layout.member(id)));
    }
    ops.add(client.transactionOp().setData().withVersion(version).forPath(layout.head(), next.encode()));
    ops.add(client.transactionOp().create().forPath(layout.round(r), round.encode()));
    ops.add(client.transactionOp().create().forPath(layout.ready(r)));
    ops.add(client.transactionOp().create().withMode(CreateMode.EPHEMERAL).forPath(layout.open(), Records.encodeLong(r)));
    client.transaction().forOperations(ops);
    return version + 1;
  }

  /**
   * Decides round {@code r} with one multi: {@code ready} (the deciding member's own, if not
   * null) is created, {@code open} still exists, the decision is created (only if none is),
   * {@code head} becomes {@code next} if still at {@code version} (the version the round's open
   * left it at), {@code open} goes; a committed round also records its global epoch. The other
   * members' {@code ready} znodes named in {@code others} must exist (they are never changed or
   * deleted before the round is pruned, so their names are the epochs recorded).
   */
  void decide(long r, Outcome outcome, Head next, int version, GlobalEpoch epoch, Map.Entry<String, Long> ready,
      Map<String, Long> others) throws Exception {
    client.transaction().forOperations(decideOps(r, outcome, next, version, epoch, ready, others));
  }

  /** The same multi as {@link #decide}, sent without waiting; {@code then} is told whether it succeeded. */
  void decideAsync(long r, Outcome outcome, Head next, int version, GlobalEpoch epoch, Map.Entry<String, Long> ready,
      Map<String, Long> others, Consumer<Boolean> then) throws Exception {
    client.transaction().inBackground((c, event) -> then.accept(event.getResultCode() == KeeperException.Code.OK.intValue()))
        .forOperations(decideOps(r, outcome, next, version, epoch, ready, others));
  }

  private List<CuratorOp> decideOps(long r, Outcome outcome, Head next, int version, GlobalEpoch epoch,
      Map.Entry<String, Long> ready, Map<String, Long> others) throws Exception {
    List<CuratorOp> ops = new ArrayList<>();
    if (ready != null) {
      ops.add(client.transactionOp().create().forPath(layout.ready(r, ready.getKey(), ready.getValue()),
          Records.encodeLong(ready.getValue())));
    }
    for (Map.Entry<String, Long> o : others.entrySet()) {
      ops.add(client.transactionOp().check().forPath(layout.ready(r, o.getKey(), o.getValue())));
    }
    ops.add(client.transactionOp().check().forPath(layout.open()));
    ops.add(client.transactionOp().create().forPath(layout.decision(r), new Decision(outcome, "").encode()));
    if (epoch != null) {
      ops.add(client.transactionOp().create().forPath(layout.epoch(epoch.id()), Records.encodeEpoch(epoch)));
    }
    ops.add(client.transactionOp().setData().withVersion(version).forPath(layout.head(), next.encode()));
    ops.add(client.transactionOp().delete().forPath(layout.open()));
    return ops;
  }

  /** Aborts round {@code r} unless it is decided already; the round's decision either way. */
  Decision abort(long r, String reason) throws Exception {
    try {
      client.create().forPath(layout.decision(r), new Decision(Outcome.ABORT, reason).encode());
    } catch (KeeperException.NodeExistsException e) {
      // decided first by another
    } catch (KeeperException.NoNodeException e) {
      return new Decision(Outcome.ABORT, "round " + r + " is gone");
    }
    return decision(r).orElseThrow();
  }

  Optional<Decision> decision(long r) throws Exception {
    try {
      return Optional.of(Decision.decode(client.getData().forPath(layout.decision(r))));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  Optional<Round> round(long r) throws Exception {
    try {
      return Optional.of(Round.decode(r, client.getData().forPath(layout.round(r))));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  /**
   * Reads round {@code r}, its decision and {@code head} in one snapshot, asynchronously; {@code
   * then} gets the round if it exists and has no decision, with {@code head}. A failed read
   * calls nothing: a pass looks again.
   */
  void whenUndecided(long r, BiConsumer<Round, VersionedHead> then) throws Exception {
    readAsync(List.of(Op.getData(layout.round(r)), Op.getData(layout.decision(r)), Op.getData(layout.head())), results -> {
      if (results.get(0) instanceof OpResult.GetDataResult d && !(results.get(1) instanceof OpResult.GetDataResult)) {
        then.accept(Round.decode(r, d.getData()), versionedHead(results.get(2)));
      }
    });
  }

  /**
   * Reads round {@code r}'s decision and {@code head} in one snapshot, asynchronously; {@code
   * then} gets them if there is a decision.
   */
  void whenDecided(long r, BiConsumer<Decision, VersionedHead> then) throws Exception {
    readAsync(List.of(Op.getData(layout.decision(r)), Op.getData(layout.head())), results -> {
      if (results.get(0) instanceof OpResult.GetDataResult d) {
        then.accept(Decision.decode(d.getData()), versionedHead(results.get(1)));
      }
    });
  }

  /** What an asynchronous read-only multi does with its results, on ZooKeeper's event thread. */
  private interface Results {
    void accept(List<OpResult> results) throws KeeperException;
  }

  private void readAsync(List<Op> ops, Results then) throws Exception {
    client.getZookeeperClient().getZooKeeper().multi(ops, (rc, path, ctx, results) -> {
      if (rc == KeeperException.Code.OK.intValue() && results != null) {
        try {
          then.accept(results);
        } catch (KeeperException e) {
          // head missing: a pass looks again
        }
      }
    }, null);
  }

  /** The local epochs the members reported ready in round {@code r}. */
  Map<String, Long> ready(long r) throws Exception {
    try {
      return readyOf(r, client.getChildren().forPath(layout.ready(r)));
    } catch (KeeperException.NoNodeException e) {
      return new TreeMap<>(); // round pruned
    }
  }

  /** The members and local epochs the {@code ready} children of round {@code r} name. */
  private Map<String, Long> readyOf(long r, List<String> children) throws Exception {
    Map<String, Long> m = new TreeMap<>();
    for (String child : children) {
      Map.Entry<String, Long> e = Layout.readyOf(child);
      if (e.getValue() >= 0) {
        m.put(e.getKey(), e.getValue());
        continue;
      }
      try { // a name without the epoch, written by an older member: the epoch is the data
        m.put(e.getKey(), Records.decodeLong(client.getData().forPath(layout.ready(r, child))));
      } catch (KeeperException.NoNodeException gone) {
        // round pruned meanwhile
      }
    }
    return m;
  }

  /**
   * Where the group is, in one round trip if {@code head}'s round is {@code guess} or the one
   * after it (the round a pass saw last, or the next one opened), else in three.
   */
  GroupState state(long guess) throws Exception {
    long g = Math.max(1, guess);
    List<OpResult> results = read(List.of(
        Op.getData(layout.head()), Op.getData(layout.open()), Op.getChildren(layout.members()), Op.getData(layout.members()),
        Op.getData(layout.round(g)), Op.getData(layout.decision(g)),
        Op.getData(layout.round(g + 1)), Op.getData(layout.decision(g + 1))));
    VersionedHead vh = versionedHead(results.get(0));
    Optional<Open> open = results.get(1) instanceof OpResult.GetDataResult o
        ? Optional.of(new Open(Records.decodeLong(o.getData()), o.getStat().getEphemeralOwner()))
        : Optional.empty();
    if (!(results.get(2) instanceof OpResult.GetChildrenResult children && results.get(3) instanceof OpResult.GetDataResult parent)) {
      throw new KeeperException.NoNodeException(layout.members());
    }
    long r = vh.head().round();
    Optional<Round> round = Optional.empty();
    Optional<Decision> decision = Optional.empty();
    if (r == g || r == g + 1) {
      int i = r == g ? 4 : 6;
      if (results.get(i) instanceof OpResult.GetDataResult d) {
        round = Optional.of(Round.decode(r, d.getData()));
      }
      if (results.get(i + 1) instanceof OpResult.GetDataResult d) {
        decision = Optional.of(Decision.decode(d.getData()));
      }
    } else if (r > 0) {
      round = round(r);
      decision = decision(r);
    }
    return new GroupState(vh, open, new TreeSet<>(children.getChildren()), parent.getStat().getCversion(), round, decision);
  }

  /** A read-only multi: one snapshot, one round trip; a znode missing is an error result, not a failure. */
  private List<OpResult> read(List<Op> ops) throws Exception {
    return RetryLoop.callWithRetry(client.getZookeeperClient(), () -> client.getZookeeperClient().getZooKeeper().multi(ops));
  }

  private VersionedHead versionedHead(OpResult result) throws KeeperException {
    if (!(result instanceof OpResult.GetDataResult h)) {
      throw KeeperException.create(KeeperException.Code.get(((OpResult.ErrorResult) result).getErr()), layout.head());
    }
    return new VersionedHead(Head.decode(h.getData()), h.getStat().getVersion());
  }

  /** Reports this member ready in round {@code r} with its local epoch. */
  void writeReady(long r, String member, long localEpoch) throws Exception {
    try {
      client.create().forPath(layout.ready(r, member, localEpoch), Records.encodeLong(localEpoch));
    } catch (KeeperException.NodeExistsException | KeeperException.NoNodeException e) {
      // reported already, or the round was pruned
    }
  }

  Set<String> members() throws Exception {
    return new TreeSet<>(client.getChildren().forPath(layout.members()));
  }

  /** The members that reported ready in round {@code r}. */
  Set<String> readyMembers(long r) throws Exception {
    try {
      Set<String> ids = new TreeSet<>();
      client.getChildren().forPath(layout.ready(r)).forEach(c -> ids.add(Layout.readyOf(c).getKey()));
      return ids;
    } catch (KeeperException.NoNodeException e) {
      return Set.of();
    }
  }

  /** A member's published data and the session owning its znode, if it is connected. */
  Optional<Map.Entry<MemberInfo, Long>> member(String id) throws Exception {
    Stat stat = new Stat();
    try {
      byte[] data = client.getData().storingStatIn(stat).forPath(layout.member(id));
      return Optional.of(Map.entry(MemberInfo.decode(data), stat.getEphemeralOwner()));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  void publish(String id, MemberInfo info) throws Exception {
    client.create().withMode(CreateMode.EPHEMERAL).forPath(layout.member(id), info.encode());
  }

  /** Deletes {@code path} if it exists; true if it is gone. */
  void deleteQuietly(String path) throws Exception {
    client.delete().quietly().forPath(path);
  }

  Optional<GlobalEpoch> epoch(long g) throws Exception {
    try {
      return Optional.of(Records.decodeEpoch(g, client.getData().forPath(layout.epoch(g))));
    } catch (KeeperException.NoNodeException e) {
      return Optional.empty();
    }
  }

  List<GlobalEpoch> epochs() throws Exception {
    List<Long> ids = new ArrayList<>();
    for (String c : client.getChildren().forPath(layout.epochs())) {
      ids.add(Long.parseLong(c));
    }
    ids.sort(null);
    List<GlobalEpoch> all = new ArrayList<>();
    for (long g : ids) {
      epoch(g).ifPresent(all::add);
    }
    return all;
  }

  /**
   * Removes round {@code r}'s znodes, which nobody reads any more, in one multi (one write of
   * ZooKeeper's log instead of one per znode); if that fails, they stay.
   */
  void pruneRound(long r) {
    if (r <= 0) {
      return;
    }
    try {
      List<OpResult> children = read(List.of(Op.getChildren(layout.round(r)), Op.getChildren(layout.ready(r))));
      if (!(children.get(0) instanceof OpResult.GetChildrenResult round)) {
        return; // pruned already
      }
      List<CuratorOp> ops = new ArrayList<>();
      if (children.get(1) instanceof OpResult.GetChildrenResult ready) {
        for (String id : ready.getChildren()) {
          ops.add(client.transactionOp().delete().forPath(layout.ready(r, id)));
        }
      }
      for (String c : round.getChildren()) {
        ops.add(client.transactionOp().delete().forPath(layout.round(r) + "/" + c));
      }
      ops.add(client.transactionOp().delete().forPath(layout.round(r)));
      client.transaction().forOperations(ops);
    } catch (Exception e) {
      // left for a tool; nothing depends on it
    }
  }
}
