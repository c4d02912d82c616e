package dev.metamori.internal.memory;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

/**
 * The few C library calls write-protect tracking makes, through the foreign function API. Each
 * call returns its result or throws {@link Failed} with the {@code errno} it set. Creating an
 * instance links native functions, a restricted operation: only after {@link
 * Module#isNativeAccessEnabled()} said yes, so that no warning is printed when the user did not
 * opt in.
 */
final class LinuxCalls {
  static final int PROT_READ = 1;
  static final int PROT_WRITE = 2;
  static final int MAP_PRIVATE = 0x02;
  static final int MAP_ANONYMOUS = 0x20;
  static final int MADV_NOHUGEPAGE = 15;
  static final int O_RDONLY = 0;
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  private static final int SC_PAGESIZE = 30;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
  private static final long ERRNO =
      CAPTURED.byteOffset(MemoryLayout.PathElement.groupElement("errno"));

  /** A call that failed: its name and {@code errno}. */
  static final class Failed extends Exception {
    private static final long serialVersionUID = 1L;
    final int errno;

    Failed(String call, int errno) {
      super(call + " failed: errno " + errno + " (" + errnoName(errno) + ")");
      this.errno = errno;
    }
  }

  private final MethodHandle syscall;
  private final MethodHandle ioctl;
  private final MethodHandle mmap;
  private final MethodHandle munmap;
  private final MethodHandle madvise;
  private final MethodHandle open;
  private final MethodHandle close;
  private final MethodHandle sysconf;

  LinuxCalls() {
    syscall = link("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG), 1);
    ioctl = link("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), 2);
    mmap =
        link(
            "mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG),
            -1);
    munmap = link("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG), -1);
    madvise = link("madvise", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), -1);
    open = link("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), -1);
    close = link("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), -1);
    sysconf = link("sysconf", FunctionDescriptor.of(JAVA_LONG, JAVA_INT), -1);
  }

  @SuppressWarnings("restricted") // linking is restricted; see the class comment
  private static MethodHandle link(String name, FunctionDescriptor descriptor, int firstVariadic) {
    MemorySegment symbol =
        LINKER
            .defaultLookup()
            .find(name)
            .orElseThrow(() -> new UnsupportedOperationException("no " + name + " in the C library"));
    Linker.Option errno = Linker.Option.captureCallState("errno");
    return firstVariadic < 0
        ? LINKER.downcallHandle(symbol, descriptor, errno)
        : LINKER.downcallHandle(
            symbol, descriptor, errno, Linker.Option.firstVariadicArg(firstVariadic));
  }

  /** {@code syscall(number, arg)}. */
  long syscall(String what, long number, long arg) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      long r = (long) syscall.invokeExact(state, number, arg);
      return check(what, r, state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code ioctl(fd, request, arg)}. */
  int ioctl(String what, int fd, long request, MemorySegment arg) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      int r = (int) ioctl.invokeExact(state, fd, request, arg);
      return (int) check(what, r, state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** Maps {@code length} bytes of zeroed private anonymous memory, readable and writable. */
  long mapAnonymous(long length) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      MemorySegment r =
          (MemorySegment)
              mmap.invokeExact(
                  state,
                  MemorySegment.NULL,
                  length,
                  PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS,
                  -1,
                  0L);
      return check("mmap of " + length + " bytes", r.address(), state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code munmap(address, length)}. */
  void unmap(long address, long length) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      int r = (int) munmap.invokeExact(state, MemorySegment.ofAddress(address), length);
      check("munmap", r, state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code madvise(address, length, advice)}. */
  void advise(long address, long length, int advice) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      int r = (int) madvise.invokeExact(state, MemorySegment.ofAddress(address), length, advice);
      check("madvise", r, state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code open(path, flags)}. */
  int open(String path, int flags) throws Failed {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment state = arena.allocate(CAPTURED);
      int r = (int) open.invokeExact(state, arena.allocateFrom(path), flags);
      return (int) check("open of " + path, r, state);
    } catch (Failed | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code close(fd)}, ignoring a failure: nothing is left to do about one. */
  void closeQuietly(int fd) {
    if (fd < 0) {
      return;
    }
    try (Arena arena = Arena.ofConfined()) {
      int unused = (int) close.invokeExact(arena.allocate(CAPTURED), fd);
    } catch (Throwable e) {
      // the descriptor is lost either way
    }
  }

  /** The size of a memory page of this machine. */
  long pageSize() {
    try (Arena arena = Arena.ofConfined()) {
      return (long) sysconf.invokeExact(arena.allocate(CAPTURED), SC_PAGESIZE);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private static long check(String what, long result, MemorySegment state) throws Failed {
    if (result == -1) {
      throw new Failed(what, state.get(JAVA_INT, ERRNO));
    }
    return result;
  }

  static String errnoName(int errno) {
    return switch (errno) {
      case 1 -> "EPERM";
      case 2 -> "ENOENT";
      case 9 -> "EBADF";
      case 12 -> "ENOMEM";
      case 13 -> "EACCES";
      case 14 -> "EFAULT";
      case 16 -> "EBUSY";
      case 22 -> "EINVAL";
      case 24 -> "EMFILE";
      case 25 -> "ENOTTY";
      case 38 -> "ENOSYS";
      default -> "see errno(3)";
    };
  }
}
