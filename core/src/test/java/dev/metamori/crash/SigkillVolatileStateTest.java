package dev.metamori.crash;

import dev.metamori.testing.Blob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.EpochTree;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.StoreCopies;
import java.io.IOException;
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
 * Kills a child JVM running {@link VolatileWorkload} (files, two memory regions and an object,
 * committed with {@code commit} and {@code commitAsync}, rolled back) with SIGKILL at random
 * moments: during writes, inside commit, between the capture of an asynchronous commit and its
 * durability, inside rollback. Then reopens the store here, asks for the regions, registers the
 * object, and checks that files, regions and object are all exactly at the epoch the store
 * reopened at, which must be the last committed one, or, with a commit or rollback in flight,
 * the one before or the one it was heading to: never parts of two epochs. Then rolls back to a
 * random epoch and checks again; the next child goes on with the same store and checks it once
 * more after opening.
 *
 * <p>{@code -Dmetamori.crash.volatileTrials=N} sets the number of rounds, each normally ending
 * in a kill (default 24; the {@code soak} Maven profile runs 500), {@code
 * -Dmetamori.crash.seed=S} the seed (printed).
 */
class SigkillVolatileStateTest {
  private static final int ROUNDS_PER_STORE = 8;

  @TempDir Path tmp;

  private enum Aim {
    OPERATION,
    COMMIT,
    CAPTURED,
    ROLLBACK
  }

  private final long[] commitMicros = {0, 0};
  private final long[] rollbackMicros = {0, 0};

  private int trials;
  private int noKill;
  private final int[] killsByAim = new int[Aim.values().length];
  private final int[] killsByInFlight = new int[CrashStore.InFlight.values().length];
  private int commitsLanded;
  private int rollbacksFinished;
  /** Rollbacks the children started, and those a kill was aimed into, by direction. */
  private final Map<String, Integer> restores = new TreeMap<>();
  private final Map<String, Integer> restoresKilled = new TreeMap<>();

  @Test
  void filesRegionsAndObjectReopenTogetherAtOneEpochAfterAKillAtAnyMoment() throws Exception {
    int wanted = Integer.getInteger("metamori.crash.volatileTrials", 24);
    long seed = Long.getLong("metamori.crash.seed", new Random().nextLong());
    Random random = new Random(seed);
    long start = System.nanoTime();
    String failure = "none";
    try {
      for (int s = 0; trials < wanted; s++) {
        Path dir = Files.createDirectory(tmp.resolve("s" + s));
        create(dir, random);
        for (int round = 0; round < ROUNDS_PER_STORE && trials < wanted; round++) {
          round(dir, random, "seed " + seed + ", store " + s + ", round " + round);
          trials++;
        }
      }
    } catch (Throwable t) {
      failure = t.getClass().getSimpleName();
      throw t;
    } finally {
      System.out.printf(
          "volatile crash workload: seed %d, %d trials, kills aimed at write %d / commit %d / after capture %d"
              + " / rollback %d; kills with in flight nothing %d / commit %d (landed %d) / rollback %d"
              + " (finished %d); rounds without kill %d, rollbacks %s, killed inside %s, failures: %s, %.1f s"
              + " (mean commit %d us, rollback %d us)%n",
          seed,
          trials,
          killsByAim[0],
          killsByAim[1],
          killsByAim[2],
          killsByAim[3],
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

  /** A few files, the store, and epoch 1 holding them with both regions and the object. */
  private static void create(Path dir, Random random) throws IOException {
    Path root = Files.createDirectory(dir.resolve("root"));
    for (String name : VolatileWorkload.FILES.subList(0, 2)) {
      byte[] data = new byte[random.nextInt(9000)];
      random.nextBytes(data);
      Files.write(root.resolve(name), data);
    }
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
        VolatileOracleLog log = VolatileOracleLog.append(dir.resolve("oracle.log"))) {
      MemoryRegion small = cp.region("small", VolatileOracleLog.SMALL_SIZE);
      MemoryRegion grid = cp.region("grid", VolatileOracleLog.GRID_SIZE);
      Blob object = new Blob();
      cp.register("object", object);
      object.bytes = new byte[random.nextInt(50_000)];
      random.nextBytes(object.bytes);
      grid.putLong(4092, random.nextLong());
      small.put(small.size() - 1, (byte) 1);
      String fingerprint = VolatileOracleLog.fingerprint(root, small, grid, object);
      log.pending(1, fingerprint);
      assertEquals(1, cp.commit());
      log.committed(1);
      log.at(1);
    }
  }

  private void round(Path dir, Random random, String context) throws Exception {
    int dice = random.nextInt(100);
    Aim aim = dice < 25 ? Aim.OPERATION : dice < 60 ? Aim.COMMIT : dice < 80 ? Aim.CAPTURED : Aim.ROLLBACK;
    int target = aim == Aim.OPERATION ? 1 + random.nextInt(60) : aim == Aim.ROLLBACK ? 1 + random.nextInt(2) : 1 + random.nextInt(8);
    // forcing or not changes what a kill can interrupt, never what must come back
    Durability durability =
        random.nextInt(5) < 3 ? Durability.PROCESS : random.nextBoolean() ? Durability.SYSTEM : Durability.NONE;
    String plan = context + ", " + durability + ", kill aimed at " + aim + " " + target;
    List<String> history = new ArrayList<>();
    Path stderr = Files.createTempFile(dir, "child", ".err");
    boolean killed;
    try (CrashChild child =
        CrashChild.start(
            VolatileWorkload.class,
            stderr,
            120,
            dir.resolve("store").toString(),
            dir.resolve("root").toString(),
            dir.resolve("oracle.log").toString(),
            Long.toString(random.nextLong()),
            "300",
            aim == Aim.ROLLBACK ? "35" : "15",
            durability.name())) {
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
              killInside(child, dir, random, commitMicros, 1);
            } else {
              child.go();
            }
            break;
          case "CAPTURED":
            // the epoch is captured, the child writes on: kill before, during or after durability
            if (aim == Aim.CAPTURED && Integer.parseInt(w[1]) >= target) {
              CrashChild.spin(delay(random, commitMicros));
              child.kill();
            }
            break;
          case "ROLLBACK":
            restores.merge(w[3], 1, Integer::sum);
            if (aim == Aim.ROLLBACK && Integer.parseInt(w[1]) == target) {
              restoresKilled.merge(w[3], 1, Integer::sum);
              killInside(child, dir, random, rollbackMicros, 1 + random.nextInt(4));
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
      List<String> rest = new ArrayList<>();
      int status = child.finish(rest);
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
    // as the kill left it: reopening changes the store, and a failure is studied on this copy
    Path asKilled = tmp.resolve("as-killed");
    StoreCopies.replace(dir, asKilled);
    CrashStore.Outcome outcome;
    try {
      outcome = verify(dir, random, plan);
    } catch (AssertionError | IOException | RuntimeException e) {
      Path kept = Path.of("target", "failed-stores", dir.getFileName() + "-" + System.nanoTime());
      StoreCopies.replace(asKilled, kept);
      List<String> tail = history.subList(Math.max(0, history.size() - 60), history.size());
      throw new AssertionError(
          plan + ": " + e + "\nthe store, tree and oracle as the kill left them are kept in " + kept
              + "\nthe child's output before the kill (last " + tail.size() + " lines):\n  "
              + String.join("\n  ", tail),
          e);
    }
    if (killed) {
      killsByAim[aim.ordinal()]++;
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
   * Reopens the store, checks that files, regions and object are all at the epoch the oracle
   * allows and that every committed epoch is listed, then rolls back to a random epoch (mostly
   * one that needs redo) and checks again. Settles the oracle.
   */
  private static CrashStore.Outcome verify(Path dir, Random random, String context) throws IOException {
    Path oracle = dir.resolve("oracle.log");
    Path root = dir.resolve("root");
    VolatileOracleLog.State state = VolatileOracleLog.read(oracle);
    VolatileOracleLog.repair(oracle, state);
    CrashStore.InFlight inFlight =
        state.pendingId != null
            ? CrashStore.InFlight.COMMIT
            : state.rollbackTarget != null ? CrashStore.InFlight.ROLLBACK : CrashStore.InFlight.NOTHING;
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
        VolatileOracleLog log = VolatileOracleLog.append(oracle)) {
      MemoryRegion small = cp.region("small", VolatileOracleLog.SMALL_SIZE);
      MemoryRegion grid = cp.region("grid", VolatileOracleLog.GRID_SIZE);
      Blob object = new Blob();
      cp.register("object", object);
      long now = cp.currentEpoch();
      String expected;
      switch (inFlight) {
        case COMMIT:
          assertTrue(
              now == state.current || now == state.pendingId,
              "killed while committing epoch " + state.pendingId + " on top of " + state.current
                  + ", the store reopened at epoch " + now);
          if (now == state.pendingId) {
            expected = state.pendingFingerprint;
            log.committed(now);
            state.landed(now, expected);
          } else {
            expected = state.fingerprint(now);
          }
          break;
        case ROLLBACK:
          assertTrue(
              now == state.current || now == state.rollbackTarget,
              "killed while rolling back from " + state.current + " to " + state.rollbackTarget
                  + ", the store reopened at epoch " + now);
          expected = state.fingerprint(now);
          break;
        default:
          assertEquals(state.current, now, "killed at epoch " + state.current + ", reopened at");
          expected = state.fingerprint(now);
      }
      log.at(now);
      check(state, expected, VolatileOracleLog.fingerprint(root, small, grid, object),
          "after reopening at epoch " + now + " (" + inFlight + " in flight)");
      List<Epoch> epochs = cp.epochs();
      String listed = EpochTree.differences(epochs, state.parents);
      if (listed != null) {
        throw new AssertionError("every committed epoch stays listed, with its parent: " + listed);
      }

      // never epoch 0: the store had no object then, so a rollback would leave it as it is
      long target = new EpochTree(epochs).pickTarget(random, now, 0);
      log.rollingBack(target);
      cp.rollback(target);
      log.at(target);
      check(state, state.fingerprint(target), VolatileOracleLog.fingerprint(root, small, grid, object),
          "after reopening at " + now + " and rolling back to " + target);
      return new CrashStore.Outcome(inFlight, state.current, now);
    }
  }

  private static void check(VolatileOracleLog.State state, String expected, String actual, String when) {
    if (!expected.equals(actual)) {
      throw new AssertionError(
          when + ": expected " + expected + "\n  found " + actual + "\n  " + state.whereFrom(actual));
    }
  }

  /**
   * Lets the waiting child enter commit or rollback and kills it inside: half the time after a
   * random delay of up to one and a half times the call's mean duration, half the time just
   * after the call has written the index {@code indexWrites} times; or once it has returned.
   */
  private static void killInside(CrashChild child, Path dir, Random random, long[] stats, int indexWrites)
      throws Exception {
    if (random.nextBoolean()) {
      child.go();
      CrashChild.spin(delay(random, stats));
      child.kill();
      return;
    }
    CrashChild.StoreWatch watch =
        new CrashChild.StoreWatch(dir.resolve("store").resolve("index.mv"), dir.resolve("oracle.log"));
    child.go();
    watch.await(indexWrites, child);
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
