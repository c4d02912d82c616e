package dev.metamori.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.metamori.testing.Seeds;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class PageHashesTest {

  /**
   * After random writes (some of which put back the bytes that were there), a scan reports
   * exactly the pages whose bytes differ from a snapshot taken at the previous scan; so does the
   * shadow-copy alternative; a second scan reports nothing.
   */
  @Test
  void scanReportsExactlyThePagesThatDiffer() {
    Seeds.qt(Seeds.seed(0x5041474531L)).withExamples(150)
        .forAll(integers().between(1, 300), booleans().all(), longs().all())
        .checkAssert((pageSize, parallel, seed) -> runModel(pageSize, parallel, seed));
  }

  private static void runModel(int pageSize, boolean parallel, long seed) {
    Random rnd = new Random(seed);
    int size = 1 + rnd.nextInt(pageSize * 40);
    OffHeapMemory m = new OffHeapMemory(size, pageSize, pageSize * (1 + rnd.nextInt(4)));
    PageHashes hashes = PageHashes.of(m);
    ShadowCopy shadow = ShadowCopy.of(m);
    byte[] before = snapshot(m);
    for (int round = 0; round < 5; round++) {
      int writes = rnd.nextInt(10);
      for (int w = 0; w < writes; w++) {
        int at = rnd.nextInt(size);
        int len = Math.min(size - at, 1 + rnd.nextInt(2 * pageSize));
        byte[] src = new byte[len];
        if (rnd.nextInt(3) == 0) {
          m.get(at, src, 0, len); // rewrite identical bytes: not a change
          src[0] ^= 1;
          m.put(at, src, 0, len);
          src[0] ^= 1; // ... and change it back: still not a change
        } else {
          rnd.nextBytes(src);
        }
        m.put(at, src, 0, len);
      }
      byte[] now = snapshot(m);
      long[] expected = differingPages(before, now, pageSize);
      assertArrayEquals(expected, hashes.scan(m, parallel), "hash scan, round " + round);
      assertArrayEquals(expected, shadow.scan(m), "shadow scan, round " + round);
      assertEquals(0, hashes.scan(m, parallel).length);
      assertEquals(0, shadow.scan(m).length);
      before = now;
    }
  }

  /** Big enough for several parallel tasks; writes land on known pages. */
  @Test
  void parallelScanOfALargeRegion() {
    OffHeapMemory m = new OffHeapMemory(40L << 20, 4096);
    PageHashes h = PageHashes.of(m, true);
    long[] dirty = {0, 1, 2047, 2048, 5000, 10239};
    for (long p : dirty) {
      m.put(p * 4096 + 17, (byte) 1);
    }
    assertArrayEquals(dirty, h.scan(m, true));
    assertEquals(0, h.scan(m, true).length);
  }

  @Test
  void rehashAndResetHideDeliberateWrites() {
    OffHeapMemory m = new OffHeapMemory(10 * 64, 64);
    PageHashes h = PageHashes.of(m);
    m.put(3 * 64, (byte) 9);
    h.rehash(m, 3);
    m.put(5 * 64, (byte) 9);
    h.reset(5, h.hash(m.page(5)));
    m.put(7 * 64, (byte) 9);
    assertArrayEquals(new long[] {7}, h.scan(m));
    h.reset(2, 42);
    assertArrayEquals(new long[] {2}, h.scan(m));
    assertEquals(h.hash(m.page(2)), h.hashOf(2));
  }

  @Test
  void rejectsAnotherLayout() {
    PageHashes h = PageHashes.of(new OffHeapMemory(640, 64));
    assertThrows(IllegalArgumentException.class, () -> h.scan(new OffHeapMemory(640, 32)));
    assertThrows(IndexOutOfBoundsException.class, () -> h.reset(10, 0));
  }

  private static byte[] snapshot(OffHeapMemory m) {
    byte[] b = new byte[(int) m.size()];
    m.get(0, b, 0, b.length);
    return b;
  }

  private static long[] differingPages(byte[] a, byte[] b, int pageSize) {
    return LongStream.range(0, (a.length + pageSize - 1) / pageSize)
        .filter(
            p -> {
              int from = (int) p * pageSize;
              int to = Math.min(a.length, from + pageSize);
              return Arrays.mismatch(a, from, to, b, from, to) >= 0;
            })
        .toArray();
  }
}
