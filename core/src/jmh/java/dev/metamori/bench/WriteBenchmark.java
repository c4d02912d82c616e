package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Write cost of 4 KiB positional or appending {@link FileChannel} writes to a file under a
 * tracked root, through Metamori's file system ({@code fs=metamori}) and, in the same run,
 * through the default file system on an identical file ({@code fs=default}); {@code
 * fs=metamori-system} is Metamori with {@code Durability.SYSTEM} (each first change of a block
 * forces the journal before the data write). Data is
 * incompressible random bytes; files live in {@code java.io.tmpdir} (or {@code
 * -Dmetamori.bench.dir}). Nothing is forced to storage inside the measured region.
 *
 * <ul>
 *   <li>{@link #append}: 4 KiB appends ({@code APPEND} channel) to a file that held 1 MiB at the
 *       start of the epoch. Appended bytes lie beyond the epoch's start size, so Metamori saves
 *       nothing: the cost is the interception (epoch lock, per-file epoch check). Each
 *       iteration is rolled back (Metamori) or truncated (default) afterwards, so the file does
 *       not grow without bound.
 *   <li>{@link #firstTouch}: 4 KiB overwrites of a pre-existing 64 MiB file, every write hitting
 *       a block not yet written in the working epoch, in sequential or random block order. One
 *       invocation writes every block once ({@value #FIRST_TOUCH_BLOCKS} writes, reported per
 *       write); Metamori reads each old block and appends it to the journal first. After each
 *       iteration the working epoch is rolled back outside the measured region, so the next
 *       iteration starts a fresh epoch on the same blocks.
 *   <li>{@link #repeatedOverwrite}: 4 KiB overwrites cycling over 1024 blocks (4 MiB) that were
 *       all written once in the working epoch before the iteration started, so their old
 *       contents are already saved: the cost is the interception plus the saved-block lookup.
 * </ul>
 *
 * Between iterations, outside the measured region, overwritten files are written back (forced)
 * and appended files cut back, so no iteration pays for the previous one's writeback. The two file systems run as separate trials,
 * one after the other; on a machine whose load changes, {@link PairedWritesBenchmark} measures the
 * same cases interleaved and gives steadier ratios.
 *
 * <p>Run (about 3.5 minutes on 2 cores):
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/write.json WriteBenchmark"
 * </pre>
 *
 * Quick check: {@code -Djmh.args="-f 1 -wi 2 -i 3 WriteBenchmark"}.
 */
@Fork(1)
public class WriteBenchmark {
  static final int BLOCK = 4096;
  static final int FIRST_TOUCH_BLOCKS = 16384; // 64 MiB
  static final int REPEAT_BLOCKS = 1024; // 4 MiB
  static final long APPEND_START_SIZE = 1 << 20;

  /** A tracked root with one file and, for {@code fs=metamori}, an open store. */
  @State(Scope.Thread)
  public abstract static class FileState {
    /** {@code metamori} (durability PROCESS), {@code metamori-system} (SYSTEM) or {@code default}. */
    @Param({"metamori", "metamori-system", "default"})
    public String fs;

    Path dir;
    Path root;
    Path real;
    Checkpointer cp;
    FileSystem fileSystem;
    long baseEpoch;
    FileChannel channel;
    final Random random = new Random(42);
    final ByteBuffer buffer = ByteBuffer.wrap(new byte[BLOCK]);

    abstract long initialSize();

    @Setup(Level.Trial)
    public void createFile() throws IOException {
      dir = BenchFiles.newWorkDir("metamori-write-");
      root = Files.createDirectories(dir.resolve("root"));
      real = root.resolve("data.bin");
      BenchFiles.writeRandomFile(real, initialSize(), random);
      random.nextBytes(buffer.array());
      if (fs.startsWith("metamori")) {
        cp =
            Checkpointer.builder(dir.resolve("store"))
                .track(root)
                .durability(fs.equals("metamori-system") ? Durability.SYSTEM : Durability.PROCESS)
                .open();
        fileSystem = cp.fileSystem();
        baseEpoch = cp.commit();
      } else if (fs.equals("default")) {
        fileSystem = FileSystems.getDefault();
      } else {
        throw new IllegalArgumentException(
            "fs must be metamori, metamori-system or default, was " + fs);
      }
    }

    Path path() {
      return fileSystem.getPath(real.toString());
    }

    /**
     * Closes the channel and puts the file back as it was at the base epoch. Written data is
     * forced first (both file systems), so that every iteration starts with no dirty pages of
     * this file and no writeback of the previous iteration runs inside the next one.
     */
    @TearDown(Level.Iteration)
    public void reset() throws IOException {
      if (forceOnReset()) {
        channel.force(false);
      }
      channel.close();
      if (cp != null) {
        cp.rollback(baseEpoch);
      } else {
        resetDefault();
      }
    }

    void resetDefault() throws IOException {}

    boolean forceOnReset() {
      return true;
    }

    @TearDown(Level.Trial)
    public void deleteFiles() throws IOException {
      if (cp != null) {
        cp.close();
      }
      BenchFiles.deleteTree(dir);
    }

    int write(long position) throws IOException {
      buffer.clear();
      return channel.write(buffer, position);
    }
  }

  @State(Scope.Thread)
  public static class AppendState extends FileState {
    @Override
    long initialSize() {
      return APPEND_START_SIZE;
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
      channel = FileChannel.open(path(), StandardOpenOption.APPEND);
    }

    @Override
    void resetDefault() throws IOException {
      try (FileChannel c = FileChannel.open(real, StandardOpenOption.WRITE)) {
        c.truncate(APPEND_START_SIZE);
        c.force(false);
      }
    }

    /** The appended data is cut off again, dropping its dirty pages: no need to write it. */
    @Override
    boolean forceOnReset() {
      return false;
    }
  }

  @State(Scope.Thread)
  public static class FirstTouchState extends FileState {
    @Param({"sequential", "random"})
    public String order;

    int[] blocks;

    @Override
    long initialSize() {
      return (long) FIRST_TOUCH_BLOCKS * BLOCK;
    }

    @Setup(Level.Iteration)
    public void open() throws IOException {
      blocks = new int[FIRST_TOUCH_BLOCKS];
      for (int i = 0; i < blocks.length; i++) {
        blocks[i] = i;
      }
      if (order.equals("random")) {
        for (int i = blocks.length - 1; i > 0; i--) {
          int j = random.nextInt(i + 1);
          int t = blocks[i];
          blocks[i] = blocks[j];
          blocks[j] = t;
        }
      } else if (!order.equals("sequential")) {
        throw new IllegalArgumentException("order must be sequential or random, was " + order);
      }
      channel = FileChannel.open(path(), StandardOpenOption.WRITE);
    }
  }

  @State(Scope.Thread)
  public static class RepeatState extends FileState {
    int next;

    @Override
    long initialSize() {
      return (long) REPEAT_BLOCKS * BLOCK;
    }

    /** Writes every block once, so the measured writes find them saved in the epoch. */
    @Setup(Level.Iteration)
    public void openAndTouch() throws IOException {
      channel = FileChannel.open(path(), StandardOpenOption.WRITE);
      for (int b = 0; b < REPEAT_BLOCKS; b++) {
        buffer.clear();
        BenchFiles.writeFully(channel, buffer, (long) b * BLOCK);
      }
      next = 0;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 5, time = 1)
  @Measurement(iterations = 15, time = 1)
  public int append(AppendState s) throws IOException {
    s.buffer.clear();
    return s.channel.write(s.buffer);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @OperationsPerInvocation(FIRST_TOUCH_BLOCKS)
  @Warmup(iterations = 5)
  @Measurement(iterations = 25)
  public long firstTouch(FirstTouchState s) throws IOException {
    long written = 0;
    for (int b : s.blocks) {
      written += s.write((long) b * BLOCK);
    }
    return written;
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Warmup(iterations = 5, time = 1)
  @Measurement(iterations = 15, time = 1)
  public int repeatedOverwrite(RepeatState s) throws IOException {
    int b = s.next;
    s.next = b + 1 == REPEAT_BLOCKS ? 0 : b + 1;
    return s.write((long) b * BLOCK);
  }
}
