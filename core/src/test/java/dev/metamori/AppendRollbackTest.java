package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.quicktheories.generators.SourceDSL.integers;

import dev.metamori.testing.Seeds;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Appends are journaled exactly, including appends into a region a truncation freed.
 *
 * <p>The property's default run is fixed: seed {@value #SEED}, {@code
 * metamori.append.examples} cases (default 60). A failure prints its seed and the command that
 * replays it ({@code -Dmetamori.seed=<seed>}, see {@link Seeds}); {@code
 * -Dmetamori.seed=random} (the {@code explore} Maven profile) draws a fresh seed.
 */
class AppendRollbackTest {
  private static final int BLOCK = 512;
  private static final int EXAMPLES = Integer.getInteger("metamori.append.examples", 60);
  /** The default seed of the property; {@code -Dmetamori.seed} overrides it. */
  static final long SEED = 5086816179033068273L;

  /** Opened by each test once it has written its file; the property opens a store per case. */
  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().unopened().withOptions(b -> b.blockSize(BLOCK));

  private static byte[] bytes(int length, long seed) {
    byte[] b = new byte[length];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void append(FileChannel channel, byte[] data) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  @Test
  void appendsThroughAChannelAndAStreamRollBackToTheOriginalBytes() throws IOException {
    Path file = harness.root().resolve("log");
    byte[] original = bytes(3 * BLOCK + 100, 1);
    Files.write(file, original);
    Checkpointer cp = harness.open();
    Path p = harness.path("log");
    try (FileChannel c = FileChannel.open(p, StandardOpenOption.APPEND)) {
      append(c, bytes(5000, 2));
    }
    try (OutputStream out = Files.newOutputStream(p, StandardOpenOption.APPEND)) {
      out.write(bytes(700, 3));
    }
    cp.rollback(0);
    cp.close();
    assertArrayEquals(original, Files.readAllBytes(file));
  }

  @Test
  void anAppendChannelKeptOpenAcrossACommitRollsBackToThatCommit() throws IOException {
    Path file = harness.root().resolve("log");
    Files.write(file, bytes(BLOCK + 7, 4));
    Checkpointer cp = harness.open();
    byte[] atCommit;
    long epoch;
    try (FileChannel c = FileChannel.open(harness.path("log"), StandardOpenOption.APPEND)) {
      append(c, bytes(900, 5));
      epoch = cp.commit();
      atCommit = Files.readAllBytes(file);
      append(c, bytes(1300, 6));
    }
    cp.rollback(epoch);
    assertArrayEquals(atCommit, Files.readAllBytes(file));
  }

  /**
   * A file truncated and then appended to, in one epoch or across a commit, through several
   * channels: rolling back restores the bytes of the epoch exactly, including the old blocks
   * the appends overwrote after the truncation.
   */
  @Test
  void appendsAfterATruncationRollBackExactly() {
    long seed = Seeds.seed(SEED);
    Seeds.run(
        "AppendRollbackTest.appendsAfterATruncationRollBackExactly",
        seed,
        () ->
            Seeds.qt(seed)
                .withExamples(EXAMPLES)
                .forAll(
                    integers().between(0, 6 * BLOCK),
                    integers().between(0, 6 * BLOCK),
                    integers().between(0, 8 * BLOCK),
                    integers().between(0, 1))
                .checkAssert(
                    (size, cut, appended, commitBetween) -> {
                      try {
                        checkTruncateThenAppend(size, Math.min(cut, size), appended, commitBetween == 1);
                      } catch (IOException e) {
                        throw new AssertionError(e);
                      }
                    }),
        "metamori.append.examples=" + EXAMPLES);
  }

  /** One case, in a store of its own (opened by hand) in a directory of the test's. */
  private void checkTruncateThenAppend(int size, int cut, int appended, boolean commitBetween)
      throws IOException {
    Path dir = Files.createTempDirectory(harness.dir(), "case");
    Path root = Files.createDirectories(dir.resolve("root"));
    Path file = root.resolve("data");
    byte[] original = bytes(size, size * 31L + cut);
    Files.write(file, original);
    try (Checkpointer cp =
        Checkpointer.builder(dir.resolve("store")).track(root).blockSize(BLOCK).open()) {
      FileSystem fs = cp.fileSystem();
      Path p = fs.getPath(file.toString());
      long target = 0;
      byte[] expected = original;
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
        c.truncate(cut);
      }
      if (commitBetween) {
        target = cp.commit();
        expected = Files.readAllBytes(file);
      }
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.APPEND)) {
        byte[] data = bytes(appended, appended);
        int half = appended / 2;
        append(c, java.util.Arrays.copyOfRange(data, 0, half));
        append(c, java.util.Arrays.copyOfRange(data, half, appended));
      }
      cp.rollback(target);
      assertArrayEquals(expected, Files.readAllBytes(file));
    }
  }
}
