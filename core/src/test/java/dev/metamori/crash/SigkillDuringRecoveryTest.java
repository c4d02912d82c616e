package dev.metamori.crash;

import dev.metamori.testing.TreeSnapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.testing.EpochTree;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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
 * seed (printed). See {@link KillCampaign}.
 */
class SigkillDuringRecoveryTest {
  private static final int TRIALS_PER_STORE = 10;

  @TempDir Path tmp;

  private KillCampaign campaign;

  @Test
  void recoveryKilledAgainAndAgainStillEndsAtAnEpochTheOracleAllowsWithExactlyItsTree() throws Exception {
    campaign = new KillCampaign("crash recovery", "metamori.crash.recoveryTrials", 5, 50_000, tmp);
    campaign.counter("kills during recovery", "kills during rollback", "kills after both", "rollbacks finished");
    campaign.run(TRIALS_PER_STORE, (dir, random) -> new CrashStore(dir).create(random), this::trial);
  }

  private void trial(CrashStore store, String context) throws Exception {
    Random random = campaign.random;
    List<String> history = new ArrayList<>();
    long target = prepare(store, random, history);
    boolean inRollback = random.nextInt(100) < 65;
    kill(store, context + ", rollback to " + target + " killed", inRollback, history,
        "rollback", store.store.toString(), store.root.toString(), store.oracle.toString(), Long.toString(target));
    int kills = 1 + random.nextInt(3);
    for (int k = 0; k < kills; k++) {
      kill(store, context + ", recovery " + k + " killed", false, history,
          "open", store.store.toString(), store.root.toString());
    }
    OracleLog.Outcome outcome =
        campaign.afterKill(store.dir, context, history, () -> store.verifyAfterKill(campaign, context));
    if (outcome.tookEffect()) {
      campaign.count("rollbacks finished");
    }
  }

  /**
   * Commits a few epochs of random operations, then makes many changes without committing
   * and closes the store: the next open has to undo them all. Returns another epoch to roll
   * back to, mostly one that needs redo (on another branch: earlier trials left the store at
   * random epochs, so these commits start branches). Adds the operations to {@code trace}.
   */
  private static long prepare(CrashStore store, Random random, List<String> trace) throws Exception {
    long nextId = store.readLog().nextId();
    try (Checkpointer cp = store.open();
        OracleLog<TreeSnapshot> log = store.log()) {
      CrashOps ops = new CrashOps(random, cp.fileSystem(), store.root, store.outside, CrashWorkload.SIZE_UNIT);
      int epochs = 3 + random.nextInt(4);
      for (int e = 0; e < epochs; e++) {
        for (int i = 8 + random.nextInt(15); i > 0; i--) {
          trace.add(ops.step());
        }
        log.pending(nextId, CrashStore.tree(store.root));
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
  private void kill(CrashStore store, String context, boolean inRollback, List<String> history, String... args)
      throws Exception {
    Random random = campaign.random;
    boolean[] opened = {false};
    boolean[] rollingBack = {false};
    boolean killed =
        campaign.runChild(
            store.dir,
            CrashWorkload.class,
            context,
            history,
            (child, w) -> {
              switch (w[0]) {
                case "OPENING":
                  if (!inRollback) {
                    killDuringOpen(child, store);
                  }
                  break;
                case "OPENED":
                  opened[0] = true;
                  break;
                case "ROLLBACK":
                  rollingBack[0] = true;
                  campaign.rollbackStarted(w[3], inRollback);
                  if (inRollback) {
                    int how = random.nextInt(3);
                    if (how == 0) {
                      campaign.killWithin(child, campaign.mean("rollback"), true);
                    } else {
                      Path file = store.store.resolve(how == 1 ? "index.mv" : "undo.progress");
                      int changes = how == 1 ? 1 + random.nextInt(6) : 1 + random.nextInt(40);
                      campaign.killAfterWrites(child, file, store.oracle, changes, 100_000, true);
                    }
                  } else {
                    child.go();
                  }
                  break;
                case "ROLLEDBACK":
                  rollingBack[0] = false;
                  break;
                default:
                  break;
              }
            },
            args);
    if (killed) {
      campaign.count(rollingBack[0] ? "kills during rollback" : !opened[0] ? "kills during recovery" : "kills after both");
    }
  }

  /**
   * Kills a child that has started to open the store: a third of the time after a random delay
   * of up to one and a half times the mean open, otherwise once recovery has undone a random
   * number of records, or has written the index a few times (each step of a rollback it
   * finishes writes it once).
   */
  private void killDuringOpen(CrashChild child, CrashStore store) throws Exception {
    Random random = campaign.random;
    int how = random.nextInt(3);
    if (how == 0) {
      campaign.killWithin(child, campaign.mean("open"), false);
    } else {
      Path file = store.store.resolve(how == 1 ? "index.mv" : "undo.progress");
      int changes = how == 1 ? 1 + random.nextInt(4) : 1 + random.nextInt(40);
      campaign.killAfterWrites(child, file, store.oracle, changes, 100_000, false);
    }
  }
}
