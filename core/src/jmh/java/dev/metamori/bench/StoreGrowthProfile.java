package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import dev.metamori.RetentionPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * How large a store grows over many epochs of a realistic workload, against the bytes the
 * workload changed. A tracked tree of {@value #FILES} files of 256 KiB and {@value #LOGS} log
 * files, and one region of {@value #REGION_MIB} MiB, all incompressible random bytes. Each epoch
 * overwrites 1 to 3 ranges of 1 to 16 KiB at random offsets of random files, appends 512 bytes to
 * 8 KiB to a log, creates a file of 4 to 64 KiB (three epochs in ten), deletes a file (one in
 * five), rewrites 1 to 8 pages of the region, and commits. Every {@code restoreEvery} commits it
 * restores a random older epoch, so the next commit starts a branch; the restore undoes and
 * redoes, which writes redo files and takes created files into the trash.
 *
 * <p>After the first commit (which stores the region whole) and every 100 epochs it prints the sum
 * of the bytes changed (overwritten, appended, created, deleted, region pages) and what the
 * store's directory holds: segments ({@code .seg}), redo files ({@code .redo}), trash, the index,
 * the rest, and the whole; {@code growth/changed} is the store's growth since the first commit
 * over the bytes changed. A last row, after closing the store, shows what the index keeps once
 * closed. At the end it scrubs the
 * store ({@link Checkpointer#verify()}) and fails on any damage.
 *
 * <p>Run: {@code mvn -Pjmh -pl core test-compile exec:exec -Djmh.main=dev.metamori.bench.StoreGrowthProfile
 * -Djmh.args="1000 50 0"} (epochs, commits between restores, and {@code keepLast}: 0 keeps every
 * epoch, N prunes with {@link RetentionPolicy#keepLast} N before each restore; defaults 1000, 50,
 * 0).
 */
public final class StoreGrowthProfile {
  private static final int FILES = 64;
  private static final int FILE_SIZE = 256 << 10;
  private static final int LOGS = 4;
  private static final int REGION_MIB = 8;
  private static final int PAGE = 4096;

  /** Entry point: {@code [epochs [restoreEvery [keepLast]]]}. */
  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int restoreEvery = args.length > 1 ? Integer.parseInt(args[1]) : 50;
    int keepLast = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    if (epochs < 1 || restoreEvery < 1 || keepLast < 0) {
      throw new IllegalArgumentException("usage: [epochs >= 1 [restoreEvery >= 1 [keepLast >= 0]]]");
    }
    Path dir = BenchFiles.newWorkDir("metamori-growth-");
    try {
      new StoreGrowthProfile(dir, keepLast).run(epochs, restoreEvery);
    } finally {
      BenchFiles.deleteTree(dir);
    }
  }

  private final Path data;
  private final Path store;
  private final int keepLast;
  private final Random random = new Random(2026);
  private final byte[] bytes = new byte[64 << 10];
  private long changed;
  private long overwritten;
  private long appended;
  private long created;
  private long deleted;
  private long pages;
  private int nextName;
  /** The store's bytes after the first commit, which holds the region's first contents. */
  private long baseline;
  /** Bytes each prune gave back. */
  private final List<Long> reclaimed = new ArrayList<>();

  private StoreGrowthProfile(Path dir, int keepLast) throws IOException {
    this.data = Files.createDirectory(dir.resolve("data"));
    this.store = dir.resolve("store");
    this.keepLast = keepLast;
    for (int i = 0; i < FILES; i++) {
      BenchFiles.writeRandomFile(data.resolve(String.format("file-%03d.bin", i)), FILE_SIZE, random);
    }
    for (int i = 0; i < LOGS; i++) {
      BenchFiles.writeRandomFile(data.resolve("log-" + i + ".txt"), 64 << 10, random);
    }
    nextName = FILES;
  }

  private void run(int epochs, int restoreEvery) throws IOException {
    System.out.println(
        "epochs restores changed_MiB (overwritten appended created deleted region)  tree_MiB"
            + "  segments_MiB redo_MiB trash_MiB index_MiB other_MiB store_MiB  growth/changed");
    int restores = 0;
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      MemoryRegion region = cp.region("grid", (long) REGION_MIB << 20);
      for (long p = 0; p < region.size(); p += PAGE) {
        random.nextBytes(bytes);
        region.put(p, bytes, 0, PAGE);
      }
      cp.commit();
      baseline = report("0", 0);
      for (int e = 1; e <= epochs; e++) {
        step(cp.fileSystem(), region);
        cp.commit();
        if (e % restoreEvery == 0) {
          if (keepLast > 0) {
            reclaimed.add(cp.prune(RetentionPolicy.keepLast(keepLast)).reclaimedBytes());
          }
          List<Epoch> all = cp.epochs();
          // the newest epoch, just committed, is the current one: pick any other
          cp.restore(all.get(random.nextInt(all.size() - 1)).id());
          restores++;
        }
        if (e % 100 == 0 || e == epochs) {
          report(String.valueOf(e), restores);
        }
      }
      List<CorruptStoreException> damage = cp.verify();
      if (!damage.isEmpty()) {
        throw new IllegalStateException("the store is damaged: " + damage);
      }
    }
    report("closed", restores);
    if (!reclaimed.isEmpty()) {
      System.out.printf(
          Locale.ROOT,
          "%d prunes gave back %.2f MiB in all%n",
          reclaimed.size(),
          mib(reclaimed.stream().mapToLong(Long::longValue).sum()));
    }
  }

  /** One epoch of the workload, through {@code fs}. */
  private void step(FileSystem fs, MemoryRegion region) throws IOException {
    List<Path> files = dataFiles(fs);
    for (int n = 1 + random.nextInt(3); n > 0; n--) {
      Path file = files.get(random.nextInt(files.size()));
      int length = 1024 + random.nextInt(15 << 10);
      try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
        long offset = random.nextInt((int) Math.max(1, c.size() - length));
        random.nextBytes(bytes);
        BenchFiles.writeFully(c, ByteBuffer.wrap(bytes, 0, length), offset);
      }
      overwritten += length;
    }
    int length = 512 + random.nextInt(7680);
    random.nextBytes(bytes);
    Files.write(
        fs.getPath(data.resolve("log-" + random.nextInt(LOGS) + ".txt").toString()),
        Arrays.copyOf(bytes, length),
        StandardOpenOption.APPEND);
    appended += length;
    if (random.nextInt(10) < 3) {
      length = (4 << 10) + random.nextInt(60 << 10);
      random.nextBytes(bytes);
      Files.write(
          fs.getPath(data.resolve(String.format("file-%03d.bin", nextName++)).toString()),
          Arrays.copyOf(bytes, length),
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      created += length;
    }
    if (random.nextInt(5) == 0 && files.size() > FILES / 2) {
      Path victim = files.get(random.nextInt(files.size()));
      deleted += Files.size(victim);
      Files.delete(victim);
    }
    for (int n = 1 + random.nextInt(8); n > 0; n--) {
      random.nextBytes(bytes);
      region.put((long) random.nextInt(REGION_MIB << 20 >> 12) * PAGE, bytes, 0, PAGE);
      pages++;
    }
    changed = overwritten + appended + created + deleted + pages * PAGE;
  }

  /** The data files (not the logs) as they are now, which a restore changes. */
  private List<Path> dataFiles(FileSystem fs) throws IOException {
    try (Stream<Path> list = Files.list(fs.getPath(data.toString()))) {
      return list.filter(p -> p.getFileName().toString().startsWith("file-"))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  /** Prints one row, labelled {@code when}, and returns the store's bytes. */
  private long report(String when, int restores) throws IOException {
    long segments = 0;
    long redo = 0;
    long trash = 0;
    long index = 0;
    long other = 0;
    try (Stream<Path> walk = Files.walk(store)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        long size = Files.size(p);
        String name = p.getFileName().toString();
        if (store.relativize(p).startsWith("trash")) {
          trash += size;
        } else if (name.endsWith(".seg")) {
          segments += size;
        } else if (name.endsWith(".redo")) {
          redo += size;
        } else if (name.equals("index.mv")) {
          index += size;
        } else {
          other += size;
        }
      }
    }
    long tree;
    try (Stream<Path> walk = Files.walk(data)) {
      tree = walk.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
    long total = segments + redo + trash + index + other;
    System.out.printf(
        Locale.ROOT,
        "%6s %8d %11.2f (%.2f %.2f %.2f %.2f %.2f) %8.2f %13.2f %8.2f %9.2f %9.2f %9.2f %9.2f %14.2f%n",
        when,
        restores,
        mib(changed),
        mib(overwritten),
        mib(appended),
        mib(created),
        mib(deleted),
        mib(pages * PAGE),
        mib(tree),
        mib(segments),
        mib(redo),
        mib(trash),
        mib(index),
        mib(other),
        mib(total),
        changed == 0 ? 0.0 : (double) (total - baseline) / changed);
    return total;
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }
}
