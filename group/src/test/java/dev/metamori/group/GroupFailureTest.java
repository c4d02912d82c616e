package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupFailureTest {
  TestingServer zk;

  @BeforeEach
  void startZookeeper() throws Exception {
    zk = new TestingServer(true);
  }

  @AfterEach
  void stopZookeeper() throws Exception {
    zk.close();
  }

  @Test
  void concurrentCommitCallersEachGetTheirOwnGlobalEpoch(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      ExecutorService pool = Executors.newFixedThreadPool(6);
      try {
        List<Future<Long>> commits = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          String id = List.of("a", "b", "c").get(i % 3);
          String label = "c" + i;
          commits.add(pool.submit(() -> f.group(id).commit(label)));
        }
        Set<Long> ids = new TreeSet<>();
        for (Future<Long> c : commits) {
          ids.add(c.get());
        }
        assertEquals(6, ids.size(), "six distinct global epochs: " + ids);
        Set<String> labels = new TreeSet<>();
        for (GlobalEpoch e : f.group("a").globalEpochs()) {
          if (ids.contains(e.id())) {
            labels.add(e.label());
          }
        }
        assertEquals(Set.of("c0", "c1", "c2", "c3", "c4", "c5"), labels);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void aCommitWithAMemberMissingFailsAndSaysWho(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      long before = f.group("a").currentGlobalEpoch();
      f.member("c").stop();
      GroupException e = assertThrows(GroupException.class, () -> f.group("a").commit());
      assertTrue(e.getMessage().startsWith("cannot commit: members [c] of group '" + f.group + "' are not connected"), e.getMessage());
      assertEquals(before, f.group("b").currentGlobalEpoch());
    }
  }

  @Test
  void aMemberThatNeverReachesASafePointAbortsTheRound(@TempDir Path dir) throws Exception {
    GroupFixture f = new GroupFixture(dir, zk.getConnectString(), "slow", Duration.ofSeconds(4), Duration.ofSeconds(2), "a", "b");
    try (f) {
      f.start();
      GroupStep step = f.group("b").step();
      GroupException e = assertThrows(GroupException.class, () -> f.group("a").commit());
      assertTrue(e.getMessage().contains("aborted"), e.getMessage());
      step.close();
      long g = f.group("a").commit();
      assertEquals(g, f.group("b").currentGlobalEpoch());
    }
  }

  @Test
  void aRestartedMemberRollsTheGroupBackToItsGlobalEpoch(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      f.member("a").write("x", "committed");
      long g = f.group("b").commit();
      f.member("a").write("x", "lost");
      f.member("c").write("y", "lost too");
      f.member("c").stop();
      f.member("c").restart();
      assertEquals("committed", f.member("a").read("x"));
      assertEquals(null, f.member("c").read("y"));
      assertEquals(g, f.group("a").currentGlobalEpoch());
      assertEquals(g, assertThrows(GroupRolledBackException.class, () -> f.group("a").step()).globalEpoch());
      f.group("c").step().close(); // the restarted member starts from the restored state, no exception
      assertTrue(f.group("c").commit() > g);
    }
  }

  @Test
  void aMemberWhoseSessionExpiresIsFencedUntilItHasRejoined(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b").start(Set.of("b"))) {
      f.member("b").write("x", "committed");
      long g = f.group("a").commit();
      f.member("b").write("x", "after");
      CountDownLatch fenced = new CountDownLatch(1);
      CountDownLatch rolledBack = new CountDownLatch(1);
      f.group("b").addListener(new GroupListener() {
        @Override
        public void onFenced() {
          fenced.countDown();
        }

        @Override
        public void onGroupRollback(GlobalEpoch epoch) {
          rolledBack.countDown();
        }
      });
      CuratorFramework client = f.member("b").client;
      CountDownLatch lost = new CountDownLatch(1);
      client.getConnectionStateListenable().addListener((c, s) -> {
        if (s == ConnectionState.LOST) {
          lost.countDown();
        }
      });
      expire(client);
      assertTrue(fenced.await(30, TimeUnit.SECONDS), "fenced");
      // fenced until it has rejoined; then the group rolled back to g and b is usable again
      assertTrue(rolledBack.await(30, TimeUnit.SECONDS), "rejoined and rolled back");
      assertEquals("committed", f.member("b").read("x"));
      assertEquals(g, assertThrows(GroupRolledBackException.class, () -> f.group("b").step()).globalEpoch());
      f.group("b").step().close();
      assertTrue(f.group("b").commit() > g);
    }
  }

  @Test
  void aZookeeperRestartWithinTheSessionTimeoutLosesNothing(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b").start(Set.of("a"))) {
      long g1 = f.group("a").commit("before");
      CountDownLatch fenced = new CountDownLatch(1);
      f.group("b").addListener(new GroupListener() {
        @Override
        public void onFenced() {
          fenced.countDown();
        }
      });
      CountDownLatch reconnected = new CountDownLatch(1);
      f.member("a").client.getConnectionStateListenable().addListener((c, s) -> {
        if (s == ConnectionState.RECONNECTED) {
          reconnected.countDown();
        }
      });
      zk.restart();
      assertTrue(reconnected.await(30, TimeUnit.SECONDS));
      long g2 = f.group("a").commit("after");
      assertTrue(g2 > g1);
      assertEquals(List.of("before", "after"), f.group("b").globalEpochs().stream().skip(1).map(GlobalEpoch::label).toList());
      f.group("b").step().close(); // not fenced, not rolled back
      assertEquals(1, fenced.getCount());
    }
  }

  @Test
  void withoutZookeeperACommitFailsClearlyAndTheMembersGoOn(@TempDir Path dir) throws Exception {
    GroupFixture f = new GroupFixture(dir, zk.getConnectString(), "down", Duration.ofSeconds(4), Duration.ofSeconds(5), "a", "b");
    try (f) {
      f.start(Set.of("a"));
      CountDownLatch suspended = new CountDownLatch(1);
      CountDownLatch reconnected = new CountDownLatch(1);
      f.member("a").client.getConnectionStateListenable().addListener((c, s) -> {
        if (s == ConnectionState.SUSPENDED) {
          suspended.countDown();
        } else if (s == ConnectionState.RECONNECTED) {
          reconnected.countDown();
        }
      });
      zk.stop();
      assertTrue(suspended.await(30, TimeUnit.SECONDS));
      GroupException e = assertThrows(GroupException.class, () -> f.group("a").commit());
      // within the session timeout the commit says ZooKeeper is unreachable; past it, the member is fenced
      String unreachable = "could not commit a global epoch: ZooKeeper (" + zk.getConnectString()
          + ") is unreachable or has no quorum; nothing was decided";
      String fenced = "member 'a' is fenced: it lost its ZooKeeper session and could not rejoin within";
      assertTrue(e.getMessage().startsWith(unreachable) || e.getMessage().startsWith(fenced), e.getMessage());
      f.member("a").write("x", "goes on");
      f.group("a").step().close();
      zk.restart();
      assertTrue(reconnected.await(30, TimeUnit.SECONDS));
      assertTrue(f.group("a").commit() > 0);
    }
  }

  /** Expires {@code client}'s session on the server, as a long partition would. */
  static void expire(CuratorFramework client) throws Exception {
    ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper other = new ZooKeeper(client.getZookeeperClient().getCurrentConnectionString(), 4000,
        e -> {
          if (e.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
            connected.countDown();
          }
        }, zk.getSessionId(), zk.getSessionPasswd());
    assertTrue(connected.await(10, TimeUnit.SECONDS));
    other.close();
  }
}
