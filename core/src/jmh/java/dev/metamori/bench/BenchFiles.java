package dev.metamori.bench;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/** File utilities shared by the benchmarks. */
final class BenchFiles {
  /**
   * The directory the benchmarks put their temporary trees in: the system property {@code
   * metamori.bench.dir} (pass it to the forked JVM with {@code -jvmArgsAppend
   * -Dmetamori.bench.dir=...}), else {@code java.io.tmpdir}.
   */
  static Path newWorkDir(String prefix) throws IOException {
    String dir = System.getProperty("metamori.bench.dir", System.getProperty("java.io.tmpdir"));
    Path parent = Paths.get(dir);
    Files.createDirectories(parent);
    return Files.createTempDirectory(parent, prefix);
  }

  /**
   * Writes {@code size} bytes of incompressible (seeded random) data to a new file, 64 KiB per
   * write. The write size matters for what follows: on Linux 6.x ext4 a file written with 1 MiB
   * writes gets large page-cache folios, and later 4 KiB overwrites of it cost about 0.7 us more
   * each (1.5 instead of 0.8 us on the machine of docs/performance.md) on any file system view.
   */
  static void writeRandomFile(Path file, long size, Random random) throws IOException {
    byte[] chunk = new byte[64 << 10];
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      long done = 0;
      while (done < size) {
        random.nextBytes(chunk);
        ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, size - done));
        while (b.hasRemaining()) {
          done += c.write(b);
        }
      }
    }
  }

  /** Writes all of {@code buffer} at {@code position}. */
  static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      pos += channel.write(buffer, pos);
    }
  }

  /**
   * Copies the files {@code names} from directory {@code from} to directory {@code to},
   * replacing what is there; with {@code force}, each copied file is forced before the next.
   */
  static void copyFiles(List<String> names, Path from, Path to, boolean force) throws IOException {
    for (String name : names) {
      Path target = to.resolve(name);
      Files.copy(from.resolve(name), target, StandardCopyOption.REPLACE_EXISTING);
      if (force) {
        try (FileChannel c = FileChannel.open(target, StandardOpenOption.WRITE)) {
          c.force(true);
        }
      }
    }
  }

  /** {@code count} distinct integers of {@code [0, bound)}, chosen at random, in ascending order. */
  static int[] chooseDistinct(Random random, int bound, int count) {
    int[] all = new int[bound];
    for (int i = 0; i < bound; i++) {
      all[i] = i;
    }
    for (int i = 0; i < count; i++) {
      int j = i + random.nextInt(bound - i);
      int t = all[i];
      all[i] = all[j];
      all[j] = t;
    }
    int[] chosen = Arrays.copyOf(all, count);
    Arrays.sort(chosen);
    return chosen;
  }

  static void deleteTree(Path dir) throws IOException {
    if (dir != null && Files.exists(dir)) {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  private BenchFiles() {}
}
