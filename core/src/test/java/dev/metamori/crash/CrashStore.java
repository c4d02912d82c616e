package dev.metamori.crash;

import dev.metamori.testing.TreeSnapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * One store under crash test: a tracked root, a directory outside it for moves across the
 * boundary, the store, and the oracle log of its trees, all side by side in one directory.
 */
final class CrashStore {
  /** The oracle log of a crash store records every epoch's tree, epoch 0 included. */
  static final OracleLog.Format<TreeSnapshot> FORMAT =
      new OracleLog.Format<>(TreeSnapshot::encode, TreeSnapshot::decode, false);

  /** What the oracle records of a tree: {@link TreeSnapshot.Options#CRASH}. */
  static TreeSnapshot tree(Path root) throws IOException {
    return TreeSnapshot.of(root, TreeSnapshot.Options.CRASH);
  }

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
        OracleLog<TreeSnapshot> log = log()) {
      assertEquals(0, cp.currentEpoch());
      log.pending(0, tree(root));
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

  OracleLog<TreeSnapshot> log() throws IOException {
    return OracleLog.append(oracle, FORMAT);
  }

  OracleLog.State<TreeSnapshot> readLog() throws IOException {
    return OracleLog.read(oracle, FORMAT);
  }

  /**
   * Reopens the store after its driver was killed and checks it against the oracle ({@link
   * KillCampaign#reopenedAsLogged}), which it settles so that the next driver can go on.
   */
  OracleLog.Outcome verifyAfterKill(KillCampaign campaign, String context) throws IOException {
    OracleLog.State<TreeSnapshot> state = readLog();
    OracleLog.repair(oracle, state);
    try (Checkpointer cp = open();
        OracleLog<TreeSnapshot> log = log()) {
      return campaign.reopenedAsLogged(cp, log, state, this::assertTree, context);
    }
  }

  void assertTree(TreeSnapshot expected, String what) throws IOException {
    List<String> diff = expected.differencesFrom(tree(root));
    if (!diff.isEmpty()) {
      throw new AssertionError(what + " differs from the oracle:\n  " + String.join("\n  ", diff));
    }
  }
}
