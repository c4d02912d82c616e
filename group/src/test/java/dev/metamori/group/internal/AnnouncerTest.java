package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupListener;
import dev.metamori.group.internal.Records.Head;
import dev.metamori.group.internal.Records.Kind;
import dev.metamori.group.internal.Records.Outcome;
import dev.metamori.group.internal.Records.Round;
import dev.metamori.group.internal.Znodes.VersionedHead;
import dev.metamori.group.testing.Heard;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Announcer} against a real ZooKeeper: rounds of a one-member group written as the
 * coordinator writes them, and passes made by hand, so that a pass sees only the newest of
 * several rounds decided since the one before.
 */
class AnnouncerTest {
  TestingServer zk;
  CuratorFramework client;
  Znodes z;
  final Heard heard = new Heard();
  Announcer announcer;

  @BeforeEach
  void start() throws Exception {
    zk = new TestingServer(true);
    client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
    client.start();
    z = new Znodes(client, Layout.of("t"));
    z.ensure();
    List<GroupListener> listeners = new CopyOnWriteArrayList<>();
    listeners.add(heard);
    announcer = new Announcer(z, "a", listeners);
  }

  @AfterEach
  void stop() throws Exception {
    announcer.stop();
    client.close();
    zk.close();
  }

  @Test
  void aPassThatSeesOnlyTheNewestOfSeveralDecidedRoundsTellsOfEachInOrderOnce() throws Exception {
    pass(false); // the member joins an empty group
    commit(1);
    open(2, 0);
    z.abort(2, "a member left");
    z.deleteQuietly(z.layout.open());
    commit(3);
    open(4, 1);
    decide(4, Outcome.ROLLED_BACK);
    commit(5);
    open(6, 0); // still open
    pass(false);
    pass(false);
    assertEquals(List.of("commit 1", "commit 3", "rollback 1", "commit 5"), heard.next(4));
    decide(6, Outcome.COMMIT);
    pass(false);
    assertEquals("commit 6", heard.next());
    announcer.fenced();
    assertEquals("fenced", heard.next(), "nothing told twice");
  }

  @Test
  void theFirstPassTellsOfNothingBeforeItAPrunedRoundIsToldOfByItsGlobalEpochAndNoCommitWhileFenced()
      throws Exception {
    commit(1);
    commit(2);
    pass(false); // the member joins here
    commit(3);
    client.delete().deletingChildrenIfNeeded().forPath(z.layout.round(3)); // pruned
    commit(4);
    pass(false);
    assertEquals(List.of("commit 3", "commit 4"), heard.next(2));
    commit(5);
    pass(true);
    commit(6);
    pass(false);
    assertEquals("commit 6", heard.next());
    announcer.fenced();
    assertEquals("fenced", heard.next(), "not told of 5, decided while fenced");
  }

  /** A pass as the coordinator makes one: the round head names and its decision. */
  private void pass(boolean fenced) throws Exception {
    long r = z.head().head().round();
    announcer.decided(r, r == 0 ? Optional.empty() : z.decision(r), fenced);
  }

  private void commit(long r) throws Exception {
    open(r, 0);
    decide(r, Outcome.COMMIT);
  }

  /** Opens round {@code r}: a commit, or a rollback to {@code target} if it is not 0. */
  private void open(long r, long target) throws Exception {
    VersionedHead vh = z.head();
    Head h = vh.head();
    if (target == 0) {
      z.openRound(h.opened(r), vh.version(), new Round(r, Kind.COMMIT, null, 0, h.incarnation(), vh.version() + 1), Set.of());
    } else {
      z.openRound(new Head(r, target, h.incarnation() + 1, true, Map.of("a", target)), vh.version(),
          new Round(r, Kind.ROLLBACK, null, target, h.incarnation() + 1, vh.version() + 1), Set.of());
    }
  }

  private void decide(long r, Outcome outcome) throws Exception {
    VersionedHead vh = z.head();
    Head h = vh.head();
    if (outcome == Outcome.COMMIT) {
      z.decide(r, outcome, new Head(r, r, h.incarnation(), false, Map.of("a", r)), vh.version(),
          new GlobalEpoch(r, h.global(), null, Map.of("a", r)), null, Map.of());
    } else {
      z.decide(r, outcome, new Head(r, h.global(), h.incarnation(), false, h.epochs()), vh.version(), null, null, Map.of());
    }
  }
}
