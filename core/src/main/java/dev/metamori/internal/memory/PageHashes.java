package dev.metamori.internal.memory;

import java.nio.ByteBuffer;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * One 64-bit XXH64 hash per page of an {@link OffHeapMemory}: the shadow that lets a commit find
 * the changed pages without keeping a second copy of the region (8 bytes per page instead of a
 * page). A change is missed only if the new bytes of a page hash to exactly the old value; see
 * {@code docs/design.md} ("Volatile state") for the probability.
 *
 * <p>Hashing reads the direct buffers in place (no copy to the heap). {@link #scan(OffHeapMemory,
 * boolean)} can split the pages over the common {@link java.util.concurrent.ForkJoinPool}; it is
 * not the default because it was not measurably faster on a busy two-core machine.
 *
 * <p>Not thread-safe: the caller serialises {@link #scan}, {@link #reset} and {@link #rehash},
 * and must not write the memory during a scan if it wants a consistent answer.
 */
public final class PageHashes {

  /**
   * Source of per-instance seeds. The hashes never leave memory, so the seed need not be stable;
   * a secret one means page contents chosen by an adversary cannot be crafted to collide.
   */
  private static final SecureRandom SEEDS = new SecureRandom();

  /** Bytes hashed by one parallel task; large enough that task overhead does not show. */
  private static final long BYTES_PER_TASK = 8L << 20;

  private static final XXHash64 XXH64 = XXHashFactory.fastestInstance().hash64();

  private final long[] hashes;
  private final int pageSize;
  private final long seed;

  private PageHashes(long[] hashes, int pageSize, long seed) {
    this.hashes = hashes;
    this.pageSize = pageSize;
    this.seed = seed;
  }

  /**
   * Hashes every page of {@code memory} as the baseline for later scans.
   *
   * @throws IllegalArgumentException if the memory has more than {@code Integer.MAX_VALUE}
   *     pages
   */
  public static PageHashes of(OffHeapMemory memory) {
    return of(memory, false);
  }

  /** As {@link #of(OffHeapMemory)}, hashing in parallel if {@code parallel}. */
  public static PageHashes of(OffHeapMemory memory, boolean parallel) {
    long count = memory.pageCount();
    if (count > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("too many pages: " + count);
    }
    PageHashes h = new PageHashes(new long[(int) count], memory.pageSize(), SEEDS.nextLong());
    h.scan(memory, parallel);
    return h;
  }

  /**
   * Returns this instance's hash of the bytes remaining in {@code buf}, without moving its
   * position: what {@link #reset} expects for a page whose bytes the caller already holds.
   */
  public long hash(ByteBuffer buf) {
    return XXH64.hash(buf, buf.position(), buf.remaining(), seed);
  }

  /** Returns the number of pages tracked. */
  public int pageCount() {
    return hashes.length;
  }

  /** Returns the hash recorded for page {@code n}. */
  public long hashOf(long n) {
    return hashes[checkPage(n)];
  }

  /**
   * Returns, in ascending order, the pages whose hash differs from the one recorded at the last
   * scan, baseline, {@link #reset} or {@link #rehash}, and records the new hashes. Runs on the
   * calling thread.
   *
   * @throws IllegalArgumentException if {@code memory} has a different page layout
   */
  public long[] scan(OffHeapMemory memory) {
    return scan(memory, false);
  }

  /**
   * As {@link #scan(OffHeapMemory)}, with the choice made by the caller: {@code parallel} splits
   * the pages into 8 MiB ranges hashed on the common {@link java.util.concurrent.ForkJoinPool};
   * otherwise the calling thread hashes them all.
   */
  public long[] scan(OffHeapMemory memory, boolean parallel) {
    checkLayout(memory);
    int pagesPerTask = (int) Math.max(1, BYTES_PER_TASK / pageSize);
    int tasks = (int) ((hashes.length + (long) pagesPerTask - 1) / pagesPerTask);
    if (!parallel || tasks <= 1) {
      return scanRange(memory, 0, hashes.length);
    }
    List<long[]> parts =
        IntStream.range(0, tasks)
            .parallel()
            .mapToObj(
                t -> {
                  int from = t * pagesPerTask;
                  int to = (int) Math.min(hashes.length, (long) from + pagesPerTask);
                  return scanRange(memory, from, to);
                })
            .collect(Collectors.toList());
    int total = 0;
    for (long[] p : parts) {
      total += p.length;
    }
    long[] out = new long[total];
    int at = 0;
    for (long[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  /**
   * Records {@code hash} for page {@code n}, e.g. one {@link #hash(ByteBuffer)} computed while
   * the page was copied out.
   */
  public void reset(long n, long hash) {
    hashes[checkPage(n)] = hash;
  }

  /**
   * Re-hashes page {@code n} from {@code memory}, so that a write the caller made on purpose
   * (such as a rollback restoring the page) is not reported by the next scan.
   */
  public void rehash(OffHeapMemory memory, long n) {
    checkLayout(memory);
    hashes[checkPage(n)] = hash(memory.page(n));
  }

  private long[] scanRange(OffHeapMemory memory, int from, int to) {
    long[] changed = new long[16];
    int count = 0;
    for (int p = from; p < to; p++) {
      long h = hash(memory.page(p));
      if (h != hashes[p]) {
        hashes[p] = h;
        if (count == changed.length) {
          changed = Arrays.copyOf(changed, Math.min(to - from, count * 2));
        }
        changed[count++] = p;
      }
    }
    return Arrays.copyOf(changed, count);
  }

  private void checkLayout(OffHeapMemory memory) {
    if (memory.pageSize() != pageSize || memory.pageCount() != hashes.length) {
      throw new IllegalArgumentException(
          "memory has "
              + memory.pageCount()
              + " pages of "
              + memory.pageSize()
              + " bytes; expected "
              + hashes.length
              + " of "
              + pageSize);
    }
  }

  private int checkPage(long n) {
    if (n < 0 || n >= hashes.length) {
      throw new IndexOutOfBoundsException(
          "page " + n + " out of bounds for page count " + hashes.length);
    }
    return (int) n;
  }
}
