package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Locale;
import java.util.Random;

/**
 * What a store costs per small epoch: a tracked file of 1 MiB of random bytes, and epochs that
 * each overwrite one 4 KiB block of it (random block, random bytes, so LZ4 saves nothing) and
 * commit; no restore, no prune. Every {@code every} epochs it prints the store's bytes (the
 * segments, the index, the rest) and their growth per epoch since the first commit, with the
 * part beyond the 4 KiB block each epoch must save, and the mean time of a commit since the
 * row before; the last row is taken after closing.
 *
 * <p>Run: {@code mvn -Pjmh -pl core test-compile exec:exec
 * -Djmh.main=dev.metamori.bench.SmallEpochProfile -Djmh.args="1000 100"} (epochs, rows every;
 * defaults 1000, 100).
 */
public final class SmallEpochProfile {
  private static final int BLOCK = 4096;
  private static final int FILE_SIZE = 1 << 20;

  /** Entry point: {@code [epochs [every]]}. */
  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int every = args.length > 1 ? Integer.parseInt(args[1]) : 100;
    Path dir = BenchFiles.newWorkDir("metamori-small-");
    try {
      run(dir, epochs, every);
    } finally {
      BenchFiles.deleteTree(dir);
    }
  }

  private static void run(Path dir, int epochs, int every) throws IOException {
    Random random = new Random(2026);
    Path data = Files.createDirectory(dir.resolve("data"));
    Path store = dir.resolve("store");
    BenchFiles.writeRandomFile(data.resolve("state.bin"), FILE_SIZE, random);
    byte[] block = new byte[BLOCK];
    System.out.println("epochs  segments_B  index_B  other_B  store_B  per_epoch_B  beyond_block_B  commit_ms");
    long base;
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Path file = cp.fileSystem().getPath(data.resolve("state.bin").toString());
      base = row(store, 0, 0, 0);
      long committing = 0;
      int commits = 0;
      for (int e = 1; e <= epochs; e++) {
        random.nextBytes(block);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
          BenchFiles.writeFully(c, ByteBuffer.wrap(block), (long) random.nextInt(FILE_SIZE / BLOCK) * BLOCK);
        }
        long start = System.nanoTime();
        cp.commit();
        committing += System.nanoTime() - start;
        commits++;
        if (e % every == 0 || e == epochs) {
          row(store, e, base, committing / 1e6 / commits);
          committing = 0;
          commits = 0;
        }
      }
    }
    System.out.print("closed ");
    row(store, epochs, base, 0);
  }

  /**
   * Prints the store's bytes after {@code epochs} epochs, and the mean time of the commits since
   * the last row, and returns the bytes.
   */
  private static long row(Path store, int epochs, long base, double commitMillis) throws IOException {
    long segments = bytesUnder(store.resolve("segments"));
    long index = Files.size(store.resolve("index.mv"));
    long total = bytesUnder(store);
    double perEpoch = epochs == 0 ? 0 : (double) (total - base) / epochs;
    System.out.printf(
        Locale.ROOT,
        "%6d  %10d  %7d  %7d  %7d  %11.0f  %14.0f  %9.2f%n",
        epochs,
        segments,
        index,
        total - segments - index,
        total,
        perEpoch,
        epochs == 0 ? 0 : perEpoch - BLOCK,
        commitMillis);
    return total;
  }

  private static long bytesUnder(Path path) throws IOException {
    long[] sum = {0};
    Files.walkFileTree(
        path,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            sum[0] += attrs.size();
            return FileVisitResult.CONTINUE;
          }
        });
    return sum[0];
  }
}
