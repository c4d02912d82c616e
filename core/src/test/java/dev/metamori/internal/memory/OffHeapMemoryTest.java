package dev.metamori.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.metamori.testing.Seeds;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffHeapMemoryTest {

  /** Random operations on small chunks agree with a byte[] model, across chunk boundaries. */
  @Test
  void agreesWithByteArrayModel() {
    Seeds.qt(Seeds.seed(0x4f46464831L)).withExamples(200)
        .forAll(integers().between(1, 64), integers().between(1, 5), longs().all())
        .checkAssert((pageSize, pagesPerChunk, seed) -> runModel(pageSize, pagesPerChunk, seed));
  }

  private static void runModel(int pageSize, int pagesPerChunk, long seed) {
    Random rnd = new Random(seed);
    int chunk = pageSize * pagesPerChunk;
    int size = rnd.nextInt(chunk * 4 + 1);
    OffHeapMemory m = new OffHeapMemory(size, pageSize, chunk);
    byte[] model = new byte[size];
    assertEquals((size + pageSize - 1) / pageSize, m.pageCount());
    for (int op = 0; op < 200 && size > 0; op++) {
      switch (rnd.nextInt(6)) {
        case 0: {
          int at = rnd.nextInt(size);
          byte b = (byte) rnd.nextInt();
          m.put(at, b);
          model[at] = b;
          break;
        }
        case 1: {
          if (size < 8) {
            break;
          }
          int at = rnd.nextInt(size - 7);
          long v = rnd.nextLong();
          m.putLong(at, v);
          ByteBuffer.wrap(model).putLong(at, v);
          break;
        }
        case 2: {
          int at = rnd.nextInt(size);
          byte[] src = new byte[rnd.nextInt(size - at + 1) + 2];
          rnd.nextBytes(src);
          int len = src.length - 2;
          m.put(at, src, 1, len);
          System.arraycopy(src, 1, model, at, len);
          break;
        }
        case 3: {
          long page = rnd.nextInt((int) m.pageCount());
          byte[] src = new byte[m.pageLength(page)];
          rnd.nextBytes(src);
          m.writePage(page, ByteBuffer.wrap(src));
          System.arraycopy(src, 0, model, (int) page * pageSize, src.length);
          break;
        }
        case 4: {
          if (size < 8) {
            break;
          }
          int at = rnd.nextInt(size - 7);
          assertEquals(ByteBuffer.wrap(model).getLong(at), m.getLong(at));
          break;
        }
        default: {
          int at = rnd.nextInt(size);
          int len = rnd.nextInt(size - at + 1);
          byte[] dst = new byte[len + 3];
          m.get(at, dst, 3, len);
          for (int i = 0; i < len; i++) {
            assertEquals(model[at + i], dst[3 + i], "byte " + (at + i));
          }
        }
      }
    }
    assertContents(model, m);
  }

  private static void assertContents(byte[] model, OffHeapMemory m) {
    for (int i = 0; i < model.length; i++) {
      assertEquals(model[i], m.get(i), "byte " + i);
    }
    ByteBuffer all = ByteBuffer.allocate(model.length);
    for (ByteBuffer b : m.buffers()) {
      all.put(b);
    }
    assertArrayEquals(model, all.array(), "buffers()");
    ByteBuffer pages = ByteBuffer.allocate(model.length);
    for (long p = 0; p < m.pageCount(); p++) {
      assertEquals(m.pageLength(p), m.page(p).remaining());
      m.copyPage(p, pages);
    }
    assertArrayEquals(model, pages.array(), "copyPage");
  }

  @Test
  void buffersAreIndependentAndZeroed() {
    OffHeapMemory m = new OffHeapMemory(100, 16, 32);
    List<ByteBuffer> bs = m.buffers();
    assertEquals(4, bs.size());
    assertEquals(List.of(32, 32, 32, 4), bs.stream().map(ByteBuffer::remaining).toList());
    bs.get(0).position(10);
    assertEquals(0, m.buffers().get(0).position());
    assertEquals(4, m.pageLength(6));
    assertEquals(0L, m.getLong(28));
  }

  @Test
  void boundsErrorsNameTheNumbers() {
    OffHeapMemory m = new OffHeapMemory(100, 16, 32);
    assertEquals(
        "range [96, 96 + 8) out of bounds for size 100",
        assertThrows(IndexOutOfBoundsException.class, () -> m.getLong(96)).getMessage());
    assertEquals(
        "range [-1, -1 + 1) out of bounds for size 100",
        assertThrows(IndexOutOfBoundsException.class, () -> m.put(-1, (byte) 1)).getMessage());
    assertEquals(
        "page 7 out of bounds for page count 7",
        assertThrows(IndexOutOfBoundsException.class, () -> m.page(7)).getMessage());
    assertThrows(IndexOutOfBoundsException.class, () -> m.put(90, new byte[20], 0, 20));
    assertThrows(IndexOutOfBoundsException.class, () -> m.get(0, new byte[4], 2, 3));
    assertThrows(IllegalArgumentException.class, () -> m.writePage(6, ByteBuffer.allocate(16)));
    assertThrows(IllegalArgumentException.class, () -> new OffHeapMemory(10, 16, 24));
  }

  /** The real 1 GiB chunks: a region over 2 GiB, with a long straddling the 2 GiB mark. */
  @Test
  void regionLargerThanTwoGiB() {
    long size = (2L << 30) + 8192 + 100;
    assumeTrue(Runtime.getRuntime().maxMemory() >= size + (512L << 20), "needs direct memory");
    OffHeapMemory m = new OffHeapMemory(size, 4096);
    assertEquals(3, m.buffers().size());
    assertEquals((size + 4095) / 4096, m.pageCount());
    assertEquals(100, m.pageLength(m.pageCount() - 1));
    long at = (2L << 30) - 3;
    m.putLong(at, 0x0102030405060708L);
    assertEquals(0x0102030405060708L, m.getLong(at));
    assertEquals(0x04, m.get(2L << 30));
    assertEquals(0x04, m.page((2L << 30) / 4096).get(0));
    m.put(size - 1, (byte) 7);
    assertEquals(7, m.page(m.pageCount() - 1).get(99));
  }
}
