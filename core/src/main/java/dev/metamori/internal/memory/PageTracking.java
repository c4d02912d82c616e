package dev.metamori.internal.memory;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Chooses how a new region finds its changed pages: write-protect tracking where the JVM, the
 * kernel and the permissions allow it, the hash scan otherwise. The choice is made once per
 * process, except that a region whose memory cannot be mapped falls back on its own.
 *
 * <p>The system property {@value #PROPERTY} overrides it: {@code hash-scan} always scans (for
 * comparisons), {@code write-protect} fails instead of falling back (for tests); the default,
 * {@code auto}, picks the best available.
 */
final class PageTracking {
  /** The system property that overrides the choice. */
  static final String PROPERTY = "metamori.pageTracking";

  static final String HASH_SCAN = "hash-scan";
  static final String WRITE_PROTECT = "write-protect";

  /**
   * The write-protect implementation: it exists only in the Java 22 section of the
   * multi-release jar, so that a Java 17 runtime never sees the foreign-function code.
   */
  private static final String IMPLEMENTATION = "dev.metamori.internal.memory.WriteProtect";

  private PageTracking() {}

  /**
   * Allocates the zeroed memory of a region of {@code size} bytes in pages of {@code pageSize},
   * with the best tracker available.
   *
   * @throws IllegalStateException if {@value #PROPERTY} asks for write-protect and it is not
   *     available here
   */
  static DirtyPages allocate(long size, int pageSize) {
    return allocate(size, pageSize, OffHeapMemory.chunkSize(pageSize));
  }

  /** As {@link #allocate(long, int)} in chunks of {@code chunkSize} bytes (tests use small ones). */
  static DirtyPages allocate(long size, int pageSize, int chunkSize) {
    String wanted = System.getProperty(PROPERTY, "auto");
    if (wanted.equals(HASH_SCAN)) {
      return hashScan(size, pageSize, chunkSize, PROPERTY + "=" + HASH_SCAN);
    }
    if (!wanted.equals("auto") && !wanted.equals(WRITE_PROTECT)) {
      throw new IllegalArgumentException(
          PROPERTY + "=" + wanted + " is not one of auto, " + HASH_SCAN + ", " + WRITE_PROTECT);
    }
    try {
      return writeProtected(size, pageSize, chunkSize);
    } catch (UnsupportedOperationException e) {
      if (wanted.equals(WRITE_PROTECT)) {
        throw new IllegalStateException(
            PROPERTY + "=" + WRITE_PROTECT + " but write-protect tracking is not available: "
                + e.getMessage() + "; set it to auto to fall back to the hash scan",
            e);
      }
      return hashScan(size, pageSize, chunkSize, e.getMessage());
    }
  }

  /**
   * Allocates write-protect tracked memory.
   *
   * @throws UnsupportedOperationException saying why, if write-protect tracking is not available
   *     here or this memory could not be mapped
   */
  static DirtyPages writeProtected(long size, int pageSize, int chunkSize) {
    if (Native.UNAVAILABLE != null) {
      throw new UnsupportedOperationException(Native.UNAVAILABLE);
    }
    try {
      return (DirtyPages) Native.ALLOCATE.invoke(size, pageSize, chunkSize);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private static DirtyPages hashScan(long size, int pageSize, int chunkSize, String reason) {
    return new HashScanPages(
        new OffHeapMemory(size, pageSize, chunkSize), HASH_SCAN + " (" + reason + ")");
  }

  /** Why write-protect tracking cannot be used in this process, or null if it can. */
  static String unavailableReason() {
    return Native.UNAVAILABLE;
  }

  /** Looked up once, on the first region. */
  private static final class Native {
    static final String UNAVAILABLE;
    static final MethodHandle ALLOCATE;

    static {
      String reason;
      MethodHandle allocate = null;
      try {
        Class<?> impl = Class.forName(IMPLEMENTATION);
        MethodHandles.Lookup lookup = MethodHandles.lookup();
        reason = (String) lookup.findStatic(impl, "unavailable", MethodType.methodType(String.class))
            .invoke();
        allocate =
            lookup.findStatic(
                impl,
                "allocate",
                MethodType.methodType(DirtyPages.class, long.class, int.class, int.class));
      } catch (ClassNotFoundException e) {
        reason =
            "write-protect tracking needs Java 22 or later and a Metamori jar built with it;"
                + " this is Java "
                + Runtime.version().feature();
      } catch (Throwable e) {
        reason = "write-protect tracking failed to start: " + e;
      }
      UNAVAILABLE = reason;
      ALLOCATE = allocate;
    }
  }
}
