package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.testing.EpochTree;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Leaves a store with a lot to recover (many uncommitted changes, then a long rollback), and
 * kills child JVMs with SIGKILL while they recover it or roll it back, several times in a
 * row; then reopens it here and checks it against the oracle. Recovery has to resume wherever
 * the previous attempt died.
 *
 * <p>{@code -Dmetamori.crash.recoveryTrials=N} sets the number of trials (default 5; the
 * {@code soak} Maven profile runs 250, about 750 kills), {@code -Dmetamori.crash.seed=S} the
 * seed (printed).
 */
class SigkillDuringRecoveryTest {
  @TempDir Path tmp;

  private final long[] openMicros = {0, 0};
  private final long[] rollbackMicros = {0, 0};
  private int trials;
  private int killsDuringOpen;
  private int killsDuringRollback;
  private int killsAfterward;
  private int rollbacksFinished;
  /** The rollbacks the children started, by direction. */
  private final Map<String, Integer> restores = new TreeMap<>();

  @Test
  void recoveryKilledAgainAndAgainStillEndsAtAnEpochTheOracleAllowsWithExactlyItsTree() throws Exception {
    int wanted = Integer.getInteger("metamori.crash.recoveryTrials", 5);
    long seed = Long.getLong("metamori.crash.seed", new Random().nextLong());
    Random random = new Random(seed);
    long start = System.nanoTime();
    String failure = "none";
    try {
      CrashStore store = null;
      for (int t = 0; t < wanted; t++) {
        if (t % 10 == 0) {
          store = new CrashStore(tmp.resolve("s" + t)).create(random);
        }
        trial(store, random, "seed " + seed + ", trial " + t);
        trials++;
      }
    } catch (Throwable e) {
      failure = e.getClass().getSimpleName();
      throw e;
    } finally {
      System.out.printf(
          "crash recovery: seed %d, %d trials, kills during recovery %d / rollback %d (finished %d)"
              + " / after both %d, rollbacks %s, failures: %s, %.1f s (mean open %d us, rollback %d us)%n",
          seed,
          trials,
          killsDuringOpen,
          killsDuringRollback,
          rollbacksFinished,
          killsAfterward,
          restores,
          failure,
          (System.nanoTime() - start) / 1e9,
          openMicros[0] / Math.max(1, openMicros[1]),
          rollbackMicros[0] / Math.max(1, rollbackMicros[1]));
    }
  }

  private void trial(CrashStore store, Random random, String context) throws Exception {
    List<String> trace = new ArrayList<>();
    long target = prepare(store, random, trace);
    try {
      boolean inRollback = random.nextInt(100) < 65;
      kill(store, random, context + ", rollback to " + target + " killed", inRollback, "rollback",
          store.oracle.toString(), Long.toString(target));
      int kills = 1 + random.nextInt(3);
      for (int k = 0; k < kills; k++) {
        kill(store, random, context + ", recovery " + k + " killed", false, "open");
      }
      CrashStore.Outcome outcome = store.verifyAfterKill(random, context);
      if (outcome.tookEffect()) {
        rollbacksFinished++;
      }
    } catch (AssertionError e) {
      throw new AssertionError(
          e.getMessage() + "\nthe operations of this trial, before the kills:\n  " + String.join("\n  ", trace), e);
    }
  }

  /**
   * Commits a few epochs of random operations, then makes many changes without committing
   * and closes the store: the next open has to undo them all. Returns another epoch to roll
   * back to, mostly one that needs redo (on another branch: earlier trials left the store at
   * random epochs, so these commits start branches).
   */
  private static long prepare(CrashStore store, Random random, List<String> trace) throws Exception {
    CrashOracleLog.State state = CrashOracleLog.read(store.oracle);
    long nextId = Collections.max(state.committed.keySet()) + 1;
    try (Checkpointer cp = store.open();
        CrashOracleLog log = CrashOracleLog.append(store.oracle)) {
      CrashOps ops = new CrashOps(random, cp.fileSystem(), store.root, store.outside, CrashWorkload.SIZE_UNIT);
      int epochs = 3 + random.nextInt(4);
      for (int e = 0; e < epochs; e++) {
        for (int i = 8 + random.nextInt(15); i > 0; i--) {
          trace.add(ops.step());
        }
        log.pending(nextId, CrashTreeSnapshot.of(store.root));
        assertEquals(nextId, cp.commit());
        log.committed(nextId);
        trace.add("COMMIT -> " + nextId);
        nextId++;
      }
      for (int i = 20 + random.nextInt(60); i > 0; i--) {
        trace.add(ops.step());
      }
      trace.add("CLOSE without commit");
      return new EpochTree(cp.epochs()).pickTarget(random, cp.currentEpoch(), cp.currentEpoch());
    }
  }

  /**
   * Runs a child and kills it while it opens the store or, if {@code inRollback}, while it
   * rolls back; a child that finishes first is let go.
   */
  private void kill(CrashStore store, Random random, String context, boolean inRollback, String... args)
      throws Exception {
    List<String> command = new ArrayList<>(List.of(args[0], store.store.toString(), store.root.toString()));
    for (int i = 1; i < args.length; i++) {
      command.add(args[i]);
    }
    Path stderr = Files.createTempFile(store.dir, "child", ".err");
    try (CrashChild child = CrashChild.start(stderr, 120, command.toArray(new String[0]))) {
      boolean opened = false;
      boolean rollingBack = false;
      for (String line; !child.destroyed() && (line = child.nextLine()) != null; ) {
        String[] w = line.split(" ");
        switch (w[0]) {
          case "OPENING":
            if (!inRollback) {
              killSoon(child, store, random, openMicros);
            }
            break;
          case "OPENED":
            opened = true;
            record(openMicros, Long.parseLong(w[2]));
            break;
          case "ROLLBACK":
            rollingBack = true;
            restores.merge(w[3], 1, Integer::sum);
            if (inRollback) {
              int how = random.nextInt(3);
              CrashChild.StoreWatch watch =
                  new CrashChild.StoreWatch(store.store.resolve(how == 1 ? "index.mv" : "undo.progress"), store.oracle);
              child.go();
              if (how == 0) {
                CrashChild.spin(delay(random, rollbackMicros));
              } else {
                watch.await(how == 1 ? 1 + random.nextInt(6) : 1 + random.nextInt(40), child);
                CrashChild.spin(random.nextInt(100_000));
              }
              child.kill();
            } else {
              child.go();
            }
            break;
          case "ROLLEDBACK":
            rollingBack = false;
            record(rollbackMicros, Long.parseLong(w[2]));
            break;
          default:
            break;
        }
      }
      List<String> rest = new ArrayList<>();
      int status = child.finish(rest);
      if (child.killed()) {
        if (rollingBack) {
          killsDuringRollback++;
        } else if (!opened) {
          killsDuringOpen++;
        } else {
          killsAfterward++;
        }
      } else if (!child.destroyed()) {
        assertEquals(0, status, context + ": the child failed\n" + child.describe());
      }
    }
    Files.delete(stderr);
  }

  /**
   * Kills a child that has started to open the store: a third of the time after a random delay
   * of up to one and a half times the mean open, otherwise once recovery has undone a random
   * number of records, or has written the index a few times (each step of a rollback it
   * finishes writes it once).
   */
  private static void killSoon(CrashChild child, CrashStore store, Random random, long[] stats)
      throws Exception {
    int how = random.nextInt(3);
    if (how == 0) {
      CrashChild.spin(delay(random, stats));
    } else {
      Path file = store.store.resolve(how == 1 ? "index.mv" : "undo.progress");
      new CrashChild.StoreWatch(file, store.oracle).await(how == 1 ? 1 + random.nextInt(4) : 1 + random.nextInt(40), child);
      CrashChild.spin(random.nextInt(100_000));
    }
    child.kill();
  }

  private static void record(long[] stats, long micros) {
    stats[0] += micros;
    stats[1]++;
  }

  /** Uniform over one and a half times the mean duration seen so far (50 ms before any). */
  private static long delay(Random random, long[] stats) {
    long mean = stats[1] == 0 ? 50_000 : stats[0] / stats[1];
    return (long) (random.nextDouble() * 1.5 * mean * 1000);
  }
}
