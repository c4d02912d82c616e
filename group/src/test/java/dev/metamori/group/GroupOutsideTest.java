package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.api.CuratorWatcher;
import org.apache.curator.retry.RetryOneTime;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CheckpointGroup#log} and {@link CheckpointGroup#restore(CuratorFramework, String, long,
 * Map, Duration)} from outside a running group, at its edges: a restore while a commit round is
 * open, a restore that times out, a group that does not exist. Members a, b and c commit global
 * epochs g ("at g" in their file x) and h ("at h"); the tests hold b's step open to keep a round
 * from finishing.
 */
class GroupOutsideTest {
  TestingServer zk;
  CuratorFramework client;
  ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void startZookeeper() throws Exception {
    zk = new TestingServer(true);
    client = CuratorFrameworkFactory.newClient(zk.getConnectString(), new RetryOneTime(100));
    client.start();
  }

  @AfterEach
  void stopZookeeper() throws Exception {
    pool.shutdownNow();
    client.close();
    zk.close();
  }

  @Test
  void aRestoreFromOutsideAbortsTheOpenCommitRoundNamingItselfAndTheGroupEndsAtItsTarget(@TempDir Path dir)
      throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      long g = commitEverywhere(f, "at g");
      long h = commitEverywhere(f, "at h");
      writeEverywhere(f, "in the interrupted round");
      List<GlobalEpoch> epochsBefore = CheckpointGroup.log(client, f.group).epochs();
      long bBefore = f.member("b").cp.currentEpoch();

      GroupStep held = f.group("b").step(); // b cannot capture: the round stays open
      Future<Long> commit = pool.submit(() -> f.group("a").commit("interrupted"));
      long r = awaitOpenRound(f.group);
      awaitReady(root(f) + "/rounds/" + r + "/ready", "a"); // a captured in it
      Future<GlobalEpoch> restore = pool.submit(() -> CheckpointGroup.restore(client, f.group, g, Map.of(), Duration.ofSeconds(60)));

      ExecutionException failed = assertThrows(ExecutionException.class, commit::get);
      GroupException e = assertInstanceOf(GroupException.class, failed.getCause());
      assertEquals("the global commit (round " + r + ") aborted: group '" + f.group + "' is being restored to global"
          + " epoch " + g + " from outside it (CheckpointGroup.restore, metamori group restore), so this round cannot"
          + " commit: every member restores its local epoch of global epoch " + g + " at its next safe point; this"
          + " round changed no global epoch, try again", e.getMessage());
      // b's step still holds the rollback back: the group owes it, b has neither captured nor restored
      GroupLog owing = CheckpointGroup.log(client, f.group);
      assertEquals(g, owing.current());
      assertTrue(owing.pending());
      assertFalse(restore.isDone());
      assertEquals(bBefore, f.member("b").cp.currentEpoch());

      held.close();
      assertEquals(g, restore.get().id());
      GroupLog after = CheckpointGroup.log(client, f.group);
      assertEquals(g, after.current());
      assertFalse(after.pending());
      assertEquals(epochsBefore, after.epochs(), "the interrupted round committed nothing");
      assertNull(after.epoch(r));
      for (String id : List.of("a", "b", "c")) {
        assertEquals(after.epoch(g).localEpoch(id), f.member(id).cp.currentEpoch(), id);
        assertEquals("at g", f.member(id).read("x"), id);
        assertEquals(g, assertThrows(GroupRolledBackException.class, () -> f.group(id).step()).globalEpoch(), id);
        f.group(id).step().close();
      }
      long next = f.group("c").commit();
      assertEquals(g, f.group("a").globalEpochs().stream().filter(x -> x.id() == next).findFirst().orElseThrow().parent());
      assertTrue(next > h);
    }
  }

  @Test
  void aRestoreFromOutsideThatTimesOutNamesTheMembersItWaitsForAndTheRollbackStaysOwed(@TempDir Path dir)
      throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      long g = commitEverywhere(f, "at g");
      commitEverywhere(f, "at h");
      List<GlobalEpoch> epochsBefore = CheckpointGroup.log(client, f.group).epochs();
      long bBefore = f.member("b").cp.currentEpoch();
      CountDownLatch bRolledBack = new CountDownLatch(1);
      f.group("b").addListener(new GroupListener() {
        @Override
        public void onGroupRollback(GlobalEpoch epoch) {
          bRolledBack.countDown();
        }
      });

      GroupStep held = f.group("b").step(); // b never reaches a safe point while the restore waits
      GroupException e = assertThrows(GroupException.class,
          () -> CheckpointGroup.restore(client, f.group, g, Map.of(), Duration.ofSeconds(2)));
      // a and c are named too if they had not restored yet when the time ran out; b always is
      String waited = "members \\[(a, )?b(, c)?\\]";
      assertTrue(e.getMessage().matches("group '" + f.group + "' has not rolled back to global epoch " + g + " within"
          + " 2s: " + waited + " have not restored their local epochs of it\\. A member restores at its next safe"
          + " point \\(between two of its steps, or while it waits in a receive\\), so a step that does not end holds"
          + " the rollback back; it stays owed \\(group log shows it pending\\) and runs once they reach one"),
          e.getMessage());
      GroupLog owing = CheckpointGroup.log(client, f.group);
      assertTrue(owing.pending());
      assertEquals(g, owing.current());
      assertEquals(epochsBefore, owing.epochs());
      assertEquals(bBefore, f.member("b").cp.currentEpoch(), "b did not move");

      held.close(); // the owed rollback runs by itself
      assertTrue(bRolledBack.await(60, TimeUnit.SECONDS), "b rolled back");
      for (String id : List.of("a", "b", "c")) {
        assertEquals(owing.epoch(g).localEpoch(id), f.member(id).cp.currentEpoch(), id);
        assertEquals("at g", f.member(id).read("x"), id);
      }
      assertFalse(CheckpointGroup.log(client, f.group).pending());
    }
  }

  @Test
  void anUnknownGroupIsNamedWithTheGroupsThere(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a").start()) {
      NoSuchGroupException e = assertThrows(NoSuchGroupException.class, () -> CheckpointGroup.log(client, "nosuch"));
      assertEquals("nosuch", e.group());
      assertEquals("no group 'nosuch' under ZooKeeper " + zk.getConnectString() + " (no /metamori/groups/nosuch/head);"
          + " known groups: " + f.group + ". Check the group's name and the ZooKeeper address; a group exists once a"
          + " member has joined it", e.getMessage());
      assertThrows(NoSuchGroupException.class,
          () -> CheckpointGroup.restore(client, "nosuch", 1, Map.of(), Duration.ofSeconds(1)));
    }
  }

  @Test
  void withNoGroupAtAllTheMessageSaysSo() {
    NoSuchGroupException e = assertThrows(NoSuchGroupException.class, () -> CheckpointGroup.log(client, "nosuch"));
    assertTrue(e.getMessage().contains("(no /metamori/groups/nosuch/head); no group has joined through it yet."),
        e.getMessage());
  }

  private static void writeEverywhere(GroupFixture f, String text) throws Exception {
    for (String id : f.roster) {
      f.member(id).write("x", text);
    }
  }

  private static long commitEverywhere(GroupFixture f, String text) throws Exception {
    writeEverywhere(f, text);
    return f.group("a").commit(text);
  }

  private static String root(GroupFixture f) {
    return "/metamori/groups/" + f.group;
  }

  /** Waits for the group's {@code open} znode; the round it opens. */
  private long awaitOpenRound(String group) throws Exception {
    String open = "/metamori/groups/" + group + "/open";
    awaitZnode(open);
    return Long.parseLong(new String(client.getData().forPath(open), StandardCharsets.UTF_8).trim());
  }

  /** Waits for member {@code id}'s {@code ready} znode ({@code {id}@{epoch}}) under {@code path}. */
  private void awaitReady(String path, String id) throws Exception {
    while (true) {
      CountDownLatch changed = new CountDownLatch(1);
      if (client.getChildren().usingWatcher((CuratorWatcher) e -> changed.countDown()).forPath(path).stream()
          .anyMatch(c -> c.startsWith(id + "@"))) {
        return;
      }
      assertTrue(changed.await(60, TimeUnit.SECONDS), "no ready of " + id + " under " + path + " within 60 s");
    }
  }

  private void awaitZnode(String path) throws Exception {
    while (true) {
      CountDownLatch changed = new CountDownLatch(1);
      if (client.checkExists().usingWatcher((CuratorWatcher) e -> changed.countDown()).forPath(path) != null) {
        return;
      }
      assertTrue(changed.await(60, TimeUnit.SECONDS), "no " + path + " within 60 s");
    }
  }
}
