package dev.metamori.crash;

import dev.metamori.testing.TreeSnapshot;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The crash workload's operations in this process, with fixed seeds and no kills: commits,
 * rollbacks to random valid epochs, and closes without commit followed by a reopen, checking
 * the tree against the recorded snapshot after each. Deterministic, so a failure here replays
 * exactly; its message lists the operations that led to it.
 *
 * <p>{@code -Dmetamori.crash.replaySeeds=N} sets the number of seeds (default 5; the {@code
 * soak} Maven profile runs 500).
 */
class CrashWorkloadWithoutKillsTest {
  private static final int STEPS = 40;

  @TempDir Path tmp;

  @Test
  void rollbacksAndReopensRestoreExactlyTheTreeEachEpochRecorded() throws Exception {
    int seeds = Integer.getInteger("metamori.crash.replaySeeds", 5);
    for (long seed = 0; seed < seeds; seed++) {
      List<String> trace = new ArrayList<>();
      try {
        run(seed, Files.createDirectories(tmp.resolve("s" + seed)), trace);
      } catch (Throwable t) {
        List<String> tail = trace.subList(Math.max(0, trace.size() - 80), trace.size());
        throw new AssertionError(
            "seed " + seed + ": " + t + "\nafter these operations (last " + tail.size() + "):\n  "
                + String.join("\n  ", tail),
            t);
      }
    }
  }

  private static void run(long seed, Path dir, List<String> trace) throws Exception {
    Random random = new Random(seed);
    CrashStore store = new CrashStore(dir).create(random);
    Map<Long, TreeSnapshot> trees = new HashMap<>();
    trees.put(0L, CrashStore.tree(store.root));
    Checkpointer cp = store.open();
    try {
      CrashOps ops = new CrashOps(random, cp.fileSystem(), store.root, store.outside, CrashWorkload.SIZE_UNIT);
      for (int step = 0; step < STEPS; step++) {
        for (int k = random.nextInt(6); k >= 0; k--) {
          trace.add(ops.step());
        }
        int r = random.nextInt(10);
        if (r < 6) {
          TreeSnapshot tree = CrashStore.tree(store.root);
          long id = cp.commit();
          trees.put(id, tree);
          trace.add("COMMIT -> " + id);
        } else if (r < 8) {
          List<Epoch> valid = cp.epochs();
          long target = valid.get(random.nextInt(valid.size())).id();
          trace.add("ROLLBACK " + target);
          cp.rollback(target);
          store.assertTree(trees.get(target), "after rollback to " + target);
        } else {
          trace.add("CLOSE AND REOPEN at " + cp.currentEpoch());
          cp.close();
          cp = store.open();
          ops = new CrashOps(random, cp.fileSystem(), store.root, store.outside, CrashWorkload.SIZE_UNIT);
          store.assertTree(trees.get(cp.currentEpoch()), "after reopening at " + cp.currentEpoch());
        }
      }
    } finally {
      cp.close();
    }
  }
}
