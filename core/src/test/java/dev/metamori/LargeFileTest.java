package dev.metamori;

import dev.metamori.testing.StoreExtension;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sparse files beyond 4 GiB (offsets and block numbers that do not fit an int) and a first-touch
 * epoch over a large file in a JVM with a small heap. Skipped where the temporary directory
 * cannot hold sparse files.
 */
class LargeFileTest {
  static final long GIB = 1L << 30;
  /** Bytes overwritten in the small-heap child (full: 2 GiB). */
  static final long MEMORY_BYTES = Long.getLong("metamori.scale.memoryBytes", 256L << 20);
  /**
   * Size of the sparse file at epoch 0 (full: 6 GiB + 70000). Everything from just below 4 GiB
   * to it is cut off by a truncation, whose journaling reads every cut-off block, holes included.
   */
  static final long SPARSE_TOP = Long.getLong("metamori.scale.sparseTop", 4 * GIB + 200_000);

  @RegisterExtension final StoreExtension harness = StoreExtension.create().unopened();

  /** Disk usage of {@code file} in bytes, from {@code du}; -1 when it cannot be read. */
  static long diskUsage(Path file) throws IOException {
    try {
      Process p = new ProcessBuilder("du", "-k", "--", file.toString()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        return -1;
      }
      return Long.parseLong(out.split("\\s+")[0]) * 1024;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }

  private static void put(FileChannel ch, long offset, String s) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
    while (b.hasRemaining()) {
      ch.write(b, offset + b.position());
    }
  }

  /** Creates a sparse file of {@code size} bytes with {@code marks} written at their offsets. */
  private static void createSparse(Path file, long size, long[] offsets, String mark) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (long o : offsets) {
        put(ch, o, mark + o);
      }
      put(ch, size - 1, "Z");
    }
    long used = diskUsage(file);
    assumeTrue(used >= 0 && used < 64L << 20, "the file system does not keep sparse files sparse");
  }

  /** The size and the bytes around each of {@code offsets} (128 KiB windows, clipped). */
  private static List<byte[]> regions(Path file, long[] offsets) throws IOException {
    List<byte[]> out = new ArrayList<>();
    try (FileChannel ch = FileChannel.open(file)) {
      long size = ch.size();
      out.add(Long.toString(size).getBytes(StandardCharsets.US_ASCII));
      for (long o : offsets) {
        long from = Math.max(0, o - 65536);
        long to = Math.min(size, o + 65536);
        ByteBuffer b = ByteBuffer.allocate((int) Math.max(0, to - from));
        while (b.hasRemaining() && ch.read(b, from + b.position()) > 0) {}
        out.add(b.array());
      }
    }
    return out;
  }

  private static void assertRegions(List<byte[]> expected, List<byte[]> actual, String context) {
    assertEquals(expected.size(), actual.size());
    assertEquals(new String(expected.get(0), StandardCharsets.US_ASCII), new String(actual.get(0), StandardCharsets.US_ASCII), context + ": size");
    for (int i = 1; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i), actual.get(i), context + ": window " + i);
    }
  }

  @Test
  void aSparseFileBeyondFourGibibytesTruncatedBelowThemRollsBackExactlyAndStaysSparse() throws IOException {
    Path data = harness.root();
    Path big = data.resolve("big.bin");
    long top = SPARSE_TOP;
    long[] marks = {0, 3 * GIB, 4 * GIB - 10, top - 150_000, top - 70_000 + 123};
    createSparse(big, top, marks, "epoch0@");
    long[] watched = {0, 3 * GIB, 4 * GIB - 1000, 4 * GIB - 10, 4 * GIB + 9, top - 150_000, top - 70_000 + 123, top, top + 100_000};
    List<byte[]> at0 = regions(big, watched);
    Path store = harness.store();
    try (Checkpointer cp = harness.builder().blockSize(64 * 1024).open()) {
      FileSystem fs = cp.fileSystem();
      Path p = fs.getPath(big.toString());
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        put(ch, top - 150_000 + 1, "FIVE");
        put(ch, top - 70_000 + 123 - 3, "six-six-six");
        put(ch, 3 * GIB + 5, "MIDDLE");
        put(ch, 4 * GIB - 3, "ACROSS-4GIB");
        put(ch, top + 100_000, "END"); // beyond the size at the start of the epoch
      }
      long one = cp.commit();
      List<byte[]> at1 = regions(big, watched);
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.truncate(4 * GIB - 1000);
        put(ch, 4 * GIB + 9, "AFTER"); // grows it again past the cut
      }
      cp.commit();
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        put(ch, 4 * GIB + 7, "uncommitted");
      }
      cp.rollback(one);
      assertRegions(at1, regions(big, watched), "after rollback to epoch " + one);
      cp.rollback(0);
      assertRegions(at0, regions(big, watched), "after rollback to epoch 0");
    }
    long used = diskUsage(big);
    assertTrue(used < 256L << 20, "the restored file should stay sparse, but uses " + used + " bytes of disk");
  }

  @Test
  void undoingATruncationOfASparseFileKeepsItsHolesHoles() throws IOException {
    Path data = harness.root();
    Path sparse = data.resolve("sparse.bin");
    long size = 128L << 20;
    long[] marks = {0, size / 2};
    createSparse(sparse, size, marks, "epoch0@");
    List<byte[]> at0 = regions(sparse, new long[] {0, size / 2, size - 1});
    try (Checkpointer cp = harness.builder().open()) {
      try (FileChannel ch = FileChannel.open(cp.fileSystem().getPath(sparse.toString()), StandardOpenOption.WRITE)) {
        ch.truncate(10);
      }
      cp.rollback(0);
    }
    assertRegions(at0, regions(sparse, new long[] {0, size / 2, size - 1}), "after rollback to epoch 0");
    long used = diskUsage(sparse);
    assertTrue(used < 16L << 20, "the restored file should stay sparse, but uses " + used + " bytes of disk");
  }

  @Test
  void blockNumbersBeyondTheIntRangeAreJournaledAndRestoredExactly() throws IOException {
    Path data = harness.root();
    Path big = data.resolve("huge.bin");
    long far = 1536 * GIB; // with 512-byte blocks, block 3221225472 > Integer.MAX_VALUE
    try {
      createSparse(big, far + 4096, new long[] {far - 5, far + 1000}, "epoch0@");
    } catch (IOException e) {
      org.junit.jupiter.api.Assumptions.abort("the file system refuses a 1.5 TiB sparse file: " + e);
    }
    long[] watched = {far - 5, far + 100, far + 600, far + 1000};
    List<byte[]> at0 = regions(big, watched);
    Path store = harness.store();
    try (Checkpointer cp = harness.builder().blockSize(512).open()) {
      Path p = cp.fileSystem().getPath(big.toString());
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        put(ch, far + 100, "one");
      }
      long one = cp.commit();
      assertEquals(1, cp.epochs().get(1).blocksJournaled());
      List<byte[]> at1 = regions(big, watched);
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        put(ch, far - 300, "two-across-the-block-boundary-".repeat(20));
        put(ch, far + 1000, "two");
      }
      cp.commit();
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        ch.truncate(far - 1);
      }
      cp.rollback(one);
      assertRegions(at1, regions(big, watched), "after rollback to epoch " + one);
      cp.rollback(0);
      assertRegions(at0, regions(big, watched), "after rollback to epoch 0");
    }
  }

  @Test
  void aFirstTouchOfEveryBlockOfALargeFileRunsInASixtyFourMebibyteHeap() throws Exception {
    Path data = harness.root();
    Path big = data.resolve("big.bin");
    createSparse(big, MEMORY_BYTES, new long[] {0, MEMORY_BYTES / 2}, "epoch0@");
    long[] watched = {0, MEMORY_BYTES / 2, MEMORY_BYTES - 1};
    List<byte[]> at0 = regions(big, watched);
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED"); // lz4-java's JNI, without a warning on JDK 24+
    command.add("-Xmx64m");
    command.add("-XX:+ExitOnOutOfMemoryError");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(BoundedMemoryChild.class.getName());
    command.add(harness.store().toString());
    command.add(data.toString());
    command.add(big.toString());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(10, TimeUnit.MINUTES));
    assertEquals(0, child.exitValue(), () -> "the child failed:\n" + out);
    assertTrue(out.contains("ok"), out);
    assertRegions(at0, regions(big, watched), "after the child's rollback to epoch 0");
  }
}
