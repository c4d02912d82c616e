package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM running {@link CrashWorkload} with SIGKILL at random moments (during
 * file operations, inside commit, inside rollback), reopens its store here and checks it
 * against the oracle; then the next child goes on with the same store.
 *
 * <p>{@code -Dmetamori.crash.trials=N} sets the number of rounds, each normally ending in a kill
 * (default 18; the {@code soak} Maven profile runs 1000), {@code -Dmetamori.crash.seed=S} the
 * seed (printed). Kills are aimed by the child's output and by watching the store's files; a
 * short busy-wait of random length only scatters where they land.
 */
class SigkillDuringWorkloadTest {
  private static final int ROUNDS_PER_STORE = 8;

  @TempDir Path tmp;

  private enum Aim {
    OPERATION,
    COMMIT,
    ROLLBACK
  }

  /** Running averages of how long the child's commits and rollbacks take, to aim kills. */
  private final long[] commitMicros = {0, 0};
  private final long[] rollbackMicros = {0, 0};

  private int trials;
  private int noKill;
  private final int[] killsByInFlight = new int[3];
  private int commitsLanded;
  private int rollbacksFinished;
  /** Rollbacks the children started, and those a kill landed in, by direction. */
  private final Map<String, Integer> restores = new TreeMap<>();
  private final Map<String, Integer> restoresKilled = new TreeMap<>();

  @Test
  void aStoreKilledAtAnyMomentReopensAtTheEpochItLastReachedWithExactlyThatTree() throws Exception {
    int wanted = Integer.getInteger("metamori.crash.trials", 18);
    long seed = Long.getLong("metamori.crash.seed", new Random().nextLong());
    Random random = new Random(seed);
    long start = System.nanoTime();
    String failure = "none";
    try {
      for (int s = 0; trials < wanted; s++) {
        CrashStore store = new CrashStore(tmp.resolve("s" + s)).create(random);
        for (int round = 0; round < ROUNDS_PER_STORE && trials < wanted; round++) {
          round(store, random, "seed " + seed + ", store " + s + ", round " + round);
          trials++;
        }
      }
    } catch (Throwable t) {
      failure = t.getClass().getSimpleName();
      throw t;
    } finally {
      System.out.printf(
          "crash workload: seed %d, %d trials, kills during write %d / commit %d (landed %d) / rollback %d"
              + " (finished %d), rounds without kill %d, rollbacks %s, killed inside %s, failures: %s, %.1f s"
              + " (mean commit %d us, rollback %d us)%n",
          seed,
          trials,
          killsByInFlight[0],
          killsByInFlight[1],
          commitsLanded,
          killsByInFlight[2],
          rollbacksFinished,
          noKill,
          restores,
          restoresKilled,
          failure,
          (System.nanoTime() - start) / 1e9,
          commitMicros[0] / Math.max(1, commitMicros[1]),
          rollbackMicros[0] / Math.max(1, rollbackMicros[1]));
    }
  }

  private void round(CrashStore store, Random random, String context) throws Exception {
    Aim aim = Aim.values()[random.nextInt(100) < 40 ? 0 : random.nextBoolean() ? 1 : 2];
    int target;
    switch (aim) {
      case OPERATION:
        target = 1 + random.nextInt(100);
        break;
      case COMMIT:
        target = 1 + random.nextInt(10);
        break;
      default:
        target = 1 + random.nextInt(2);
    }
    String plan = context + ", kill aimed at " + aim + " " + target;
    List<String> history = new ArrayList<>();
    Path stderr = Files.createTempFile(store.dir, "child", ".err");
    List<String> rest = new ArrayList<>();
    int status;
    boolean killed;
    try (CrashChild child =
        CrashChild.start(
            stderr,
            120,
            "work",
            store.store.toString(),
            store.root.toString(),
            store.outside.toString(),
            store.oracle.toString(),
            Long.toString(random.nextLong()),
            "600",
            aim == Aim.ROLLBACK ? "35" : "15")) {
      for (String line; !child.destroyed() && (line = child.nextLine()) != null; ) {
        history.add(line);
        String[] w = line.split(" ");
        switch (w[0]) {
          case "OP":
            if (aim == Aim.OPERATION && Integer.parseInt(w[1]) == target) {
              CrashChild.spin(random.nextInt(300_000));
              child.kill();
            }
            break;
          case "COMMIT":
            if (aim == Aim.COMMIT && Integer.parseInt(w[1]) == target) {
              killInside(child, store, random, commitMicros, 1);
            } else {
              child.go();
            }
            break;
          case "ROLLBACK":
            restores.merge(w[3], 1, Integer::sum);
            if (aim == Aim.ROLLBACK && Integer.parseInt(w[1]) == target) {
              restoresKilled.merge(w[3], 1, Integer::sum);
              killInside(child, store, random, rollbackMicros, 1 + random.nextInt(4));
            } else {
              child.go();
            }
            break;
          case "COMMITTED":
            record(commitMicros, Long.parseLong(w[2]));
            break;
          case "ROLLEDBACK":
            record(rollbackMicros, Long.parseLong(w[2]));
            break;
          case "MISMATCH":
            throw new AssertionError(plan + ": the child found " + line + "\n" + child.describe());
          default:
            break;
        }
      }
      status = child.finish(rest);
      for (String line : rest) {
        if (line.startsWith("MISMATCH")) {
          throw new AssertionError(plan + ": the child found " + line + "\n" + child.describe());
        }
      }
      killed = child.killed();
      if (!killed) {
        assertEquals(0, status, plan + ": the child exited on its own, and not cleanly\n" + child.describe());
        noKill++;
      }
    }
    CrashStore.Outcome outcome;
    try {
      outcome = store.verifyAfterKill(random, plan);
    } catch (AssertionError e) {
      List<String> tail = history.subList(Math.max(0, history.size() - 200), history.size());
      throw new AssertionError(
          e.getMessage() + "\nthe child's output before the kill (last " + tail.size() + " lines):\n  "
              + String.join("\n  ", tail),
          e);
    }
    if (killed) {
      killsByInFlight[outcome.inFlight().ordinal()]++;
    }
    if (outcome.tookEffect()) {
      if (outcome.inFlight() == CrashStore.InFlight.COMMIT) {
        commitsLanded++;
      } else {
        rollbacksFinished++;
      }
    }
    Files.delete(stderr);
  }

  /**
   * Lets the waiting child enter commit or rollback and kills it inside: half the time after a
   * random delay of up to one and a half times the call's mean duration, half the time just
   * after the call has written the index {@code indexWrites} times (the index write is what
   * makes a commit or a rollback step take effect) or, for a rollback, sometimes after it has
   * undone a few records; or once the call has returned.
   */
  private static void killInside(CrashChild child, CrashStore store, Random random, long[] stats, int indexWrites)
      throws Exception {
    if (random.nextBoolean()) {
      child.go();
      CrashChild.spin(delay(random, stats));
      child.kill();
      return;
    }
    boolean progress = indexWrites > 1 && random.nextBoolean();
    CrashChild.StoreWatch watch =
        new CrashChild.StoreWatch(store.store.resolve(progress ? "undo.progress" : "index.mv"), store.oracle);
    child.go();
    watch.await(progress ? 1 + random.nextInt(20) : indexWrites, child);
    CrashChild.spin(random.nextInt(300_000));
    child.kill();
  }

  private static void record(long[] stats, long micros) {
    stats[0] += micros;
    stats[1]++;
  }

  /** Uniform over one and a half times the mean duration seen so far (5 ms before any). */
  private static long delay(Random random, long[] stats) {
    long mean = stats[1] == 0 ? 5_000 : stats[0] / stats[1];
    return (long) (random.nextDouble() * 1.5 * mean * 1000);
  }
}
