package dev.metamori.internal.memory;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@link DirtyPages} by {@link PageHashes}: reads the whole region at every commit, on any JVM
 * and operating system.
 */
final class HashScanPages implements DirtyPages {
  /**
   * Regions from this size up are hashed on all cores: measured on an idle 2-core machine, 256
   * MiB hashed in 19 ms in parallel against 36 ms on one thread (docs/performance.md).
   */
  private static final long PARALLEL_FROM = 64L << 20;

  private final OffHeapMemory memory;
  private final String method;
  private PageHashes hashes;

  /** Over {@code memory}; {@code method} is what {@link #method()} reports. */
  HashScanPages(OffHeapMemory memory, String method) {
    this.memory = memory;
    this.method = method;
    this.hashes = PageHashes.of(memory);
  }

  @Override
  public OffHeapMemory memory() {
    return memory;
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public long[] collect() {
    return hashes.scan(memory, memory.size() >= PARALLEL_FROM);
  }

  @Override
  public void stored(long page, ByteBuffer copy) {
    // the hash of what is stored: a write racing the copy differs from it and is stored by the
    // next commit (hashing the live page again could adopt a write the copy missed)
    hashes.reset(page, hashes.hash(copy));
  }

  @Override
  public long[] peek() {
    long[] out = new long[16];
    int count = 0;
    for (long page = 0; page < memory.pageCount(); page++) {
      if (hashes.hash(memory.page(page)) != hashes.hashOf(page)) {
        if (count == out.length) {
          out = Arrays.copyOf(out, count * 2);
        }
        out[count++] = page;
      }
    }
    return Arrays.copyOf(out, count);
  }

  @Override
  public void rebase(long n) {
    hashes.rehash(memory, n);
  }

  @Override
  public void rebaseAll() {
    hashes = PageHashes.of(memory);
  }
}
