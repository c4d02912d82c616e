package dev.metamori.crash;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM running {@link CrashWorkload} with SIGKILL at random moments (during
 * file operations, inside commit, inside rollback, inside prune), reopens its store here and checks it
 * against the oracle; then the next child goes on with the same store.
 *
 * <p>{@code -Dmetamori.crash.trials=N} sets the number of rounds, each normally ending in a kill
 * (default 18; the {@code soak} Maven profile runs 1000), {@code -Dmetamori.crash.seed=S} the
 * seed (printed). Kills are aimed by the child's output and by watching the store's files; a
 * short busy-wait of random length only scatters where they land. See {@link KillCampaign}.
 */
class SigkillDuringWorkloadTest {
  private static final int ROUNDS_PER_STORE = 8;

  @TempDir Path tmp;

  private enum Aim {
    OPERATION,
    COMMIT,
    ROLLBACK,
    PRUNE
  }

  private KillCampaign campaign;

  @Test
  void aStoreKilledAtAnyMomentReopensAtTheEpochItLastReachedWithExactlyThatTree() throws Exception {
    campaign = new KillCampaign("crash workload", "metamori.crash.trials", 18, 5_000, tmp);
    campaign.run(ROUNDS_PER_STORE, (dir, random) -> new CrashStore(dir).create(random), this::round);
  }

  private void round(CrashStore store, String context) throws Exception {
    Random random = campaign.random;
    int dice = random.nextInt(100);
    Aim aim =
        dice < 35 ? Aim.OPERATION : dice < 62 ? Aim.COMMIT : dice < 88 || CrashWorkload.PRUNE_PERCENT == 0 ? Aim.ROLLBACK : Aim.PRUNE;
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
    boolean killed =
        campaign.runChild(
            store.dir,
            CrashWorkload.class,
            plan,
            history,
            (child, w) ->
                campaign.killAtAnnounced(
                    child, w, store.store, store.oracle, aim == Aim.OPERATION ? "OP" : aim.name(), target, true),
            "work",
            store.store.toString(),
            store.root.toString(),
            store.outside.toString(),
            store.oracle.toString(),
            Long.toString(random.nextLong()),
            "600",
            aim == Aim.ROLLBACK ? "35" : "15",
            Integer.toString(CrashWorkload.PRUNE_PERCENT));
    OracleLog.Outcome outcome =
        campaign.afterKill(store.dir, plan, history, () -> store.verifyAfterKill(campaign, plan));
    campaign.tally(killed, outcome);
  }
}
