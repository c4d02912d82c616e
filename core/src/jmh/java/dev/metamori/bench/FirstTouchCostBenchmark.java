package dev.metamori.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What one first-touch 4 KiB overwrite costs Metamori beyond the write itself, step by step,
 * each step done the way the journal does it but on the default file system, so that the sum
 * can be compared with {@code WriteBenchmark.firstTouch} (see docs/performance.md):
 *
 * <ul>
 *   <li>{@link #overwrite}: the application's own 4 KiB positional overwrite of a cached file
 *       (what {@code fs=default} measures);
 *   <li>{@link #readOldBlock}: reading the block's old contents into a new array;
 *   <li>{@link #encodeFrame}: LZ4 compression of 4 KiB of incompressible data (which fails, so
 *       the block is stored raw) plus the xxHash32 checksum of the frame, with the frame buffer
 *       allocation;
 *   <li>{@link #appendFrame}: a positional write of a 4.2 KiB frame at the end of a growing file
 *       (how a segment grows), the file reset after each iteration;
 *   <li>{@link #overwriteFrame}: the same write into a file already extended to its final size,
 *       to show what extending the file costs.
 * </ul>
 *
 * Run (about 1 minute):
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/cost.json FirstTouchCostBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class FirstTouchCostBenchmark {
  static final int BLOCK = 4096;
  static final int FILE_BLOCKS = 16384; // 64 MiB
  static final int FRAME = BLOCK + 120;
  /** Frames written into the growing file per iteration at most before it wraps (1 GiB). */
  static final long SEGMENT_LIMIT = 1L << 30;

  @State(Scope.Thread)
  public static class Cost {
    Path dir;
    FileChannel data;
    FileChannel segment;
    FileChannel extended;
    final byte[] block = new byte[BLOCK];
    final byte[] frame = new byte[FRAME];
    final ByteBuffer blockBuffer = ByteBuffer.wrap(block);
    final ByteBuffer frameBuffer = ByteBuffer.wrap(frame);
    final LZ4Compressor compressor = LZ4Factory.fastestInstance().fastCompressor();
    final XXHash32 hash = XXHashFactory.fastestInstance().hash32();
    int next;
    long segmentEnd;
    long extendedPos;

    @Setup(Level.Trial)
    public void create() throws IOException {
      Random random = new Random(3);
      dir = BenchFiles.newWorkDir("metamori-cost-");
      BenchFiles.writeRandomFile(dir.resolve("data.bin"), (long) FILE_BLOCKS * BLOCK, random);
      random.nextBytes(block);
      random.nextBytes(frame);
      data =
          FileChannel.open(dir.resolve("data.bin"), StandardOpenOption.READ, StandardOpenOption.WRITE);
      segment =
          FileChannel.open(
              dir.resolve("segment"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      BenchFiles.writeRandomFile(dir.resolve("extended"), (long) FILE_BLOCKS * FRAME, random);
      extended = FileChannel.open(dir.resolve("extended"), StandardOpenOption.WRITE);
    }

    /** Empties the growing file and writes back the others' dirty pages, between iterations. */
    @TearDown(Level.Iteration)
    public void resetSegment() throws IOException {
      segment.truncate(0);
      segmentEnd = 0;
      data.force(false);
      extended.force(false);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
      data.close();
      segment.close();
      extended.close();
      BenchFiles.deleteTree(dir);
    }

    long nextBlockOffset() {
      int b = next;
      next = b + 1 == FILE_BLOCKS ? 0 : b + 1;
      return (long) b * BLOCK;
    }
  }

  @Benchmark
  public int overwrite(Cost s) throws IOException {
    s.blockBuffer.clear();
    return s.data.write(s.blockBuffer, s.nextBlockOffset());
  }

  @Benchmark
  public byte[] readOldBlock(Cost s) throws IOException {
    byte[] old = new byte[BLOCK];
    ByteBuffer b = ByteBuffer.wrap(old);
    long pos = s.nextBlockOffset();
    while (b.hasRemaining()) {
      pos += s.data.read(b, pos);
    }
    return old;
  }

  @Benchmark
  public int encodeFrame(Cost s) {
    int max = s.compressor.maxCompressedLength(BLOCK);
    byte[] out = new byte[64 + max];
    int n = s.compressor.compress(s.block, 0, BLOCK, out, 60, max);
    if (n >= BLOCK) {
      System.arraycopy(s.block, 0, out, 60, BLOCK);
    }
    return s.hash.hash(out, 0, 60 + BLOCK, 0x4d544d52);
  }

  @Benchmark
  public int appendFrame(Cost s) throws IOException {
    if (s.segmentEnd >= SEGMENT_LIMIT) {
      s.segment.truncate(0);
      s.segmentEnd = 0;
    }
    s.frameBuffer.clear();
    int n = s.segment.write(s.frameBuffer, s.segmentEnd);
    s.segmentEnd += n;
    return n;
  }

  @Benchmark
  public int overwriteFrame(Cost s) throws IOException {
    s.frameBuffer.clear();
    int n = s.extended.write(s.frameBuffer, s.extendedPos);
    s.extendedPos = s.extendedPos + 2 * FRAME > (long) FILE_BLOCKS * FRAME ? 0 : s.extendedPos + n;
    return n;
  }
}
