package dev.metamori.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
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
import org.openjdk.jmh.annotations.Param;
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
 *   <li>{@link #readOldBlock}: reading the block's old contents into a new array (how the
 *       journal read it before the old bytes were read straight into the frame);
 *   <li>{@link #readOldBlockIntoFrame}: the same read into a reused direct buffer (how it reads
 *       them now);
 *   <li>{@link #encodeFrame}: LZ4 compression of 4 KiB of incompressible data (which fails, so
 *       the block is stored raw) plus the xxHash32 checksum of the frame, with the frame buffer
 *       allocation (every block before LZ4 was skipped on blocks that do not compress); {@link
 *       #encodeFrameCrc32c}: the same with the frame's CRC32C (segment format 2);
 *   <li>{@link #checksumFrame}: the xxHash32 checksum of a 4.2 KiB frame in a direct buffer
 *       (what a block cost once LZ4 is skipped, in segment format 1); {@link #checksumFrameCrc32c}:
 *       its CRC32C, seeded as segment format 2 seeds it (what a block costs now);
 *   <li>{@link #appendFrame}: a positional write of a 4.2 KiB frame at the end of a growing file
 *       (how a segment grows), the file reset after each iteration;
 *   <li>{@link #appendIntoGrown}: the same write, from a direct buffer, into a file grown ahead
 *       of it with zeros in steps of {@code growth} bytes, each step one write, the growth
 *       included: 64 KiB (the default) is how a segment grows ahead of its Block records; steps
 *       of 1 MiB ({@code -p growth=1048576}) cost more, up to as much as {@link #appendFrame}
 *       (why an earlier growth in steps up to 1 MiB was not kept);
 *   <li>{@link #overwriteFrame}: the same write into a file already extended to its final size,
 *       to show what extending the file costs;
 *   <li>{@link #floor}: the least a first touch can cost with a record written per block: the
 *       application's overwrite, a read of the old block and a write of it into an already
 *       extended file, each one system call.
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
  /** The largest step by which {@link #appendIntoGrown} grows its file ahead. */
  static final int MAX_GROWTH = 1 << 20;
  /** The seed of the frames' checksums, "MTMR": CRC32C runs over its four bytes first. */
  static final byte[] SEED = {0x4d, 0x54, 0x4d, 0x52};

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
    final ByteBuffer directBlock = ByteBuffer.allocateDirect(BLOCK);
    final ByteBuffer directFrame = ByteBuffer.allocateDirect(FRAME);
    /** The step by which {@link #appendIntoGrown} grows its file ahead, in one write. */
    @Param({"65536"})
    int growth;

    final ByteBuffer zeros = ByteBuffer.allocateDirect(MAX_GROWTH);
    FileChannel grown;
    long grownEnd;
    long grownSize;
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
      grown =
          FileChannel.open(dir.resolve("grown"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      directFrame.put(frame).clear();
    }

    /** Empties the growing file and writes back the others' dirty pages, between iterations. */
    @TearDown(Level.Iteration)
    public void resetSegment() throws IOException {
      segment.truncate(0);
      segmentEnd = 0;
      grown.truncate(0);
      grownEnd = 0;
      grownSize = 0;
      data.force(false);
      extended.force(false);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
      data.close();
      segment.close();
      extended.close();
      grown.close();
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
  public ByteBuffer readOldBlockIntoFrame(Cost s) throws IOException {
    ByteBuffer b = s.directBlock.clear();
    long pos = s.nextBlockOffset();
    while (b.hasRemaining()) {
      pos += s.data.read(b, pos);
    }
    return b;
  }

  @Benchmark
  public int checksumFrame(Cost s) {
    return s.hash.hash(s.directFrame, 0, FRAME - 4, 0x4d544d52);
  }

  @Benchmark
  public int checksumFrameCrc32c(Cost s) {
    CRC32C crc = new CRC32C();
    crc.update(SEED, 0, SEED.length);
    crc.update(s.directFrame.clear().limit(FRAME - 4));
    return (int) crc.getValue();
  }

  @Benchmark
  public int encodeFrame(Cost s) {
    byte[] out = tryLz4(s);
    return s.hash.hash(out, 0, 60 + BLOCK, 0x4d544d52);
  }

  @Benchmark
  public int encodeFrameCrc32c(Cost s) {
    byte[] out = tryLz4(s);
    CRC32C crc = new CRC32C();
    crc.update(SEED, 0, SEED.length);
    crc.update(out, 0, 60 + BLOCK);
    return (int) crc.getValue();
  }

  /** A frame with the LZ4 attempt on the block, the block stored raw where it did not compress. */
  private static byte[] tryLz4(Cost s) {
    int max = s.compressor.maxCompressedLength(BLOCK);
    byte[] out = new byte[64 + max];
    int n = s.compressor.compress(s.block, 0, BLOCK, out, 60, max);
    if (n >= BLOCK) {
      System.arraycopy(s.block, 0, out, 60, BLOCK);
    }
    return out;
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
  public int appendIntoGrown(Cost s) throws IOException {
    if (s.grownEnd >= SEGMENT_LIMIT) {
      s.grown.truncate(0);
      s.grownEnd = 0;
      s.grownSize = 0;
    }
    if (s.grownEnd + FRAME > s.grownSize) {
      for (long end = s.grownSize + s.growth; s.grownSize < end; ) {
        s.grownSize += s.grown.write(s.zeros.clear().limit((int) (end - s.grownSize)), s.grownSize);
      }
    }
    int n = s.grown.write(s.directFrame.clear(), s.grownEnd);
    s.grownEnd += n;
    return n;
  }

  @Benchmark
  public int floor(Cost s) throws IOException {
    long pos = s.nextBlockOffset();
    ByteBuffer old = s.directBlock.clear();
    while (old.hasRemaining()) {
      s.data.read(old, pos + old.position());
    }
    int n = s.extended.write(s.directFrame.clear(), s.extendedPos);
    s.extendedPos = s.extendedPos + 2 * FRAME > (long) FILE_BLOCKS * FRAME ? 0 : s.extendedPos + n;
    s.blockBuffer.clear();
    return n + s.data.write(s.blockBuffer, pos);
  }

  @Benchmark
  public int overwriteFrame(Cost s) throws IOException {
    s.frameBuffer.clear();
    int n = s.extended.write(s.frameBuffer, s.extendedPos);
    s.extendedPos = s.extendedPos + 2 * FRAME > (long) FILE_BLOCKS * FRAME ? 0 : s.extendedPos + n;
    return n;
  }
}
