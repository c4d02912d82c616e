package dev.metamori.bench;

import dev.metamori.internal.memory.DirtyPages;
import dev.metamori.internal.memory.OffHeapMemory;
import dev.metamori.internal.memory.PageHashes;
import dev.metamori.internal.memory.ShadowCopy;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Finding the changed 4 KiB pages of an off-heap region, one scan per invocation, after a
 * fraction {@code dirty} of the pages (fixed, randomly chosen) had one byte changed:
 *
 * <ul>
 *   <li>{@link #hashScan}: {@link PageHashes} (XXH64 per page, 8 bytes of shadow per page) on
 *       the calling thread; {@link #hashScanParallel} split over the common ForkJoin pool;
 *   <li>{@link #shadowScan}: {@link ShadowCopy}, a second copy of the region compared with
 *       {@code ByteBuffer.mismatch} per page, changed pages copied into it;
 *   <li>{@link #writeProtectScan}: {@link DirtyPages#writeProtected} (Linux 6.7+, Java 22+: the
 *       kernel lists the pages written since the last scan and protects them again; the region
 *       is not read), on a second region with the same bytes and the same pages changed; it
 *       fails, saying why, where write-protect tracking is not available;
 *   <li>{@link #memcpy}: a direct-to-direct copy of the whole region on one thread, the
 *       memory-bandwidth baseline ("diff throughput / memcpy throughput").
 * </ul>
 *
 * Region contents are random, so no scan can stop early on zero pages. Run with {@code mvn
 * -Pjmh test-compile exec:exec -Djmh.args="-f 1 -wi 2 -i 3 PageDiffBenchmark"}; {@code -p
 * regionMiB=64,1024} for other sizes (1 GiB needs about 3 GiB of direct memory).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class PageDiffBenchmark {

  private static final int PAGE = 4096;

  /** Region size in MiB. */
  @Param({"256"})
  public int regionMiB;

  /** Fraction of pages changed before each scan. */
  @Param({"0.001", "0.01", "0.1", "1.0"})
  public double dirty;

  private OffHeapMemory region;
  private PageHashes hashes;
  private ShadowCopy shadow;
  private List<ByteBuffer> target;
  /** The write-protected twin of the region, or null with {@link #unavailable} saying why. */
  private DirtyPages writeProtected;
  private String unavailable;
  private long[] dirtyPages;
  private byte stamp;

  /** Fills the region with random bytes and takes both baselines. */
  @Setup(Level.Trial)
  public void setUp() {
    long size = (long) regionMiB << 20;
    region = new OffHeapMemory(size, PAGE);
    try {
      writeProtected = DirtyPages.writeProtected(size, PAGE);
    } catch (UnsupportedOperationException e) {
      unavailable = e.getMessage();
    }
    Random rnd = new Random(42);
    byte[] block = new byte[1 << 20];
    for (long off = 0; off < size; off += block.length) {
      rnd.nextBytes(block);
      region.put(off, block, 0, block.length);
      if (writeProtected != null) {
        writeProtected.memory().put(off, block, 0, block.length);
      }
    }
    if (writeProtected != null) {
      writeProtected.collect(); // the baseline
    }
    hashes = PageHashes.of(region);
    shadow = ShadowCopy.of(region);
    target = new OffHeapMemory(size, PAGE).buffers();
    long pages = region.pageCount();
    int n = (int) Math.max(1, Math.round(pages * dirty));
    dirtyPages = rnd.longs(0, pages).distinct().limit(n).sorted().toArray();
  }

  /** Changes one byte of every chosen page, to a value it did not hold before. */
  @Setup(Level.Invocation)
  public void dirtyPages() {
    stamp++;
    for (long p : dirtyPages) {
      long at = p * PAGE + (p * 31 & (PAGE - 1));
      region.put(at, (byte) (region.get(at) ^ (stamp | 1)));
      if (writeProtected != null) {
        writeProtected.memory().put(at, region.get(at));
      }
    }
  }

  /** The kernel's list of the pages written since the last scan. */
  @Benchmark
  public long[] writeProtectScan() {
    if (writeProtected == null) {
      throw new IllegalStateException("write-protect tracking is not available: " + unavailable);
    }
    return check(writeProtected.collect());
  }

  /** Hash scan on the calling thread (the default). */
  @Benchmark
  public long[] hashScan() {
    return check(hashes.scan(region, false));
  }

  /** Hash scan split over the common ForkJoin pool in 8 MiB ranges. */
  @Benchmark
  public long[] hashScanParallel() {
    return check(hashes.scan(region, true));
  }

  /** Mismatch against a full shadow copy, updating it. */
  @Benchmark
  public long[] shadowScan() {
    return check(shadow.scan(region));
  }

  /** Copies the whole region to another direct region. */
  @Benchmark
  public int memcpy() {
    List<ByteBuffer> src = region.buffers();
    int n = 0;
    for (int i = 0; i < src.size(); i++) {
      ByteBuffer dst = target.get(i).clear();
      dst.put(src.get(i));
      n += dst.position();
    }
    return n;
  }

  private long[] check(long[] changed) {
    if (changed.length != dirtyPages.length) {
      throw new IllegalStateException(changed.length + " changed, " + dirtyPages.length + " dirty");
    }
    return changed;
  }
}
