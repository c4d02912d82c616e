package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** Blocks for the segment tests, and their appending as Block records 0, 1, 2 … of file 5. */
final class BlockRecords {
  static final int BLOCK = 4096;

  private final Random random = new Random(7);

  /** The file of the segment {@link #create} made last. */
  Path file;

  /** Creates segment {@code dir/1.seg} (epoch 1, nonce 42), then {@link #file}. */
  Segment create(Path dir) throws IOException {
    file = dir.resolve("1.seg");
    return Segment.create(file, 1, 42, BLOCK, 0);
  }

  static BlockSource from(byte[] data) {
    return into -> into.put(data, 0, into.remaining());
  }

  byte[] incompressible() {
    byte[] b = new byte[BLOCK];
    random.nextBytes(b);
    return b;
  }

  static byte[] compressible(int seed) {
    byte[] b = new byte[BLOCK];
    Arrays.fill(b, (byte) seed);
    return b;
  }

  /** Appends {@code blocks} as Block records 0, 1, 2 … of file 5 and returns the segment's end. */
  static long appendAll(Segment s, List<byte[]> blocks, boolean growAhead) throws IOException {
    long end = 0;
    for (int i = 0; i < blocks.size(); i++) {
      byte[] data = blocks.get(i);
      end = s.appendBlock(new UndoRecord.Block(5, "/r/f", i, null), data.length, from(data), growAhead);
    }
    return end;
  }
}
