package dev.metamori.internal.memory;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Locale;

/**
 * Dirty-page tracking by the Linux kernel (6.7 or later): memory the library maps itself is
 * registered with a userfaultfd in asynchronous write-protect mode ({@code UFFD_FEATURE_WP_ASYNC},
 * with {@code UFFD_FEATURE_WP_UNPOPULATED} so that pages never touched are covered too). A write
 * to a protected page is let through by the kernel at once, which clears the page's protection;
 * the {@code PAGEMAP_SCAN} ioctl on {@code /proc/self/pagemap} then lists the pages written
 * ({@code PAGE_IS_WRITTEN}) and protects them again in the same pass ({@code
 * PM_SCAN_WP_MATCHING}). No fault reaches user space, so nothing reads the userfaultfd.
 *
 * <p>One userfaultfd and one pagemap descriptor serve the whole process and stay open; a
 * region's registration ends when its memory is unmapped. Everything is set up, and checked on a
 * probe mapping, when the class is first used; {@link #unavailable()} says why it could not be.
 *
 * <p>This class exists only in the Java 22 section of the multi-release jar; {@link
 * PageTracking} finds it by name.
 */
final class WriteProtect {
  private static final long UFFD_API = 0xAA;
  private static final long UFFD_USER_MODE_ONLY = 1;
  private static final long UFFD_FEATURE_WP_UNPOPULATED = 1L << 13;
  private static final long UFFD_FEATURE_WP_ASYNC = 1L << 15;
  private static final long UFFDIO_REGISTER_MODE_WP = 1L << 1;
  private static final long UFFDIO_WRITEPROTECT_MODE_WP = 1L << 0;
  /** {@code _IOWR(0xAA, 0x3F, struct uffdio_api)}: 24 bytes. */
  private static final long UFFDIO_API = 0xC018AA3FL;
  /** {@code _IOWR(0xAA, 0x00, struct uffdio_register)}: 32 bytes. */
  private static final long UFFDIO_REGISTER = 0xC020AA00L;
  /** {@code _IOWR(0xAA, 0x06, struct uffdio_writeprotect)}: 24 bytes. */
  private static final long UFFDIO_WRITEPROTECT = 0xC018AA06L;
  /** {@code _IOWR('f', 16, struct pm_scan_arg)}: 96 bytes. */
  private static final long PAGEMAP_SCAN = 0xC0606610L;
  private static final long PM_SCAN_ARG_SIZE = 96;
  private static final long PM_SCAN_WP_MATCHING = 1L << 0;
  private static final long PM_SCAN_CHECK_WPASYNC = 1L << 1;
  private static final long PAGE_IS_WRITTEN = 1L << 1;
  /** {@code struct page_region}: start, end, categories. */
  private static final long PAGE_REGION_SIZE = 24;
  /** Runs of written pages one scan call returns at most; a longer list takes more calls. */
  private static final int RUNS_PER_CALL = 1024;

  static final String NATIVE_ACCESS =
      "native access is not enabled for Metamori: run java with"
          + " --enable-native-access=dev.metamori (Metamori on the module path) or"
          + " --enable-native-access=ALL-UNNAMED (on the class path)";

  private static final String UNAVAILABLE;
  private static final WriteProtect INSTANCE;

  final LinuxCalls calls;
  final long systemPageSize;
  private final int uffd;
  private final int pagemap;

  static {
    String reason = null;
    WriteProtect instance = null;
    String os = System.getProperty("os.name", "");
    long userfaultfd = userfaultfdSyscall(System.getProperty("os.arch", ""));
    if (!os.toLowerCase(Locale.ROOT).startsWith("linux")) {
      reason = "write-protect tracking needs Linux; this is " + os;
    } else if (userfaultfd < 0) {
      reason = "write-protect tracking is not built for " + System.getProperty("os.arch");
    } else if (!WriteProtect.class.getModule().isNativeAccessEnabled()) {
      reason = NATIVE_ACCESS;
    } else {
      try {
        instance = new WriteProtect(new LinuxCalls(), userfaultfd);
      } catch (UnsupportedOperationException e) {
        reason = e.getMessage();
      } catch (IllegalCallerException e) {
        reason = NATIVE_ACCESS + " (" + e.getMessage() + ")";
      }
    }
    UNAVAILABLE = reason;
    INSTANCE = instance;
  }

  /** Why write-protect tracking cannot be used in this process, or null if it can. */
  static String unavailable() {
    return UNAVAILABLE;
  }

  /**
   * Maps a region's memory and tracks it; see {@link WriteProtectedPages}.
   *
   * @throws UnsupportedOperationException if tracking is unavailable or the memory could not be
   *     mapped and registered (the caller falls back to the hash scan)
   */
  static DirtyPages allocate(long size, int pageSize, int chunkSize) {
    if (INSTANCE == null) {
      throw new UnsupportedOperationException(UNAVAILABLE);
    }
    return WriteProtectedPages.map(INSTANCE, size, pageSize, chunkSize);
  }

  private static long userfaultfdSyscall(String arch) {
    return switch (arch) {
      case "amd64", "x86_64" -> 323;
      case "aarch64", "arm64", "riscv64", "loongarch64" -> 282;
      default -> -1;
    };
  }

  private WriteProtect(LinuxCalls calls, long userfaultfdSyscall) {
    this.calls = calls;
    this.systemPageSize = calls.pageSize();
    int fd = -1;
    int pm = -1;
    try {
      fd = openUserfaultfd(calls, userfaultfdSyscall);
      pm = openPagemap(calls);
      this.uffd = fd;
      this.pagemap = pm;
      probe();
    } catch (UnsupportedOperationException e) {
      calls.closeQuietly(fd);
      calls.closeQuietly(pm);
      throw e;
    }
  }

  private static int openUserfaultfd(LinuxCalls calls, long syscall) {
    int fd;
    try {
      // user-mode-only faults are all this needs, and they are allowed without privileges even
      // where vm.unprivileged_userfaultfd is 0
      fd =
          (int)
              calls.syscall(
                  "userfaultfd",
                  syscall,
                  LinuxCalls.O_CLOEXEC | LinuxCalls.O_NONBLOCK | UFFD_USER_MODE_ONLY);
    } catch (LinuxCalls.Failed e) {
      throw new UnsupportedOperationException(
          e.getMessage()
              + (e.errno == 1
                  ? ": userfaultfd is not permitted to this process (vm.unprivileged_userfaultfd,"
                      + " CAP_SYS_PTRACE, or a seccomp filter)"
                  : ": this kernel has no userfaultfd"));
    }
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment api = arena.allocate(24, 8);
      api.set(JAVA_LONG, 0, UFFD_API);
      api.set(JAVA_LONG, 8, UFFD_FEATURE_WP_ASYNC | UFFD_FEATURE_WP_UNPOPULATED);
      calls.ioctl("UFFDIO_API", fd, UFFDIO_API, api);
    } catch (LinuxCalls.Failed e) {
      calls.closeQuietly(fd);
      throw new UnsupportedOperationException(
          e.getMessage()
              + ": this kernel lacks asynchronous write-protection"
              + " (UFFD_FEATURE_WP_ASYNC, Linux 6.7 or later)");
    }
    return fd;
  }

  private static int openPagemap(LinuxCalls calls) {
    try {
      return calls.open("/proc/self/pagemap", LinuxCalls.O_RDONLY | LinuxCalls.O_CLOEXEC);
    } catch (LinuxCalls.Failed e) {
      throw new UnsupportedOperationException(e.getMessage() + ": is /proc mounted?");
    }
  }

  /** Checks, on two pages of its own, that the kernel reports a write and only that. */
  @SuppressWarnings("restricted") // the probe mapping is seen as a segment
  private void probe() {
    long length = 2 * systemPageSize;
    long at;
    try {
      at = calls.mapAnonymous(length);
    } catch (LinuxCalls.Failed e) {
      throw new UnsupportedOperationException(e.getMessage());
    }
    try {
      register(at, length);
      MemorySegment.ofAddress(at).reinterpret(length).set(JAVA_LONG, systemPageSize, 1L);
      long[] first = scan(at, length, systemPageSize, true);
      long[] second = scan(at, length, systemPageSize, false);
      if (!Arrays.equals(first, new long[] {1}) || second.length != 0) {
        throw new UnsupportedOperationException(
            "PAGEMAP_SCAN reported pages "
                + Arrays.toString(first)
                + " then "
                + Arrays.toString(second)
                + " after a write to page 1 only");
      }
    } finally {
      try {
        calls.unmap(at, length);
      } catch (LinuxCalls.Failed e) {
        throw new IllegalStateException(e.getMessage(), e);
      }
    }
  }

  /**
   * Registers {@code [at, at + length)} for asynchronous write-protection and protects it.
   *
   * @throws UnsupportedOperationException if the kernel refuses
   */
  void register(long at, long length) {
    try {
      rangeIoctl("UFFDIO_REGISTER", UFFDIO_REGISTER, 32, at, length, UFFDIO_REGISTER_MODE_WP);
    } catch (LinuxCalls.Failed e) {
      throw new UnsupportedOperationException(
          e.getMessage() + ": the kernel refused write-protection of anonymous memory");
    }
    protect(at, length);
  }

  /** Write-protects {@code [at, at + length)} again: its current contents are the baseline. */
  void protect(long at, long length) {
    try {
      rangeIoctl(
          "UFFDIO_WRITEPROTECT", UFFDIO_WRITEPROTECT, 24, at, length, UFFDIO_WRITEPROTECT_MODE_WP);
    } catch (LinuxCalls.Failed e) {
      throw new IllegalStateException(e.getMessage() + " on a region Metamori registered", e);
    }
  }

  /** A userfaultfd ioctl whose argument is a range followed by a mode (and output fields). */
  private void rangeIoctl(String what, long request, long size, long at, long length, long mode)
      throws LinuxCalls.Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment arg = arena.allocate(size, 8);
      arg.set(JAVA_LONG, 0, at);
      arg.set(JAVA_LONG, 8, length);
      arg.set(JAVA_LONG, 16, mode);
      calls.ioctl(what, uffd, request, arg);
    }
  }

  /**
   * Returns, ascending, the indexes of the {@code pageSize}-byte pages of {@code [at, at +
   * length)} written since they were last protected, and protects them again in the same pass
   * if {@code reprotect}.
   */
  long[] scan(long at, long length, long pageSize, boolean reprotect) {
    long[] pages = new long[16];
    int count = 0;
    long end = at + length;
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment arg = arena.allocate(PM_SCAN_ARG_SIZE, 8);
      MemorySegment runs = arena.allocate(PAGE_REGION_SIZE * RUNS_PER_CALL, 8);
      long from = at;
      while (from < end) {
        arg.fill((byte) 0);
        arg.set(JAVA_LONG, 0, PM_SCAN_ARG_SIZE);
        arg.set(JAVA_LONG, 8, PM_SCAN_CHECK_WPASYNC | (reprotect ? PM_SCAN_WP_MATCHING : 0));
        arg.set(JAVA_LONG, 16, from);
        arg.set(JAVA_LONG, 24, end);
        arg.set(JAVA_LONG, 40, runs.address());
        arg.set(JAVA_LONG, 48, RUNS_PER_CALL);
        arg.set(JAVA_LONG, 72, PAGE_IS_WRITTEN); // category_mask
        arg.set(JAVA_LONG, 88, PAGE_IS_WRITTEN); // return_mask
        int n = calls.ioctl("PAGEMAP_SCAN", pagemap, PAGEMAP_SCAN, arg);
        for (int i = 0; i < n; i++) {
          long first = (runs.get(JAVA_LONG, i * PAGE_REGION_SIZE) - at) / pageSize;
          long last = (runs.get(JAVA_LONG, i * PAGE_REGION_SIZE + 8) - at + pageSize - 1) / pageSize;
          for (long p = first; p < last; p++) {
            if (count > 0 && pages[count - 1] >= p) {
              continue; // a page larger than the system's, reported in two runs
            }
            if (count == pages.length) {
              pages = Arrays.copyOf(pages, count * 2);
            }
            pages[count++] = p;
          }
        }
        long walkEnd = arg.get(JAVA_LONG, 32);
        if (walkEnd <= from) {
          throw new IllegalStateException(
              "PAGEMAP_SCAN made no progress at " + Long.toHexString(from));
        }
        from = walkEnd;
      }
    } catch (LinuxCalls.Failed e) {
      throw new IllegalStateException(e.getMessage() + " on a region Metamori registered", e);
    }
    return Arrays.copyOf(pages, count);
  }
}
