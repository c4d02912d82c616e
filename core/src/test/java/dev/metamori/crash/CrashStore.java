package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.testing.EpochTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * One store under crash test: a tracked root, a directory outside it for moves across the
 * boundary, the store, and the oracle log, all side by side in one directory.
 */
final class CrashStore {
  final Path dir;
  final Path root;
  final Path outside;
  final Path store;
  final Path oracle;

  CrashStore(Path dir) {
    this.dir = dir;
    this.root = dir.resolve("root");
    this.outside = dir.resolve("outside");
    this.store = dir.resolve("store");
    this.oracle = dir.resolve("oracle.log");
  }

  /** Creates a small tree, the store (epoch 0) and the oracle's record of epoch 0. */
  CrashStore create(Random random) throws IOException {
    Files.createDirectories(root.resolve("a/b"));
    Files.createDirectories(root.resolve("c"));
    Files.createDirectories(outside);
    for (String name : new String[] {"f1", "a/f2", "a/b/f3", "c/f4", "c/f5"}) {
      byte[] data = new byte[random.nextInt(6 * CrashWorkload.SIZE_UNIT)];
      random.nextBytes(data);
      Files.write(root.resolve(name), data);
    }
    try (Checkpointer cp = open(new int[] {512, 1024, 4096}[random.nextInt(3)]);
        CrashOracleLog log = CrashOracleLog.append(oracle)) {
      assertEquals(0, cp.currentEpoch());
      log.pending(0, CrashTreeSnapshot.of(root));
      log.committed(0);
      log.at(0);
    }
    return this;
  }

  Checkpointer open() throws IOException {
    return open(0);
  }

  private Checkpointer open(int blockSize) throws IOException {
    Checkpointer.Builder b = Checkpointer.builder(store).track(root);
    if (blockSize != 0) {
      b.blockSize(blockSize);
    }
    return b.open();
  }

  /** How a kill ended, as the oracle log tells it. */
  enum InFlight {
    NOTHING,
    COMMIT,
    ROLLBACK
  }

  /** What {@link #verifyAfterKill} found. */
  record Outcome(InFlight inFlight, long before, long after) {
    /** The call in flight took effect (the commit landed, or the rollback was finished). */
    boolean tookEffect() {
      return inFlight != InFlight.NOTHING && after != before;
    }
  }

  /**
   * Reopens the store after its driver was killed and checks that it is at an epoch the oracle
   * allows, with exactly that epoch's tree, and lists every committed epoch; then rolls back to
   * a random epoch (mostly one that needs redo) and checks again. Settles the oracle log (records the outcome) so the next driver can go on.
   */
  Outcome verifyAfterKill(Random random, String context) throws IOException {
    try {
      return verify(random, context);
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(context + ": reopening or rolling back failed: " + e, e);
    }
  }

  private Outcome verify(Random random, String context) throws IOException {
    CrashOracleLog.State state = CrashOracleLog.read(oracle);
    CrashOracleLog.repair(oracle, state);
    InFlight inFlight =
        state.pendingId != null
            ? InFlight.COMMIT
            : state.rollbackTarget != null ? InFlight.ROLLBACK : InFlight.NOTHING;
    try (Checkpointer cp = open();
        CrashOracleLog log = CrashOracleLog.append(oracle)) {
      long now = cp.currentEpoch();
      CrashTreeSnapshot expected;
      switch (inFlight) {
        case COMMIT:
          assertTrue(
              now == state.current || now == state.pendingId,
              context + ": killed while committing epoch " + state.pendingId + " on top of "
                  + state.current + ", the store reopened at epoch " + now);
          if (now == state.pendingId) {
            expected = state.pendingTree;
            log.committed(now);
            state.landed(now, expected);
          } else {
            expected = state.tree(now);
          }
          break;
        case ROLLBACK:
          assertTrue(
              now == state.current || now == state.rollbackTarget,
              context + ": killed while rolling back from " + state.current + " to "
                  + state.rollbackTarget + ", the store reopened at epoch " + now);
          expected = state.tree(now);
          break;
        default:
          assertEquals(state.current, now, context + ": killed at epoch " + state.current + ", reopened at");
          expected = state.tree(now);
      }
      log.at(now);
      assertTree(expected, context + ": tree after reopening at epoch " + now + " (" + inFlight + " in flight)");
      List<Epoch> epochs = cp.epochs();
      String listed = EpochTree.differences(epochs, state.parents);
      if (listed != null) {
        throw new AssertionError(context + ": every committed epoch stays listed, with its parent: " + listed);
      }

      long target = new EpochTree(epochs).pickTarget(random, now);
      log.rollingBack(target);
      cp.rollback(target);
      log.at(target);
      assertEquals(target, cp.currentEpoch(), context + ": epoch after rollback(" + target + ")");
      assertTree(state.tree(target), context + ": tree after reopening at " + now + " and rolling back to " + target);
      return new Outcome(inFlight, state.current, now);
    }
  }

  void assertTree(CrashTreeSnapshot expected, String what) throws IOException {
    List<String> diff = CrashTreeSnapshot.of(root).differencesFrom(expected);
    if (!diff.isEmpty()) {
      throw new AssertionError(what + " differs from the oracle:\n  " + String.join("\n  ", diff));
    }
  }
}
