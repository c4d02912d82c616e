package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.PruneResult;
import dev.metamori.RetentionPolicy;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of {@link Checkpointer#prune(RetentionPolicy) prune(keepLast(10))} on a store with a
 * linear history of {@code epochs} commits of a small workload, from which it derives the prune's
 * throughput in epochs removed and bytes reclaimed per second.
 *
 * <p>The tracked tree is {@value #FILES} files of 64 KiB and {@value #LOGS} logs of 16 KiB,
 * incompressible random bytes. Each epoch overwrites 2 random 4 KiB blocks of random files,
 * appends 256 bytes to 2 KiB to a log and, with {@code withRegion=true}, rewrites one page of a
 * {@value #REGION_KIB} KiB region, then commits. With a linear history every epoch older than the
 * 10 kept ones lies above their common ancestor: without a region its segment is deleted; with one,
 * every such segment holds a region record, so the prune keeps it as an archive and compacts it
 * (rewrites it without its undo records). So {@code withRegion=false} measures deletion and
 * {@code withRegion=true} mostly compaction.
 *
 * <p>Building a store of 1000 epochs takes far longer than pruning it, so each trial builds it
 * once, closes it and keeps it as a template; every invocation's setup copies the template to
 * the same place (a fresh store, byte for byte the one just built), forces the copy so that the
 * prune's own forces do not also write back the copy, and opens it. Each invocation's teardown
 * prints the epochs removed and the bytes reclaimed ({@link PruneResult}), which are the same for
 * every invocation of a trial, so that throughputs can be derived from the medians, and the
 * bytes of the pruned store by kind (segments, redo, trash, index); the trial's setup prints the
 * same for the template.
 *
 * <p>Trees live in {@code java.io.tmpdir} (or {@code -Dmetamori.bench.dir}; give it to the fork
 * with {@code -jvmArgsAppend}). Run:
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -wi 1 -i 5 -rf json -rff target/prune.json PruneBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 5)
@Fork(1)
public class PruneBenchmark {
  static final int FILES = 32;
  static final int FILE_SIZE = 64 << 10;
  static final int LOGS = 2;
  static final int REGION_KIB = 1024;
  static final int BLOCK = 4096;
  static final int KEEP = 10;

  /** A store of {@code epochs} commits, copied fresh from a template for every prune. */
  @State(Scope.Thread)
  public static class Store {
    /** Commits in the store before the prune (the first one included). */
    @Param({"200", "1000"})
    public int epochs;

    /** Whether each epoch also rewrites one region page, which makes old segments archives. */
    @Param({"false", "true"})
    public boolean withRegion;

    Path dir;
    Path template;
    Path work;
    Checkpointer cp;
    PruneResult result;

    @Setup(Level.Trial)
    public void buildTemplate() throws IOException {
      if (epochs <= KEEP) {
        throw new IllegalArgumentException("epochs must be more than " + KEEP + ", was " + epochs);
      }
      dir = BenchFiles.newWorkDir("metamori-prune-");
      work = dir.resolve("work");
      template = dir.resolve("template");
      Path data = Files.createDirectories(work.resolve("data"));
      Random random = new Random(17);
      for (int i = 0; i < FILES; i++) {
        Path file = data.resolve(String.format("file-%03d.bin", i));
        BenchFiles.writeRandomFile(file, FILE_SIZE, random);
      }
      for (int i = 0; i < LOGS; i++) {
        BenchFiles.writeRandomFile(data.resolve("log-" + i + ".txt"), 16 << 10, random);
      }
      try (Checkpointer c = Checkpointer.builder(work.resolve("store")).track(data).open()) {
        MemoryRegion region = null;
        byte[] page = new byte[BLOCK];
        if (withRegion) {
          region = c.region("grid", (long) REGION_KIB << 10);
          for (long p = 0; p < region.size(); p += BLOCK) {
            random.nextBytes(page);
            region.put(p, page, 0, BLOCK);
          }
        }
        c.commit();
        for (int e = 1; e < epochs; e++) {
          step(c.fileSystem(), data, region, random, page);
          c.commit();
        }
      }
      Files.move(work, template);
      System.out.printf(
          "%n[prune] template epochs=%d withRegion=%b %s%n",
          epochs,
          withRegion,
          breakdown(template.resolve("store")));
    }

    /** One epoch of the workload. */
    private static void step(
        FileSystem fs, Path data, MemoryRegion region, Random random, byte[] page)
        throws IOException {
      for (int n = 0; n < 2; n++) {
        String name = String.format("file-%03d.bin", random.nextInt(FILES));
        Path file = fs.getPath(data.resolve(name).toString());
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
          random.nextBytes(page);
          BenchFiles.writeFully(
              c, ByteBuffer.wrap(page), (long) random.nextInt(FILE_SIZE / BLOCK) * BLOCK);
        }
      }
      byte[] line = new byte[256 + random.nextInt(1792)];
      random.nextBytes(line);
      Files.write(
          fs.getPath(data.resolve("log-" + random.nextInt(LOGS) + ".txt").toString()),
          line,
          StandardOpenOption.APPEND);
      if (region != null) {
        random.nextBytes(page);
        region.put((long) random.nextInt(REGION_KIB / 4) * BLOCK, page, 0, BLOCK);
      }
    }

    @Setup(Level.Invocation)
    public void openCopy() throws IOException {
      BenchFiles.deleteTree(work);
      copyAndForce(template, work);
      cp = Checkpointer.builder(work.resolve("store")).track(work.resolve("data")).open();
    }

    @TearDown(Level.Invocation)
    public void closeAndReport() throws IOException {
      cp.close();
      cp = null;
      if (result != null) {
        System.out.printf(
            Locale.ROOT,
            "%n[prune] epochs=%d withRegion=%b removed=%d reclaimedBytes=%d before=%d after=%d%n",
            epochs,
            withRegion,
            result.removedEpochs().size(),
            result.reclaimedBytes(),
            result.storeBytesBefore(),
            result.storeBytesAfter());
        System.out.println("[prune] after " + breakdown(work.resolve("store")));
        result = null;
      }
    }

    @TearDown(Level.Trial)
    public void deleteAll() throws IOException {
      if (cp != null) {
        cp.close();
      }
      BenchFiles.deleteTree(dir);
    }
  }

  /** Bytes of the store's segments, redo files, trash, index and everything else. */
  static String breakdown(Path store) throws IOException {
    long[] bytes = new long[5];
    try (Stream<Path> walk = Files.walk(store)) {
      for (Path p : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
        String name = p.getFileName().toString();
        int kind =
            store.relativize(p).startsWith("trash") ? 2
                : name.endsWith(".seg") ? 0
                : name.endsWith(".redo") ? 1
                : name.equals("index.mv") ? 3
                : 4;
        bytes[kind] += Files.size(p);
      }
    }
    return String.format(
        Locale.ROOT,
        "segments=%d redo=%d trash=%d index=%d other=%d",
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]);
  }

  /** Copies the tree {@code from} to {@code to} and forces every file and directory copied. */
  static void copyAndForce(Path from, Path to) throws IOException {
    List<Path> all;
    try (Stream<Path> walk = Files.walk(from)) {
      all = walk.collect(Collectors.toList());
    }
    for (Path p : all) {
      Files.copy(p, to.resolve(from.relativize(p).toString()));
    }
    // directories after their entries, so each directory's force covers the names in it
    for (int i = all.size() - 1; i >= 0; i--) {
      Path copy = to.resolve(from.relativize(all.get(i)).toString());
      StandardOpenOption mode =
          Files.isDirectory(copy) ? StandardOpenOption.READ : StandardOpenOption.WRITE;
      try (FileChannel c = FileChannel.open(copy, mode)) {
        c.force(true);
      }
    }
  }

  @Benchmark
  public PruneResult prune(Store s) throws IOException {
    s.result = s.cp.prune(RetentionPolicy.keepLast(KEEP));
    return s.result;
  }
}
