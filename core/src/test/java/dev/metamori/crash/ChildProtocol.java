package dev.metamori.crash;

import dev.metamori.Checkpointer;
import dev.metamori.testing.EpochTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import dev.metamori.Epoch;
import dev.metamori.PruneResult;
import dev.metamori.RetentionPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * The child's half of the line protocol a {@link KillCampaign} reads: what the workloads it
 * kills ({@link CrashWorkload}, {@link VolatileWorkload}) announce on standard output, how they
 * wait for the test before commit and rollback, and how they report a failed self-check.
 */
final class ChildProtocol {
  /** The exit status of a child whose self-check failed. */
  static final int MISMATCH_STATUS = 3;

  private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);
  private static final BufferedReader IN =
      new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

  private ChildProtocol() {}

  /** Prints one line for the test. */
  static void say(String line) {
    OUT.println(line);
  }

  /** Waits for the test to let this child go on; stops at once (like a kill) if the test is gone. */
  static void awaitGo() throws IOException {
    if (IN.readLine() == null) {
      Runtime.getRuntime().halt(2);
    }
  }

  /** Reports a failed self-check and exits with {@link #MISMATCH_STATUS}. */
  static void mismatch(String what) {
    OUT.println("MISMATCH " + what.replace('\n', ' '));
    System.exit(MISMATCH_STATUS);
  }

  /**
   * The {@code k}-th rollback of this child, to {@code target}: logs it, announces {@code
   * ROLLBACK k target direction}, waits to be let go, rolls back, logs where the store is and
   * announces {@code ROLLEDBACK target micros}.
   */
  static void rollback(Checkpointer cp, OracleLog<?> log, int k, long target) throws IOException {
    EpochTree.Direction direction = new EpochTree(cp.epochs()).direction(cp.currentEpoch(), target);
    log.rollingBack(target);
    say("ROLLBACK " + k + " " + target + " " + direction);
    awaitGo();
    long t0 = System.nanoTime();
    cp.rollback(target);
    long micros = (System.nanoTime() - t0) / 1000;
    log.at(target);
    say("ROLLEDBACK " + target + " " + micros);
    if (cp.currentEpoch() != target) {
      mismatch("rollback(" + target + ") left the store at epoch " + cp.currentEpoch());
    }
  }

  /**
   * The {@code k}-th prune of this child, with a random policy (keep the last few epochs, drop a
   * branch the current epoch is not on, or both): logs the epochs it must remove, announces
   * {@code PRUNE k}, waits to be let go, prunes, checks that exactly those epochs went, logs
   * that and announces {@code PRUNED k micros}.
   */
  static void prune(Checkpointer cp, OracleLog<?> log, int k, Random random) throws IOException {
    List<Epoch> epochs = cp.epochs();
    long current = cp.currentEpoch();
    RetentionPolicy policy = random.nextInt(3) == 0 ? RetentionPolicy.keepAll() : RetentionPolicy.keepLast(1 + random.nextInt(6));
    EpochTree tree = new EpochTree(epochs);
    List<Long> offBranch = new ArrayList<>(); // neither the current epoch nor one of its ancestors
    for (Epoch e : epochs) {
      EpochTree.Direction d = tree.direction(current, e.id());
      if (d == EpochTree.Direction.FORWARD || d == EpochTree.Direction.ACROSS) {
        offBranch.add(e.id());
      }
    }
    if (!offBranch.isEmpty() && random.nextBoolean()) {
      policy = policy.dropBranch(offBranch.get(random.nextInt(offBranch.size())));
    }
    Set<Long> removed = new TreeSet<>();
    epochs.forEach(e -> removed.add(e.id()));
    removed.removeAll(policy.kept(epochs));
    removed.remove(current);
    log.pruning(removed);
    say("PRUNE " + k + " " + policy);
    awaitGo();
    long t0 = System.nanoTime();
    PruneResult result = cp.prune(policy);
    long micros = (System.nanoTime() - t0) / 1000;
    if (!new TreeSet<>(result.removedEpochs()).equals(removed)) {
      mismatch("prune(" + policy + ") at epoch " + current + " of " + epochs + " removed "
          + result.removedEpochs() + ", not " + removed);
    }
    log.pruned(removed);
    say("PRUNED " + k + " " + micros);
  }

  /**
   * A commit that returned epoch {@code id} {@code micros} after it was called, where {@code
   * expected} was due: checks the id, logs the commit and announces {@code COMMITTED id micros}.
   */
  static <T> void committed(long id, long expected, long micros, OracleLog<T> log, OracleLog.State<T> state, T payload)
      throws IOException {
    if (id != expected) {
      mismatch("commit returned epoch " + id + " where " + expected + " was expected");
    }
    log.committed(id);
    state.committed.put(id, payload);
    say("COMMITTED " + id + " " + micros);
  }

  /** Reports a mismatch unless {@code differences} is empty. */
  static void check(List<String> differences, String when) {
    if (!differences.isEmpty()) {
      mismatch(when + ": " + differences);
    }
  }
}
