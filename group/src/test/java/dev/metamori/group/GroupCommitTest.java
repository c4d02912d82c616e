package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.group.testing.Heard;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCommitTest {
  static TestingServer zk;

  @BeforeAll
  static void startZookeeper() throws Exception {
    zk = new TestingServer(true);
  }

  @AfterAll
  static void stopZookeeper() throws Exception {
    zk.close();
  }

  @Test
  void membersJoiningANewGroupCommitItsFirstGlobalEpochTogether(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      long g = f.group("a").currentGlobalEpoch();
      assertTrue(g > 0, "a first global epoch");
      List<GlobalEpoch> all = f.group("b").globalEpochs();
      assertEquals(1, all.size());
      GlobalEpoch first = all.get(0);
      assertEquals(g, first.id());
      for (String id : List.of("a", "b", "c")) {
        assertEquals(f.member(id).cp.currentEpoch(), first.localEpoch(id), id);
      }
    }
  }

  @Test
  void aGlobalCommitRecordsEveryMembersLocalEpochUnderItsLabel(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      f.member("a").write("x", "a1");
      f.member("c").write("x", "c1");
      long g = f.group("b").commit("one");
      assertEquals(g, f.group("a").currentGlobalEpoch());
      GlobalEpoch e = f.group("c").globalEpochs().get(1);
      assertEquals(new GlobalEpoch(g, f.group("a").globalEpochs().get(0).id(), "one", Map.of(
          "a", f.member("a").cp.currentEpoch(),
          "b", f.member("b").cp.currentEpoch(),
          "c", f.member("c").cp.currentEpoch())), e);
      assertEquals(f.member("a").cp.currentEpoch(), f.member("a").cp.epoch("group:" + f.group + ":round:" + g + ":one").id());
    }
  }

  @Test
  void restoreMovesEveryMemberBackForwardAndAcrossBranches(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b").start()) {
      f.member("a").write("x", "a1");
      f.member("b").write("x", "b1");
      long g1 = f.group("a").commit();
      f.member("a").write("x", "a2");
      f.member("b").write("x", "b2");
      long g2 = f.group("b").commit();
      f.member("a").write("x", "uncommitted");

      f.group("a").restore(g1);
      assertEquals("a1", f.member("a").read("x"));
      assertEquals("b1", f.member("b").read("x"));
      assertEquals(g1, f.group("b").currentGlobalEpoch());

      f.member("a").write("x", "a3");
      long g3 = f.group("a").commit();
      assertEquals(g1, f.group("a").globalEpochs().stream().filter(e -> e.id() == g3).findFirst().orElseThrow().parent());

      f.group("b").rollback(g2);
      assertEquals("a2", f.member("a").read("x"));
      assertEquals("b2", f.member("b").read("x"));
      f.group("a").restore(g3);
      assertEquals("a3", f.member("a").read("x"));
      assertEquals("b1", f.member("b").read("x"));
    }
  }

  @Test
  void afterAGroupRollbackEachMembersNextStepThrowsOnce(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b").start()) {
      long g = f.group("a").commit();
      f.group("a").restore(g);
      for (String id : List.of("a", "b")) {
        GroupRolledBackException e = assertThrows(GroupRolledBackException.class, () -> f.group(id).step());
        assertEquals(g, e.globalEpoch());
        f.group(id).step().close();
      }
    }
  }

  @Test
  void restoringAGlobalEpochThatDoesNotExistSaysSo(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b").start()) {
      GroupException e = assertThrows(GroupException.class, () -> f.group("a").restore(999));
      assertEquals("no such global epoch 999 in group '" + f.group + "'; globalEpochs() lists them", e.getMessage());
    }
  }

  @Test
  void aSlowListenerHearsOfEveryGlobalCommitInOrderOnceAndHoldsUpNoRound(@TempDir Path dir) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, "a", "b", "c").start()) {
      long joined = f.group("a").currentGlobalEpoch();
      CountDownLatch release = new CountDownLatch(1);
      Heard a = new Heard(joined);
      Heard b = new Heard(joined) {
        @Override
        public void onGlobalCommit(GlobalEpoch epoch) {
          super.onGlobalCommit(epoch);
          try {
            if (epoch.id() > joined) {
              release.await(); // its first call holds every later one
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };
      Heard c = new Heard(joined);
      f.group("a").addListener(a);
      f.group("b").addListener(b);
      f.group("c").addListener(c);

      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        String id = List.of("a", "b", "c").get(i % 3);
        expected.add("commit " + f.group(id).commit("quick " + i));
      }
      // all six were decided while b's listener sat in its first call, which it was told of alone
      assertEquals(expected.get(0), b.next());
      assertTrue(b.events.isEmpty(), b.events.toString());
      release.countDown();
      assertEquals(expected.subList(1, 6), b.next(5));
      assertEquals(expected, a.next(6));
      assertEquals(expected, c.next(6));

      long back = Long.parseLong(expected.get(1).substring("commit ".length()));
      f.group("c").restore(back);
      for (Heard h : List.of(a, b, c)) {
        assertEquals("rollback " + back, h.next(), "nothing between the last commit and the rollback");
      }
    }
  }
}
