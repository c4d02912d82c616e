package dev.metamori.internal.memory;

import java.nio.ByteBuffer;

/**
 * The memory of one region and the way its commits find the pages written since the last
 * commit. Two implementations: {@link HashScanPages} hashes every page and compares (any JVM,
 * any OS), and {@code WriteProtectedPages} (Java 22+, in the multi-release section of the jar)
 * lets the Linux kernel mark the written pages, so a commit costs in proportion to the pages
 * written rather than to the region. {@link PageTracking} chooses at run time.
 *
 * <p>The <em>baseline</em> is the state the region had at its last commit, load or restore. Not
 * thread-safe: {@link VolatileState} serialises the calls; the application may write the memory
 * at any time, and a write racing a call is reported by this call or by the next one.
 *
 * <p>Public, like {@link OffHeapMemory}, for the benchmarks only; the module does not export it.
 */
public interface DirtyPages {

  /**
   * Allocates {@code size} zeroed bytes in pages of {@code pageSize} tracked by write-protection.
   *
   * @throws UnsupportedOperationException saying why, where write-protect tracking is not
   *     available
   */
  static DirtyPages writeProtected(long size, int pageSize) {
    return PageTracking.writeProtected(size, pageSize, OffHeapMemory.chunkSize(pageSize));
  }

  /** The memory tracked, zeroed when created. */
  OffHeapMemory memory();

  /**
   * How the changes are found, for {@link dev.metamori.StoreStats.StateStats}: {@code
   * "write-protect"}, or {@code "hash-scan"} followed by the reason in parentheses when
   * write-protect could not be used.
   */
  String method();

  /**
   * Returns, in ascending order, the pages written since the baseline and makes their current
   * contents the baseline: the caller copies them out next and passes each copy to {@link
   * #stored}. A write after this call is reported by the next one, even if the copy saw it.
   */
  long[] collect();

  /** Tells the tracker what was stored for a page {@link #collect} returned. */
  void stored(long page, ByteBuffer copy);

  /**
   * Returns, in ascending order, the pages that may differ from the baseline, without changing
   * it (a rollback that is refused later must leave the next commit intact). It may include
   * pages written back to their baseline bytes.
   */
  long[] peek();

  /** Makes the current contents of page {@code n}, which the caller wrote on purpose, its baseline. */
  void rebase(long n);

  /** Makes the current contents of every page the baseline. */
  void rebaseAll();
}
