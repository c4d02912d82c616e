package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.Blob;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM running {@link VolatileWorkload} (files, two memory regions and an object,
 * committed with {@code commit} and {@code commitAsync}, rolled back) with SIGKILL at random
 * moments: during writes, inside commit, between the capture of an asynchronous commit and its
 * durability, inside rollback, inside prune. Then reopens the store here, asks for the regions, registers the
 * object, and checks that files, regions and object are all exactly at the epoch the store
 * reopened at, which must be the last committed one, or, with a commit or rollback in flight,
 * the one before or the one it was heading to: never parts of two epochs. Then rolls back to a
 * random epoch and checks again; the next child goes on with the same store and checks it once
 * more after opening.
 *
 * <p>{@code -Dmetamori.crash.volatileTrials=N} sets the number of rounds, each normally ending
 * in a kill (default 24; the {@code soak} Maven profile runs 500), {@code
 * -Dmetamori.crash.seed=S} the seed (printed). See {@link KillCampaign}.
 */
class SigkillVolatileStateTest {
  private static final int ROUNDS_PER_STORE = 8;

  @TempDir Path tmp;

  private enum Aim {
    OPERATION,
    COMMIT,
    CAPTURED,
    ROLLBACK,
    PRUNE
  }

  private KillCampaign campaign;

  @Test
  void filesRegionsAndObjectReopenTogetherAtOneEpochAfterAKillAtAnyMoment() throws Exception {
    campaign = new KillCampaign("volatile crash workload", "metamori.crash.volatileTrials", 24, 5_000, tmp);
    for (Aim aim : Aim.values()) {
      campaign.counter("kills aimed at " + aim);
    }
    campaign.run(ROUNDS_PER_STORE, SigkillVolatileStateTest::create, this::round);
  }

  /** A few files, the store, and epoch 1 holding them with both regions and the object. */
  private static Path create(Path dir, Random random) throws IOException {
    Files.createDirectory(dir);
    Path root = Files.createDirectory(dir.resolve("root"));
    for (String name : VolatileWorkload.FILES.subList(0, 2)) {
      byte[] data = new byte[random.nextInt(9000)];
      random.nextBytes(data);
      Files.write(root.resolve(name), data);
    }
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
        OracleLog<String> log = OracleLog.append(dir.resolve("oracle.log"), VolatileFingerprint.FORMAT)) {
      MemoryRegion small = cp.region("small", VolatileFingerprint.SMALL_SIZE);
      MemoryRegion grid = cp.region("grid", VolatileFingerprint.GRID_SIZE);
      Blob object = new Blob();
      cp.register("object", object);
      object.bytes = new byte[random.nextInt(50_000)];
      random.nextBytes(object.bytes);
      grid.putLong(4092, random.nextLong());
      small.put(small.size() - 1, (byte) 1);
      String fingerprint = VolatileFingerprint.of(root, small, grid, object);
      log.pending(1, fingerprint);
      assertEquals(1, cp.commit());
      log.committed(1);
      log.at(1);
    }
    return dir;
  }

  private void round(Path dir, String context) throws Exception {
    Random random = campaign.random;
    int dice = random.nextInt(100);
    Aim aim =
        dice < 25 ? Aim.OPERATION : dice < 55 ? Aim.COMMIT : dice < 75 ? Aim.CAPTURED
            : dice < 90 || CrashWorkload.PRUNE_PERCENT == 0 ? Aim.ROLLBACK : Aim.PRUNE;
    int target =
        aim == Aim.OPERATION ? 1 + random.nextInt(60) : aim == Aim.ROLLBACK || aim == Aim.PRUNE ? 1 + random.nextInt(2) : 1 + random.nextInt(8);
    // forcing or not changes what a kill can interrupt, never what must come back
    Durability durability =
        random.nextInt(5) < 3 ? Durability.PROCESS : random.nextBoolean() ? Durability.SYSTEM : Durability.NONE;
    String plan = context + ", " + durability + ", kill aimed at " + aim + " " + target;
    Path store = dir.resolve("store");
    Path oracle = dir.resolve("oracle.log");
    List<String> history = new ArrayList<>();
    boolean killed =
        campaign.runChild(
            dir,
            VolatileWorkload.class,
            plan,
            history,
            (child, w) -> {
              if (w[0].equals("CAPTURED")) {
                // the epoch is captured, the child writes on: kill before, during or after durability
                if (aim == Aim.CAPTURED && Integer.parseInt(w[1]) >= target) {
                  campaign.killWithin(child, campaign.mean("commit"), false);
                }
              } else {
                campaign.killAtAnnounced(
                    child, w, store, oracle, aim == Aim.OPERATION ? "OP" : aim.name(), target, false);
              }
            },
            store.toString(),
            dir.resolve("root").toString(),
            oracle.toString(),
            Long.toString(random.nextLong()),
            "300",
            aim == Aim.ROLLBACK ? "35" : "15",
            durability.name(),
            Integer.toString(CrashWorkload.PRUNE_PERCENT));
    OracleLog.Outcome outcome = campaign.afterKill(dir, plan, history, () -> verify(dir, plan));
    if (killed) {
      campaign.count("kills aimed at " + aim);
    }
    campaign.tally(killed, outcome);
  }

  /**
   * Reopens the store, asks for the regions and registers the object, and checks files,
   * regions and object against the oracle ({@link KillCampaign#reopenedAsLogged}); never rolls
   * back to epoch 0: the store had no object then, so a rollback would leave it as it is.
   */
  private OracleLog.Outcome verify(Path dir, String context) throws IOException {
    Path oracle = dir.resolve("oracle.log");
    Path root = dir.resolve("root");
    OracleLog.State<String> state = OracleLog.read(oracle, VolatileFingerprint.FORMAT);
    OracleLog.repair(oracle, state);
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
        OracleLog<String> log = OracleLog.append(oracle, VolatileFingerprint.FORMAT)) {
      MemoryRegion small = cp.region("small", VolatileFingerprint.SMALL_SIZE);
      MemoryRegion grid = cp.region("grid", VolatileFingerprint.GRID_SIZE);
      Blob object = new Blob();
      cp.register("object", object);
      KillCampaign.Probe<String> probe =
          (expected, when) ->
              VolatileFingerprint.check(state, expected, VolatileFingerprint.of(root, small, grid, object), when);
      return campaign.reopenedAsLogged(cp, log, state, probe, context, 0);
    }
  }
}
