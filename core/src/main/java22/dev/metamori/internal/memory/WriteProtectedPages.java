package dev.metamori.internal.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * {@link DirtyPages} by write-protection (see {@link WriteProtect}): the region's memory is one
 * private anonymous mapping of its own, zeroed by the kernel, seen as direct buffers of up to 1
 * GiB ({@link MemorySegment#asByteBuffer()}). A commit asks the kernel for the pages written
 * since the last one, so it reads nothing of the rest of the region.
 *
 * <p>The mapping lives as long as anything can reach it: it belongs to an automatic arena, and
 * every buffer {@link OffHeapMemory} hands out (and every slice or duplicate of one) keeps it
 * reachable. It is unmapped by the garbage collector after the last of them is gone, never
 * while the application can still touch it, so no access after free can happen.
 */
final class WriteProtectedPages implements DirtyPages {
  private final WriteProtect kernel;
  private final OffHeapMemory memory;
  /** Start of the mapping and its length, a whole number of system pages. */
  private final long address;
  private final long length;

  private WriteProtectedPages(
      WriteProtect kernel, OffHeapMemory memory, long address, long length) {
    this.kernel = kernel;
    this.memory = memory;
    this.address = address;
    this.length = length;
  }

  /**
   * Maps {@code size} zeroed bytes, write-protected, as an {@link OffHeapMemory} of pages of
   * {@code pageSize} bytes in chunks of {@code chunkSize}.
   *
   * @throws UnsupportedOperationException if the page size is not a multiple of the system's,
   *     or the memory could not be mapped or registered
   */
  @SuppressWarnings("restricted") // the mapping is seen as a segment
  static WriteProtectedPages map(WriteProtect kernel, long size, int pageSize, int chunkSize) {
    long sys = kernel.systemPageSize;
    if (pageSize % sys != 0) {
      throw new UnsupportedOperationException(
          "regions have pages of " + pageSize + " bytes, not a multiple of this system's " + sys);
    }
    long length = Math.max(sys, (size + sys - 1) / sys * sys);
    long at;
    try {
      at = kernel.calls.mapAnonymous(length);
    } catch (LinuxCalls.Failed e) {
      throw new UnsupportedOperationException(e.getMessage());
    }
    try {
      // a transparent huge page would be reported written as a whole, 512 pages for one
      kernel.calls.advise(at, length, LinuxCalls.MADV_NOHUGEPAGE);
      kernel.register(at, length);
    } catch (LinuxCalls.Failed | RuntimeException e) {
      unmapQuietly(kernel.calls, at, length);
      throw new UnsupportedOperationException(e.getMessage(), e);
    }
    // from here on the garbage collector owns the mapping: the clean-up action captures the
    // address and length only, not the segment, or the segment would never become unreachable
    LinuxCalls calls = kernel.calls;
    MemorySegment segment =
        MemorySegment.ofAddress(at)
            .reinterpret(length, Arena.ofAuto(), unused -> unmapQuietly(calls, at, length));
    OffHeapMemory memory =
        new OffHeapMemory(
            size, pageSize, chunkSize, (offset, len) -> segment.asSlice(offset, len).asByteBuffer());
    return new WriteProtectedPages(kernel, memory, at, length);
  }

  private static void unmapQuietly(LinuxCalls calls, long at, long length) {
    try {
      calls.unmap(at, length);
    } catch (LinuxCalls.Failed e) {
      // only if the range was not a mapping: nothing left to free
    }
  }

  @Override
  public OffHeapMemory memory() {
    return memory;
  }

  @Override
  public String method() {
    return PageTracking.WRITE_PROTECT;
  }

  @Override
  public long[] collect() {
    return scan(true);
  }

  @Override
  public void stored(long page, ByteBuffer copy) {
    // nothing to do: collect() protected the page again before the copy was taken
  }

  @Override
  public long[] peek() {
    return scan(false);
  }

  @Override
  public void rebase(long n) {
    long from = n * memory.pageSize();
    kernel.protect(address + from, Math.min(memory.pageSize(), length - from));
    Reference.reachabilityFence(memory); // the mapping stays while the kernel works on it
  }

  @Override
  public void rebaseAll() {
    kernel.protect(address, length);
    Reference.reachabilityFence(memory);
  }

  /** The written pages, without those past the region's end (the mapping rounds up). */
  private long[] scan(boolean reprotect) {
    long[] pages = kernel.scan(address, length, memory.pageSize(), reprotect);
    Reference.reachabilityFence(memory);
    int n = pages.length;
    while (n > 0 && pages[n - 1] >= memory.pageCount()) {
      n--;
    }
    return n == pages.length ? pages : Arrays.copyOf(pages, n);
  }
}
