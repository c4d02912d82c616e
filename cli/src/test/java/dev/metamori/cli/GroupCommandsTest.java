package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.group.CheckpointGroup;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupListener;
import dev.metamori.group.GroupStep;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metamori group log} and {@code group restore} against a ZooKeeper server started here,
 * with three members in this JVM that commit global epochs 1 ("one", at join), 2 ("two") and 3
 * ("three"); each member's file f says which.
 */
class GroupCommandsTest {
  private static final AtomicInteger GROUPS = new AtomicInteger();
  private static TestingServer zk;

  @TempDir Path tmp;
  GroupMembers members;
  long two;
  long three;

  @BeforeAll
  static void startZookeeper() throws Exception {
    zk = new TestingServer(true);
  }

  @AfterAll
  static void stopZookeeper() throws IOException {
    zk.close();
  }

  @BeforeEach
  void threeGlobalEpochs() throws Exception {
    members = new GroupMembers(tmp, zk.getConnectString(), "cli" + GROUPS.incrementAndGet(), "a", "b", "c");
    members.writeAll("one");
    members.start();
    CheckpointGroup a = members.groups.get("a");
    members.writeAll("two");
    two = a.commit("two");
    members.writeAll("three");
    three = a.commit("three");
  }

  @AfterEach
  void stopMembers() throws IOException {
    members.close();
  }

  private CliTest.Run group(String... args) {
    List<String> all = new ArrayList<>(List.of("group"));
    all.addAll(List.of(args));
    all.addAll(List.of("--zookeeper", zk.getConnectString(), "--group", members.group));
    return CliTest.run(all.toArray(String[]::new));
  }

  private long local(String member, long global) throws IOException {
    try (org.apache.curator.framework.CuratorFramework c = client()) {
      return CheckpointGroup.log(c, members.group).epoch(global).localEpoch(member);
    }
  }

  private org.apache.curator.framework.CuratorFramework client() {
    org.apache.curator.framework.CuratorFramework c = org.apache.curator.framework.CuratorFrameworkFactory.newClient(
        zk.getConnectString(), new org.apache.curator.retry.RetryOneTime(100));
    c.start();
    return c;
  }

  @Test
  void logShowsTheGlobalEpochsNewestFirstWithTheirLocalEpochs() throws IOException {
    CliTest.Run r = group("log");
    assertEquals(0, r.code(), r.err());
    String first = members.groups.get("a").globalEpochs().get(0).id() + "";
    String expected =
        "group " + members.group + ": at global epoch " + three + ", connected: a, b, c\n"
            + "global epoch " + three + " (current) \"three\"\n"
            + "  parent " + two + "; local epochs a=" + local("a", three) + " b=" + local("b", three) + " c=" + local("c", three) + "\n"
            + "global epoch " + two + " \"two\"\n"
            + "  parent " + first + "; local epochs a=" + local("a", two) + " b=" + local("b", two) + " c=" + local("c", two) + "\n"
            + "global epoch " + first + "\n"
            + "  root; local epochs a=" + local("a", 1) + " b=" + local("b", 1) + " c=" + local("c", 1) + "\n";
    assertEquals(expected, r.out());

    CliTest.Run j = group("log", "--json");
    assertEquals(0, j.code(), j.err());
    assertTrue(j.out().startsWith("{\"group\":\"" + members.group + "\",\"current\":" + three
        + ",\"pending\":false,\"connected\":[\"a\",\"b\",\"c\"],\"globalEpochs\":[{\"id\":" + three + ",\"parent\":" + two
        + ",\"label\":\"three\",\"current\":true,\"localEpochs\":{\"a\":" + local("a", three)), j.out());
    assertTrue(j.out().contains("{\"id\":" + two + ",\"parent\":" + first + ",\"label\":\"two\",\"current\":false"), j.out());
  }

  @Test
  void restoreRollsTheRunningGroupBack() throws IOException {
    CliTest.Run r = group("restore", Long.toString(two));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("group " + members.group + " rolled back to global epoch " + two + " \"two\" (it was at"
        + " global epoch " + three + ")"), r.out());
    for (String id : List.of("a", "b", "c")) {
      assertEquals("two " + id, members.read(id), id);
      assertEquals(local(id, two), members.cps.get(id).currentEpoch(), id);
    }
    assertEquals(two, members.groups.get("b").currentGlobalEpoch());
    assertTrue(group("log").out().contains("global epoch " + two + " (current)"));

    // and forward again, across to the newer global epoch
    assertEquals(0, group("restore", Long.toString(three), "--json").code());
    assertEquals("three c", members.read("c"));
  }

  @Test
  void restoreWithStoresMovesTheStoppedGroupAndMembersJoinThere() throws Exception {
    members.stop();
    CliTest.Run r = group("restore", Long.toString(two), "--store", "a=" + members.store("a"),
        "--store", "b=" + members.store("b"), "--store", "c=" + members.store("c"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("member b: store " + members.store("b") + " restored to epoch " + local("b", two)), r.out());
    assertTrue(r.out().contains("group " + members.group + " is at global epoch " + two + " \"two\""), r.out());
    for (String id : List.of("a", "b", "c")) {
      assertEquals("two " + id, members.read(id), id);
    }
    assertTrue(group("log").out().startsWith("group " + members.group + ": at global epoch " + two + ", no member connected"));

    members.start();
    for (String id : List.of("a", "b", "c")) {
      assertEquals("two " + id, members.read(id), id);
      assertEquals(two, members.groups.get(id).currentGlobalEpoch());
    }
    members.writeAll("four");
    long four = members.groups.get("c").commit();
    assertEquals(two, members.groups.get("a").globalEpochs().stream().filter(e -> e.id() == four).findFirst()
        .orElseThrow().parent(), "the next global epoch branches off the restored one");
  }

  @Test
  void anUnknownGlobalEpochIsRefused() {
    CliTest.Run r = group("restore", "999");
    assertEquals(Main.NO_SUCH_EPOCH, r.code(), r.out());
    assertEquals("metamori: no global epoch 999 in group '" + members.group + "'; metamori group log lists them\n", r.err());
  }

  @Test
  void aRestoreThatTimesOutNamesWhatItWaitsForAndTheRollbackStaysOwed() throws Exception {
    CountDownLatch bRolledBack = new CountDownLatch(1);
    members.groups.get("b").addListener(new GroupListener() {
      @Override
      public void onGroupRollback(GlobalEpoch epoch) {
        bRolledBack.countDown();
      }
    });
    long bBefore = members.cps.get("b").currentEpoch();
    GroupStep held = members.groups.get("b").step(); // b reaches no safe point while the command waits
    CliTest.Run r = group("restore", Long.toString(two), "--timeout", "1s");
    assertEquals(Main.ERROR, r.code(), r.err());
    assertTrue(r.err().matches("metamori: group '" + members.group + "' has not rolled back to global epoch " + two
        + " within 1s: members \\[(a, )?b(, c)?\\] have not restored their local epochs of it\\. A member restores at"
        + " its next safe point .*; it stays owed \\(group log shows it pending\\) and runs once they reach one\n"), r.err());
    assertTrue(group("log").out().startsWith("group " + members.group + ": at global epoch " + two + ", connected: a,"
        + " b, c; a rollback to it is owed"));
    assertEquals(bBefore, members.cps.get("b").currentEpoch(), "b did not move");
    assertEquals("three b", members.read("b"));

    held.close(); // the owed rollback runs by itself
    assertTrue(bRolledBack.await(60, TimeUnit.SECONDS), "b rolled back");
    for (String id : List.of("a", "b", "c")) {
      assertEquals("two " + id, members.read(id), id);
    }
  }

  @Test
  void storesOfRunningMembersAreRefused() throws IOException {
    CliTest.Run r = group("restore", Long.toString(two), "--store", "a=" + members.store("a"));
    assertEquals(Main.REFUSED, r.code(), r.out());
    assertTrue(r.err().startsWith("metamori: members [a, b, c] of group '" + members.group + "' are running"), r.err());
    assertEquals("three a", members.read("a"), "nothing changed");
  }

  @Test
  void aStoppedGroupWithoutStoresIsRefused() throws IOException {
    members.stop();
    CliTest.Run r = group("restore", Long.toString(two));
    assertEquals(Main.REFUSED, r.code(), r.out());
    assertTrue(r.err().startsWith("metamori: members [a, b, c] of group '" + members.group + "' are not running:"), r.err());
    CliTest.Run some = group("restore", Long.toString(two), "--store", "a=" + members.store("a"));
    assertEquals(Main.USAGE, some.code(), some.out());
    assertTrue(some.err().contains("give --store ID=DIR for [b, c]"), some.err());
  }

  @Test
  void aStoreChangedOutsideItsCheckpointerRefusesTheRestoreAndNothingMoves() throws IOException {
    members.stop();
    Files.writeString(members.data("b").resolve("f"), "edited by hand");
    CliTest.Run r = group("restore", Long.toString(two), "--store", "a=" + members.store("a"),
        "--store", "b=" + members.store("b"), "--store", "c=" + members.store("c"));
    assertEquals(Main.CHANGED, r.code(), r.out());
    assertTrue(r.err().contains("modified " + members.data("b").resolve("f")), r.err());
    assertEquals("three a", members.read("a"), "no store changed");
    assertEquals("edited by hand", members.read("b"));
    assertTrue(group("log").out().startsWith("group " + members.group + ": at global epoch " + three + ","));
  }

  @Test
  void anUnreachableZookeeperIsReportedAfterTheConnectTimeout() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CliTest.Run r = CliTest.run("group", "log", "--zookeeper", "127.0.0.1:" + port, "--group", members.group,
        "--connect-timeout", "1s");
    assertEquals(Main.UNREACHABLE, r.code(), r.out());
    assertEquals("metamori: cannot reach ZooKeeper at 127.0.0.1:" + port + " within 1s: check that it is up and"
        + " reachable from this machine, or allow longer with --connect-timeout\n", r.err());
  }

  @Test
  void anUnknownGroupHasItsOwnExitCodeAndTheKnownGroupsAreListed() {
    for (String[] command : List.of(new String[] {"log"}, new String[] {"restore", "1"})) {
      List<String> args = new ArrayList<>(List.of("group"));
      args.addAll(List.of(command));
      args.addAll(List.of("--zookeeper", zk.getConnectString(), "--group", "nosuch"));
      CliTest.Run r = CliTest.run(args.toArray(String[]::new));
      assertEquals(Main.NO_SUCH_GROUP, r.code(), r.err());
      String expected = "metamori: no group 'nosuch' under ZooKeeper " + zk.getConnectString()
          + " (no /metamori/groups/nosuch/head); known groups: ";
      assertTrue(r.err().startsWith(expected), r.err());
      List<String> known = List.of(r.err().substring(expected.length(), r.err().indexOf(". Check")).split(", "));
      assertTrue(known.contains(members.group), known + " lists " + members.group);
      assertTrue(r.err().endsWith(". Check the group's name and the ZooKeeper address; a group exists once a member"
          + " has joined it\n"), r.err());
      assertEquals("", r.out());
    }
  }
}
