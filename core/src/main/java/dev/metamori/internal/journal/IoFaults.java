package dev.metamori.internal.journal;

import dev.metamori.DiskFullException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Which I/O errors leave a checkpointer usable. A full disk ("No space left on device",
 * ENOSPC) or an exceeded disk quota ("Disk quota exceeded", EDQUOT) reported by a write, a
 * creation, a rename or a link has a known effect: the call did nothing, or wrote a prefix of
 * its bytes, which the journal cuts off or writes again. Every other error is fatal, and so is
 * any error of a force (fsync), whatever its reason: after a failed fsync the kernel may have
 * dropped dirty pages and reports the loss only once, so what earlier writes left on disk is
 * unknown. Forces go through {@link #force} and such failures through {@link #fatal}, which
 * mark them.
 */
public final class IoFaults {
  static final String NO_SPACE = "No space left on device";
  static final String QUOTA = "Disk quota exceeded";

  private IoFaults() {}

  /** An error after which what is on disk is not known: the checkpointer must stop. */
  public static final class Fatal extends IOException {
    private static final long serialVersionUID = 1L;

    Fatal(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Marks {@code cause} fatal: see {@link Fatal}. */
  public static Fatal fatal(String what, Throwable cause) {
    return cause instanceof Fatal f ? f : new Fatal(what + ": " + cause.getMessage(), cause);
  }

  /** Forces {@code channel}; a failure, whatever its reason, is {@linkplain #fatal fatal}. */
  public static void force(FileChannel channel, boolean metaData) throws IOException {
    try {
      channel.force(metaData);
    } catch (IOException e) {
      throw fatal("a force (fsync) failed, so data written before it may be lost", e);
    }
  }

  /**
   * Whether {@code e} says the disk is full or the quota exceeded, and neither it, its causes
   * nor anything suppressed by them is {@linkplain #fatal fatal}: then the operation that threw
   * it can be retried once space is freed.
   */
  public static boolean recoverable(Throwable e) {
    return reason(e) != null && !anyFatal(e, new IdentityHashMap<>());
  }

  private static boolean anyFatal(Throwable e, Map<Throwable, Boolean> seen) {
    if (e == null || seen.put(e, true) != null) {
      return false;
    }
    if (e instanceof Fatal) {
      return true;
    }
    for (Throwable s : e.getSuppressed()) {
      if (anyFatal(s, seen)) {
        return true;
      }
    }
    return anyFatal(e.getCause(), seen);
  }

  /** "No space left on device" or "Disk quota exceeded" if {@code e} or a cause says so, else null. */
  public static String reason(Throwable e) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      // a FileSystemException's message holds its file names too: only its reason counts
      String text = t instanceof FileSystemException fse ? fse.getReason() : t.getMessage();
      if (text != null && text.contains(NO_SPACE)) {
        return NO_SPACE;
      }
      if (text != null && text.contains(QUOTA)) {
        return QUOTA;
      }
    }
    return null;
  }

  /** How many more bytes the failed step needed, if a {@link DiskFullException} in the chain says. */
  public static long neededBytes(Throwable e) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = e; t != null && seen.put(t, true) == null; t = t.getCause()) {
      if (t instanceof DiskFullException d && d.neededBytes() >= 0) {
        return d.neededBytes();
      }
    }
    return -1;
  }

  /**
   * A {@link DiskFullException} for the full disk (or exceeded quota) {@code cause} reports
   * (see {@link #recoverable}): "{@code what}: the disk of store {@code store} is full (reason;
   * bytes needed). {@code then}".
   */
  public static DiskFullException diskFull(String file, Object store, String what, String then, Throwable cause) {
    return diskFull(file, store, what, then, neededBytes(cause), cause);
  }

  /** As {@link #diskFull(String, Object, String, String, Throwable)}, {@code needed} bytes needed (-1: unknown). */
  public static DiskFullException diskFull(
      String file, Object store, String what, String then, long needed, Throwable cause) {
    String reason = reason(cause);
    String message =
        what + (reason.equals(QUOTA) ? ": the disk quota for store " + store + " is exceeded (" : ": the disk of store " + store + " is full (")
            + reason + (needed > 0 ? "; at least " + needed + " more bytes were needed" : "") + ")"
            + (then.isEmpty() ? "" : ". " + then);
    return new DiskFullException(file, reason, message, needed, cause);
  }
}
