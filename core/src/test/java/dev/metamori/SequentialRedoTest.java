package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The redo of an epoch that rewrote runs of adjacent blocks, which the undo captures a run at a
 * time rather than a block at a time: restoring forward to the epoch must give back every byte,
 * for runs longer than one read, written upwards or downwards, next to runs of another file, and
 * reaching a short last block.
 */
class SequentialRedoTest {
  private static final int BLOCK = 4096;
  /** Blocks of each file: runs of up to 300 blocks are longer than one read ahead. */
  private static final int BLOCKS = 400;

  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().withTree(SequentialRedoTest::fill);

  private static void fill(Path root) throws IOException {
    Random random = new Random(1);
    for (String name : new String[] {"a", "b", "c"}) {
      byte[] bytes = new byte[BLOCKS * BLOCK - (name.equals("c") ? 1000 : 0)];
      random.nextBytes(bytes);
      Files.write(root.resolve(name), bytes);
    }
  }

  @Test
  void runsOfBlocksAreRedoneExactly(Checkpointer cp) throws IOException {
    long before = cp.commit();
    Random random = new Random(2);
    rewrite("a", random, 10, 310, true); // longer than a read ahead, upwards
    rewrite("b", random, 50, 250, false); // downwards
    rewrite("a", random, 350, 360, true); // a second run in a file already captured
    rewrite("c", random, BLOCKS - 120, BLOCKS, true); // up to a short last block
    rewrite("b", random, 0, 1, true); // the first block alone
    byte[][] expected = {bytes("a"), bytes("b"), bytes("c")};
    long epoch = cp.commit();
    for (int round = 0; round < 2; round++) {
      cp.restore(before);
      cp.restore(epoch); // the second time from the redo file the first undo completed
      assertArrayEquals(expected[0], bytes("a"), "a after restoring forward, round " + round);
      assertArrayEquals(expected[1], bytes("b"), "b after restoring forward, round " + round);
      assertArrayEquals(expected[2], bytes("c"), "c after restoring forward, round " + round);
    }
  }

  /** Rewrites blocks {@code from} to {@code to - 1} of {@code name} one at a time, in order or in reverse. */
  private void rewrite(String name, Random random, int from, int to, boolean upwards) throws IOException {
    try (FileChannel c = FileChannel.open(harness.path(name), StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      long size = c.size();
      for (int i = 0; i < to - from; i++) {
        int block = upwards ? from + i : to - 1 - i;
        long pos = (long) block * BLOCK;
        byte[] bytes = new byte[(int) Math.min(BLOCK, size - pos)];
        random.nextBytes(bytes);
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          c.write(buffer, pos + buffer.position());
        }
      }
    }
  }

  private byte[] bytes(String name) throws IOException {
    return Files.readAllBytes(harness.root().resolve(name));
  }
}
