package dev.metamori.crash;

import dev.metamori.testing.TreeSnapshot;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.testing.EpochTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Random;

/**
 * The process the crash tests kill. Drives a store through its file system and keeps the
 * oracle log ({@link OracleLog} of trees) up to date, announcing on standard output what it is
 * about to do:
 *
 * <pre>
 *   OPENING                 about to open the store (recovery runs inside open)
 *   OPENED epoch micros     open returned
 *   OP n                    about to perform operation n
 *   DID what                operation n done: what it was
 *   COMMIT k                about to call commit for the k-th time; waits for a line on stdin
 *   COMMITTED id micros     commit returned
 *   ROLLBACK k target dir   about to call rollback for the k-th time (dir: BACK, FORWARD, ACROSS,
 *                           STAY, see EpochTree); waits for a line on stdin
 *   ROLLEDBACK target micros
 *   PRUNE k policy          about to prune for the k-th time; waits for a line on stdin
 *   PRUNED k micros
 *   MISMATCH text           a self-check failed (exit status 3)
 *   DONE                    ran out of operations (exit status 0)
 * </pre>
 *
 * Modes: {@code work store root outside oracle seed maxOps rollbackPercent prunePercent} (random operations,
 * commits, rollbacks and prunes); {@code open store root} (only recovery); {@code rollback store root
 * oracle target} (recovery, then one rollback).
 */
public final class CrashWorkload {
  /** The unit of the workload's file and write sizes; stores have blocks of 512 B to 4 KiB. */
  static final int SIZE_UNIT = 1024;
  /**
   * How often, in percent, the workloads prune instead of committing or rolling back ({@code
   * -Dmetamori.crash.prunePercent}; 0 leaves prunes out).
   */
  static final int PRUNE_PERCENT = Integer.getInteger("metamori.crash.prunePercent", 6);

  private CrashWorkload() {}

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    Path store = Paths.get(args[1]);
    Path root = Paths.get(args[2]);
    switch (mode) {
      case "work":
        work(store, root, Paths.get(args[3]), Paths.get(args[4]), Long.parseLong(args[5]),
            Integer.parseInt(args[6]), Integer.parseInt(args[7]), Integer.parseInt(args[8]));
        break;
      case "open":
        try (Checkpointer cp = open(store, root)) {
          // recovery is all this mode does
        }
        break;
      case "rollback":
        try (Checkpointer cp = open(store, root);
            OracleLog<TreeSnapshot> log = OracleLog.append(Paths.get(args[3]), CrashStore.FORMAT)) {
          ChildProtocol.rollback(cp, log, 1, Long.parseLong(args[4]));
        }
        break;
      default:
        throw new IllegalArgumentException(mode);
    }
    ChildProtocol.say("DONE");
    System.exit(0);
  }

  private static Checkpointer open(Path store, Path root) throws IOException {
    ChildProtocol.say("OPENING");
    long t0 = System.nanoTime();
    Checkpointer cp = Checkpointer.builder(store).track(root).open();
    ChildProtocol.say("OPENED " + cp.currentEpoch() + " " + (System.nanoTime() - t0) / 1000);
    return cp;
  }

  private static void check(Path root, TreeSnapshot expected, String when) throws IOException {
    ChildProtocol.check(expected.differencesFrom(CrashStore.tree(root)), when);
  }

  private static void work(
      Path store, Path root, Path outside, Path oracle, long seed, int maxOps, int rollbackPercent, int prunePercent)
      throws IOException {
    OracleLog.State<TreeSnapshot> state = OracleLog.read(oracle, CrashStore.FORMAT);
    state.requireSettled(oracle);
    Random random = new Random(seed);
    try (Checkpointer cp = open(store, root);
        OracleLog<TreeSnapshot> log = OracleLog.append(oracle, CrashStore.FORMAT)) {
      long current = cp.currentEpoch();
      if (current != state.current) {
        ChildProtocol.mismatch("opened at epoch " + current + " but the oracle is at " + state.current);
      }
      check(root, state.payload(current), "after opening at epoch " + current);
      log.at(current);
      long nextId = state.nextId();
      CrashOps ops = new CrashOps(random, cp.fileSystem(), root, outside, SIZE_UNIT);
      int done = 0;
      int commits = 0;
      int rollbacks = 0;
      int prunes = 0;
      while (done < maxOps) {
        int n = 1 + random.nextInt(6);
        for (int i = 0; i < n && done < maxOps; i++) {
          done++;
          ChildProtocol.say("OP " + done);
          ChildProtocol.say("DID " + ops.step());
        }
        List<Epoch> valid = cp.epochs();
        if (valid.size() > 2 && random.nextInt(100) < prunePercent) {
          prunes++;
          TreeSnapshot before = CrashStore.tree(root);
          ChildProtocol.prune(cp, log, prunes, random);
          check(root, before, "after prune " + prunes + " (a prune changes no tracked file)");
        } else if (random.nextInt(100) < rollbackPercent) {
          long target = new EpochTree(valid).pickTarget(random, cp.currentEpoch());
          rollbacks++;
          ChildProtocol.rollback(cp, log, rollbacks, target);
          check(root, state.payload(target), "after rollback to epoch " + target);
        } else {
          TreeSnapshot tree = CrashStore.tree(root);
          commits++;
          log.pending(nextId, tree);
          ChildProtocol.say("COMMIT " + commits);
          ChildProtocol.awaitGo();
          long t0 = System.nanoTime();
          long id = cp.commit();
          ChildProtocol.committed(id, nextId, (System.nanoTime() - t0) / 1000, log, state, tree);
          nextId = id + 1;
          check(root, tree, "after commit of epoch " + id);
        }
      }
    }
  }
}
