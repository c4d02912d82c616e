package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffsetRunTest {

  @Test
  void runsOfAnyLengthAndGapRoundTrip() {
    Random random = new Random(3);
    for (int trial = 0; trial < 200; trial++) {
      int n = 1 + random.nextInt(OffsetRun.SIZE);
      long[] offsets = new long[n + 10];
      long at = random.nextInt(1 << 20);
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = at;
        // from one byte to gaps past 2^35, where a varint needs six bytes
        at += 1 + (random.nextBoolean() ? random.nextInt(8192) : (random.nextLong() >>> 28));
      }
      int from = random.nextInt(10);
      long[] decoded = OffsetRun.decode(OffsetRun.encode(offsets, from, from + n));
      assertArrayEquals(Arrays.copyOfRange(offsets, from, from + n), decoded, "trial " + trial);
    }
  }

  @Test
  void aFlippedBitIsDamage() {
    long[] offsets = {40, 4200, 8360, 12520};
    byte[] run = OffsetRun.encode(offsets, 0, offsets.length);
    for (int bit = 0; bit < run.length * 8; bit++) {
      byte[] damaged = run.clone();
      damaged[bit / 8] ^= (byte) (1 << (bit % 8));
      assertThrows(IllegalStateException.class, () -> OffsetRun.decode(damaged), "bit " + bit);
    }
  }

  @Test
  void offsetsThatDoNotAscendAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> OffsetRun.encode(new long[] {40, 40}, 0, 2));
  }
}
