package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The three cases of {@link WriteBenchmark}, measured as interleaved pairs for a machine whose
 * load changes while the benchmark runs: each invocation writes a batch of {@value #BATCH} 4 KiB
 * records through Metamori's file system (file under a tracked root) and a batch through the
 * default file system (identical file outside it, same disk), alternating which goes first, and
 * times each batch separately. Both see the same load within a millisecond, so their ratio is
 * far steadier than the ratio of two {@link WriteBenchmark} trials run minutes apart.
 *
 * <p>The primary score (time per write of either kind) is only a sanity check. The results are
 * the secondary metrics {@code metamoriNanos}, {@code defaultNanos} (nanoseconds spent in each
 * file system's batches in the iteration) and {@code metamoriWrites}, {@code defaultWrites}: per
 * iteration, the overhead ratio is {@code metamoriNanos / defaultNanos} (equal write counts), and
 * docs/performance.md quotes the median over the iterations. Cases and resets are as in {@link
 * WriteBenchmark}; {@link #firstTouch} writes every block of both 64 MiB files once per
 * invocation, in sequential or random block order, and rolls the epoch back after the iteration.
 *
 * <p>Run (about 1.5 minutes), then take per-iteration ratios from the JSON file:
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/paired.json PairedWritesBenchmark"
 * jq -r '.[] | [(.benchmark|split(".")|.[-1]), ((.params // {})|tostring),
 *   ([.secondaryMetrics.metamoriNanos.rawData[0], .secondaryMetrics.defaultNanos.rawData[0]]
 *    | transpose | map(.[0] / .[1]) | sort | .[length / 2 | floor])] | @tsv' core/target/paired.json
 * </pre>
 */
@Fork(1)
public class PairedWritesBenchmark {
  static final int BLOCK = 4096;
  static final int BATCH = 64;

  /** Time and writes per file system in the current iteration. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class Clock {
    public long metamoriNanos;
    public long defaultNanos;
    public long metamoriWrites;
    public long defaultWrites;

    @Setup(Level.Iteration)
    public void clear() {
      metamoriNanos = 0;
      defaultNanos = 0;
      metamoriWrites = 0;
      defaultWrites = 0;
    }
  }

  /** One file under a tracked root and one identical file outside it. */
  @State(Scope.Thread)
  public abstract static class Pair {
    Path dir;
    Path trackedFile;
    Path plainFile;
    Checkpointer cp;
    long baseEpoch;
    FileChannel metamori;
    FileChannel plain;
    boolean metamoriFirst;
    final Random random = new Random(11);
    final ByteBuffer buffer = ByteBuffer.wrap(new byte[BLOCK]);

    abstract long initialSize();

    abstract void open() throws IOException;

    @Setup(Level.Trial)
    public void createFiles() throws IOException {
      dir = BenchFiles.newWorkDir("metamori-paired-");
      Path root = Files.createDirectories(dir.resolve("root"));
      Path outside = Files.createDirectories(dir.resolve("outside"));
      trackedFile = root.resolve("data.bin");
      plainFile = outside.resolve("data.bin");
      // the same bytes, written the same way (see BenchFiles.writeRandomFile)
      BenchFiles.writeRandomFile(trackedFile, initialSize(), new Random(5));
      BenchFiles.writeRandomFile(plainFile, initialSize(), new Random(5));
      random.nextBytes(buffer.array());
      cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
      baseEpoch = cp.commit();
    }

    @Setup(Level.Iteration)
    public void openChannels() throws IOException {
      open();
    }

    /**
     * Forces and closes both channels, then puts the tracked file back as it was at the base
     * epoch (rollback); forcing first means no writeback of this iteration runs in the next.
     */
    @TearDown(Level.Iteration)
    public void reset() throws IOException {
      if (forceOnReset()) {
        metamori.force(false);
        plain.force(false);
      }
      metamori.close();
      plain.close();
      cp.rollback(baseEpoch);
      afterReset();
    }

    boolean forceOnReset() {
      return true;
    }

    void afterReset() throws IOException {}

    @TearDown(Level.Trial)
    public void deleteFiles() throws IOException {
      cp.close();
      BenchFiles.deleteTree(dir);
    }

    FileChannel channel(boolean metamoriSide) {
      return metamoriSide ? metamori : plain;
    }
  }

  @State(Scope.Thread)
  public static class AppendPair extends Pair {
    @Override
    long initialSize() {
      return 1 << 20;
    }

    @Override
    void open() throws IOException {
      metamori =
          FileChannel.open(
              cp.fileSystem().getPath(trackedFile.toString()), StandardOpenOption.APPEND);
      plain = FileChannel.open(plainFile, StandardOpenOption.APPEND);
    }

    /** The appended data is cut off again, dropping its dirty pages: no need to write it. */
    @Override
    boolean forceOnReset() {
      return false;
    }

    @Override
    void afterReset() throws IOException {
      try (FileChannel c = FileChannel.open(plainFile, StandardOpenOption.WRITE)) {
        c.truncate(initialSize());
        c.force(false);
      }
    }

    long batch(boolean metamoriSide) throws IOException {
      FileChannel c = channel(metamoriSide);
      long start = System.nanoTime();
      for (int i = 0; i < BATCH; i++) {
        buffer.clear();
        c.write(buffer);
      }
      return System.nanoTime() - start;
    }
  }

  @State(Scope.Thread)
  public static class FirstTouchPair extends Pair {
    static final int BLOCKS = 16384; // 64 MiB

    @Param({"sequential", "random"})
    public String order;

    int[] blocks;

    @Override
    long initialSize() {
      return (long) BLOCKS * BLOCK;
    }

    @Override
    void open() throws IOException {
      blocks = new int[BLOCKS];
      for (int i = 0; i < BLOCKS; i++) {
        blocks[i] = i;
      }
      if (order.equals("random")) {
        for (int i = BLOCKS - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = blocks[i];
          blocks[i] = blocks[j];
          blocks[j] = t;
        }
      } else if (!order.equals("sequential")) {
        throw new IllegalArgumentException("order must be sequential or random, was " + order);
      }
      metamori =
          FileChannel.open(
              cp.fileSystem().getPath(trackedFile.toString()), StandardOpenOption.WRITE);
      plain = FileChannel.open(plainFile, StandardOpenOption.WRITE);
    }

    long batch(boolean metamoriSide, int from) throws IOException {
      FileChannel c = channel(metamoriSide);
      long start = System.nanoTime();
      for (int i = from; i < from + BATCH; i++) {
        buffer.clear();
        c.write(buffer, (long) blocks[i] * BLOCK);
      }
      return System.nanoTime() - start;
    }
  }

  @State(Scope.Thread)
  public static class RepeatPair extends Pair {
    static final int BLOCKS = 1024; // 4 MiB
    int next;

    @Override
    long initialSize() {
      return (long) BLOCKS * BLOCK;
    }

    /** Writes every block of both files once, so Metamori finds them saved in the epoch. */
    @Override
    void open() throws IOException {
      metamori =
          FileChannel.open(
              cp.fileSystem().getPath(trackedFile.toString()), StandardOpenOption.WRITE);
      plain = FileChannel.open(plainFile, StandardOpenOption.WRITE);
      for (FileChannel c : new FileChannel[] {metamori, plain}) {
        for (int b = 0; b < BLOCKS; b++) {
          buffer.clear();
          BenchFiles.writeFully(c, buffer, (long) b * BLOCK);
        }
      }
      next = 0;
    }

    long batch(boolean metamoriSide, int from) throws IOException {
      FileChannel c = channel(metamoriSide);
      long start = System.nanoTime();
      for (int i = from; i < from + BATCH; i++) {
        buffer.clear();
        c.write(buffer, (long) i * BLOCK);
      }
      return System.nanoTime() - start;
    }
  }

  private static void record(Clock clock, boolean metamoriSide, long nanos) {
    if (metamoriSide) {
      clock.metamoriNanos += nanos;
      clock.metamoriWrites += BATCH;
    } else {
      clock.defaultNanos += nanos;
      clock.defaultWrites += BATCH;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @OperationsPerInvocation(2 * BATCH)
  @Warmup(iterations = 5, time = 1)
  @Measurement(iterations = 21, time = 1)
  public void append(AppendPair s, Clock clock) throws IOException {
    boolean first = s.metamoriFirst = !s.metamoriFirst;
    record(clock, first, s.batch(first));
    record(clock, !first, s.batch(!first));
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @OperationsPerInvocation(2 * FirstTouchPair.BLOCKS)
  @Warmup(iterations = 5)
  @Measurement(iterations = 21)
  public void firstTouch(FirstTouchPair s, Clock clock) throws IOException {
    for (int from = 0; from < FirstTouchPair.BLOCKS; from += BATCH) {
      boolean first = s.metamoriFirst = !s.metamoriFirst;
      record(clock, first, s.batch(first, from));
      record(clock, !first, s.batch(!first, from));
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @OperationsPerInvocation(2 * BATCH)
  @Warmup(iterations = 5, time = 1)
  @Measurement(iterations = 21, time = 1)
  public void repeatedOverwrite(RepeatPair s, Clock clock) throws IOException {
    int from = s.next;
    s.next = from + BATCH == RepeatPair.BLOCKS ? 0 : from + BATCH;
    boolean first = s.metamoriFirst = !s.metamoriFirst;
    record(clock, first, s.batch(first, from));
    record(clock, !first, s.batch(!first, from));
  }
}
