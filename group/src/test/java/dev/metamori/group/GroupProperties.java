package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.group.testing.Seeds;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group against a model: random writes, global commits from any member, restores to any
 * global epoch, a member leaving and rejoining, ZooKeeper restarts. After every operation every
 * member's Checkpointer must be at its local epoch of the global epoch the group is at, with
 * the file contents the model says, and every member that was rolled back sees it once.
 *
 * <p>{@code -Dmetamori.trials} and {@code -Dmetamori.steps} set the length of the run.
 */
class GroupProperties {
  static final int TRIALS = Integer.getInteger("metamori.trials", 3);
  static final int STEPS = Integer.getInteger("metamori.steps", 30);
  static final List<String> IDS = List.of("a", "b", "c");

  @Test
  void everyMemberIsAtItsLocalEpochOfTheGroupsGlobalEpoch(@TempDir Path dir) throws Exception {
    long seed = Seeds.seed(0x5EEDL);
    Seeds.run("GroupProperties.everyMemberIsAtItsLocalEpochOfTheGroupsGlobalEpoch", seed, () -> {
      try (TestingServer zk = new TestingServer(true)) {
        for (int t = 0; t < TRIALS; t++) {
          trial(Files.createDirectories(dir.resolve("t" + t)), zk, new SplittableRandom(Seeds.trialSeed(seed, t)));
        }
      }
    }, "metamori.trials=" + TRIALS, "metamori.steps=" + STEPS);
  }

  private void trial(Path dir, TestingServer zk, SplittableRandom random) throws Exception {
    try (GroupFixture f = GroupFixture.of(dir, zk, IDS.toArray(String[]::new)).start(java.util.Set.of("a"))) {
      Map<Long, Map<String, String>> model = new TreeMap<>();
      Map<String, String> now = new HashMap<>();
      long head = f.group("a").currentGlobalEpoch();
      model.put(head, new HashMap<>());
      List<String> log = new ArrayList<>();
      for (int step = 0; step < STEPS; step++) {
        int op = random.nextInt(100);
        String id = IDS.get(random.nextInt(IDS.size()));
        if (op < 40) {
          String v = "v" + random.nextInt(1000);
          log.add(id + " writes " + v);
          f.member(id).write("x", v);
          now.put(id, v);
        } else if (op < 65) {
          log.add(id + " commits");
          long g = f.group(id).commit("s" + step);
          assertTrue(g > head, "global epochs grow");
          head = g;
          model.put(g, new HashMap<>(now));
        } else if (op < 85) {
          List<Long> known = new ArrayList<>(model.keySet());
          long target = known.get(random.nextInt(known.size()));
          log.add(id + " restores " + target);
          f.group(id).restore(target);
          head = target;
          now = new HashMap<>(model.get(target));
          for (String m : IDS) {
            assertEquals(target, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
                m + " is told of the rollback").globalEpoch());
          }
        } else if (op < 95) {
          log.add(id + " leaves and rejoins");
          f.member(id).stop();
          f.member(id).restart();
          now = new HashMap<>(model.get(head));
          for (String m : IDS) {
            if (!m.equals(id)) {
              assertEquals(head, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
                  m + " is told of the rollback").globalEpoch());
            }
          }
        } else {
          log.add("ZooKeeper restarts");
          CountDownLatch back = new CountDownLatch(1);
          f.member("a").client.getConnectionStateListenable().addListener((c, s) -> {
            if (s == ConnectionState.RECONNECTED) {
              back.countDown();
            }
          });
          zk.restart();
          assertTrue(back.await(30, TimeUnit.SECONDS), "reconnected");
        }
        check(f, head, model, now, log);
      }
    }
  }

  private void check(GroupFixture f, long head, Map<Long, Map<String, String>> model, Map<String, String> now,
      List<String> log) throws Exception {
    String context = " after " + log;
    assertEquals(head, f.group("b").currentGlobalEpoch(), "global epoch" + context);
    GlobalEpoch g = f.group("c").globalEpochs().stream().filter(e -> e.id() == head).findFirst().orElseThrow();
    for (String m : IDS) {
      assertEquals(now.get(m), f.member(m).read("x"), m + "'s file" + context);
      boolean changed = !java.util.Objects.equals(now.get(m), model.get(head).get(m));
      if (!changed) {
        assertEquals(g.localEpoch(m), f.member(m).cp.currentEpoch(), m + "'s local epoch" + context);
      }
    }
    for (String m : IDS) {
      f.group(m).step().close(); // nothing more to report to anyone
    }
  }
}
