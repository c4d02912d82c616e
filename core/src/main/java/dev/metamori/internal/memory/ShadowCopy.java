package dev.metamori.internal.memory;

import java.util.Arrays;

/**
 * The alternative to {@link PageHashes}: a full second copy of the region, compared page by page
 * with the vectorised {@link java.nio.ByteBuffer#mismatch}. It never misses a change, but it
 * doubles the region's memory and a changed page costs a copy into the shadow as well as the
 * comparison. Kept for the comparison in {@code docs/performance.md} ("Memory regions") and the benchmark.
 *
 * <p>Not thread-safe.
 */
public final class ShadowCopy {

  private final OffHeapMemory shadow;

  private ShadowCopy(OffHeapMemory shadow) {
    this.shadow = shadow;
  }

  /** Copies every page of {@code memory} as the baseline. */
  public static ShadowCopy of(OffHeapMemory memory) {
    ShadowCopy s = new ShadowCopy(new OffHeapMemory(memory.size(), memory.pageSize()));
    s.scan(memory);
    return s;
  }

  /**
   * Returns, in ascending order, the pages whose bytes differ from the shadow, and copies them
   * into the shadow.
   *
   * @throws IllegalArgumentException if {@code memory} has a different layout
   */
  public long[] scan(OffHeapMemory memory) {
    if (memory.pageSize() != shadow.pageSize() || memory.size() != shadow.size()) {
      throw new IllegalArgumentException("memory layout differs from the shadow's");
    }
    long pages = memory.pageCount();
    long[] changed = new long[16];
    int count = 0;
    for (long p = 0; p < pages; p++) {
      var live = memory.page(p);
      var old = shadow.page(p);
      if (live.mismatch(old) >= 0) {
        old.put(live);
        if (count == changed.length) {
          changed = Arrays.copyOf(changed, count * 2);
        }
        changed[count++] = p;
      }
    }
    return Arrays.copyOf(changed, count);
  }
}
