package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layout a segment keeps as it is written is what a scan of the file finds (less the keys
 * of file blocks, which the index does not keep), for random sequences of records of every
 * kind a commit indexes, written by both append paths, and after rewinds.
 */
class SegmentLayoutTest {
  private static final int BLOCK = 4096;

  @TempDir Path tmp;

  @Test
  void theLayoutKeptWhileWritingIsWhatAScanFinds() throws IOException {
    for (long seed = 1; seed <= 20; seed++) {
      Random random = new Random(seed);
      try (Segment s = Segment.create(tmp.resolve(seed + ".seg"), seed, 7, BLOCK, 0).keepingLayout()) {
        int records = 1 + random.nextInt(200);
        for (int i = 0; i < records; i++) {
          append(s, random);
          if (random.nextInt(40) == 0) {
            Segment.Scan now = s.scan();
            int keep = random.nextInt(now.count() + 1);
            s.rewind(keep, keep < now.count() ? now.offsets()[keep] : now.validEnd()); // a failed commit's retry
          }
        }
        Segment.Scan scanned = s.scan();
        Segment.Scan written = s.written();
        String where = "seed " + seed;
        assertFalse(scanned.tornTail(), where);
        assertArrayEquals(scanned.offsets(), written.offsets(), where);
        assertArrayEquals(scanned.types(), written.types(), where);
        assertEquals(scanned.validEnd(), written.validEnd(), where);
        assertArrayEquals(stateKeys(scanned.blockKeys()), written.blockKeys(), where);
      }
    }
  }

  private static void append(Segment s, Random random) throws IOException {
    byte[] data = new byte[random.nextInt(2) == 0 ? BLOCK : random.nextInt(BLOCK)];
    random.nextBytes(data);
    switch (random.nextInt(7)) {
      case 0 -> s.append(new UndoRecord.Block(random.nextInt(5), "/t/f" + random.nextInt(5), random.nextInt(99), data));
      case 1 -> s.appendBlock(new UndoRecord.Block(random.nextInt(5), "/t/g", random.nextInt(99), null), data.length, into -> into.put(data, 0, into.remaining()), random.nextBoolean());
      case 2 -> s.append(new UndoRecord.Page(random.nextInt(3), random.nextInt(1000), data));
      case 3 -> s.append(new UndoRecord.Manifest(random.nextInt(3), random.nextInt(4), 4, 1 << 20, data));
      case 4 -> s.append(new UndoRecord.Created("/t/c" + random.nextInt(9)));
      case 5 -> s.append(new UndoRecord.Name("r" + random.nextInt(3), random.nextInt(3), 8192, BLOCK));
      default -> s.append(new UndoRecord.Label("l" + random.nextInt(9)));
    }
  }

  /** The triples of {@code keys} whose key is a state item's (negative). */
  private static long[] stateKeys(long[] keys) {
    return LongStream.range(0, keys.length / 3)
        .filter(i -> keys[(int) (3 * i)] < 0)
        .flatMap(i -> Arrays.stream(keys, (int) (3 * i), (int) (3 * i + 3)))
        .toArray();
  }
}
