package dev.metamori.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Both trackers, write-protect and hash scan, checked against a model: the set of pages written
 * since the last collect. Every write changes every byte it covers, so that the hash scan, which
 * sees contents, and write-protection, which sees writes, must give the same answer. Small
 * chunks put chunk boundaries inside the region; the last page is short.
 */
class DirtyPagesTest {
  private static final int PAGE = 4096;
  private static final int PAGES = 67;
  private static final long SIZE = (PAGES - 1) * (long) PAGE + 100;
  private static final int CHUNK = 4 * PAGE;

  static DirtyPages tracker(String kind, long size, int chunk) {
    if (kind.equals(PageTracking.HASH_SCAN)) {
      return new HashScanPages(new OffHeapMemory(size, PAGE, chunk), PageTracking.HASH_SCAN);
    }
    String why = PageTracking.unavailableReason();
    if (why != null) {
      System.out.println("DirtyPagesTest: write-protect tracking skipped: " + why);
    }
    assumeTrue(why == null, () -> "write-protect tracking is not available here: " + why);
    return PageTracking.writeProtected(size, PAGE, chunk);
  }

  @Test
  void aRegionGetsWriteProtectWhereAvailableAndOtherwiseTheHashScanSayingWhy() {
    String why = PageTracking.unavailableReason();
    DirtyPages pages = PageTracking.allocate(SIZE, PAGE);
    assertEquals(why == null ? "write-protect" : "hash-scan (" + why + ")", pages.method());
    assertEquals(SIZE, pages.memory().size());
  }

  @ParameterizedTest
  @ValueSource(strings = {PageTracking.WRITE_PROTECT, PageTracking.HASH_SCAN})
  void reportsExactlyThePagesWrittenThroughEveryAccessor(String kind) {
    for (long seed = 1; seed <= 20; seed++) {
      DirtyPages pages = tracker(kind, SIZE, CHUNK);
      assertEquals(kind, pages.method());
      Random random = new Random(seed);
      TreeSet<Long> model = new TreeSet<>();
      for (int round = 0; round < 12; round++) {
        int writes = random.nextInt(8);
        for (int w = 0; w < writes; w++) {
          write(pages.memory(), random, model);
        }
        String where = "seed " + seed + ", round " + round;
        assertArrayEquals(expected(model), pages.peek(), where + ": peek");
        assertArrayEquals(expected(model), pages.peek(), where + ": peek leaves the baseline");
        assertArrayEquals(expected(model), collect(pages), where + ": collect");
        model.clear();
        assertArrayEquals(new long[0], pages.collect(), where + ": collected pages were re-armed");
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {PageTracking.WRITE_PROTECT, PageTracking.HASH_SCAN})
  void readsAreNotChanges(String kind) {
    DirtyPages pages = tracker(kind, SIZE, CHUNK);
    OffHeapMemory m = pages.memory();
    long sum = 0;
    for (long p = 0; p < m.pageCount(); p++) {
      sum += m.get(p * PAGE) + m.getLong(Math.min(p * PAGE + 8, m.size() - 8));
    }
    for (ByteBuffer b : m.buffers()) {
      while (b.hasRemaining()) {
        sum += b.get();
      }
    }
    assertEquals(0, sum, "a new region is zeroed");
    assertArrayEquals(new long[0], pages.peek());
    assertArrayEquals(new long[0], pages.collect());
  }

  @ParameterizedTest
  @ValueSource(strings = {PageTracking.WRITE_PROTECT, PageTracking.HASH_SCAN})
  void rebasedPagesAreNotReported(String kind) {
    Random random = new Random(7);
    DirtyPages pages = tracker(kind, SIZE, CHUNK);
    for (int round = 0; round < 10; round++) {
      TreeSet<Long> model = new TreeSet<>();
      for (int w = 0; w < 6; w++) {
        write(pages.memory(), random, model);
      }
      TreeSet<Long> left = new TreeSet<>();
      for (long page : model) {
        if (random.nextBoolean()) {
          pages.rebase(page); // as a restore does after writing the page
        } else {
          left.add(page);
        }
      }
      assertArrayEquals(expected(left), pages.collect(), "round " + round);
    }
    TreeSet<Long> model = new TreeSet<>();
    write(pages.memory(), random, model);
    pages.rebaseAll();
    assertArrayEquals(new long[0], pages.collect());
  }

  @ParameterizedTest
  @ValueSource(strings = {PageTracking.WRITE_PROTECT, PageTracking.HASH_SCAN})
  void aLargeRegionWithManyRunsIsReportedWhole(String kind) {
    // more runs of written pages than one PAGEMAP_SCAN call returns (1024)
    long size = 4096L * PAGE;
    DirtyPages pages = tracker(kind, size, OffHeapMemory.chunkSize(PAGE));
    TreeSet<Long> model = new TreeSet<>();
    for (long p = 0; p < 4096; p += 2) {
      pages.memory().put(p * PAGE + 17, (byte) 1);
      model.add(p);
    }
    assertArrayEquals(expected(model), collect(pages));
    assertArrayEquals(new long[0], pages.collect());
  }

  private static long[] collect(DirtyPages pages) {
    long[] dirty = pages.collect();
    for (long page : dirty) {
      ByteBuffer copy = ByteBuffer.allocate(pages.memory().pageLength(page));
      pages.memory().copyPage(page, copy);
      pages.stored(page, copy.flip());
    }
    return dirty;
  }

  private static long[] expected(TreeSet<Long> model) {
    return model.stream().mapToLong(Long::longValue).toArray();
  }

  /** One write through a random accessor that changes every byte it covers; notes its pages. */
  private static void write(OffHeapMemory m, Random random, TreeSet<Long> model) {
    int kind = random.nextInt(5);
    long size = m.size();
    long at;
    int length;
    switch (kind) {
      case 0 -> {
        at = random.nextLong(size);
        length = 1;
        m.put(at, (byte) (m.get(at) ^ mask(random)));
      }
      case 1 -> {
        // often across a page or chunk boundary
        long edge = random.nextLong(1, m.pageCount()) * PAGE;
        at = Math.min(size - 8, Math.max(0, edge - random.nextInt(1, 8)));
        length = 8;
        m.putLong(at, m.getLong(at) ^ (0x0101010101010101L * (mask(random) & 0xFF)));
      }
      case 2 -> {
        at = random.nextLong(size);
        length = (int) Math.min(size - at, random.nextInt(1, 3 * PAGE));
        byte[] bytes = new byte[length];
        m.get(at, bytes, 0, length);
        byte x = mask(random);
        for (int i = 0; i < length; i++) {
          bytes[i] ^= x;
        }
        m.put(at, bytes, 0, length);
      }
      case 3 -> {
        // through the buffers the application holds
        List<ByteBuffer> chunks = m.buffers();
        int c = random.nextInt(chunks.size());
        ByteBuffer b = chunks.get(c);
        int o = random.nextInt(b.capacity());
        at = (long) c * chunks.get(0).capacity() + o;
        length = 1;
        b.put(o, (byte) (b.get(o) ^ mask(random)));
      }
      default -> {
        long page = random.nextLong(m.pageCount());
        ByteBuffer bytes = ByteBuffer.allocate(m.pageLength(page));
        m.copyPage(page, bytes);
        byte x = mask(random);
        for (int i = 0; i < bytes.capacity(); i++) {
          bytes.put(i, (byte) (bytes.get(i) ^ x));
        }
        m.writePage(page, bytes.flip());
        at = page * PAGE;
        length = bytes.capacity();
      }
    }
    for (long p = at / PAGE; p <= (at + length - 1) / PAGE; p++) {
      model.add(p);
    }
  }

  /** A non-zero byte: XOR with it changes every byte. */
  private static byte mask(Random random) {
    return (byte) random.nextInt(1, 256);
  }
}
