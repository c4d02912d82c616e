package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.collect.Range;
import dev.metamori.internal.journal.AfterImages;
import dev.metamori.internal.journal.IoFaults;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.ParallelForce;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Durable commits without a force of every changed file (design.md, "Deferred flushes"). When
 * an epoch is sealed, the bytes it changed in the files it wrote in place are read back from the
 * page cache into its {@link AfterImages}, which the commit forces (one sequential write)
 * instead of forcing those files. After the commit, a thread of its own forces them and deletes
 * the after-images. A commit waits for the files of the epoch before it before writing its
 * commit record, and a restore and a close wait before they start, so at most the current epoch
 * has after-images.
 *
 * <p>A file is deferred when it is a regular file that existed at the start of the epoch and has
 * no writable mapping; created files, directories and mapped files are forced at commit as
 * before, and so are files once an epoch's after-images would exceed {@link #LIMIT} bytes
 * (writing big changes twice costs more than forcing them where they are).
 */
final class DeferredFlush {
  /** The most bytes of after-images one epoch writes; the files beyond are forced at commit. */
  static final long LIMIT = 64L << 20;
  /** The most bytes one redo record of after-images holds. */
  private static final int RUN = 256 << 10;

  private final FileSystemProvider provider;
  private final boolean posix;
  private final int blockSize;
  private ExecutorService thread;
  /** The epoch whose files are being forced (or failed to be), or null. */
  private Pending pending;
  private Future<?> flushing;

  DeferredFlush(FileSystemProvider provider, boolean posix, int blockSize) {
    this.provider = provider;
    this.posix = posix;
    this.blockSize = blockSize;
  }

  /** The after-images of a sealed epoch and the channels of the files they stand for. */
  static final class Pending {
    private final AfterImages images;
    private final List<FileChannel> channels = new ArrayList<>();
    private boolean sealed;

    private Pending(AfterImages images) {
      this.images = images;
    }
  }

  /**
   * While nothing writes: writes the after-images of those of {@code touched} (files changed in
   * the sealed epoch {@code sealed}) that can be deferred, and removes them from {@code touched}.
   * Returns null if none can.
   */
  Pending capture(Journal journal, Journal.Sealed sealed, List<TrackedFile> touched, PathZones zones) {
    Pending p = null;
    List<TrackedFile> deferred = new ArrayList<>();
    try {
      for (TrackedFile f : touched) {
        if (f.directory || f.created || f.detached || f.saved == null || f.hasMappings()
            || zones.zoneOf(f.path) != PathZones.Zone.TRACKED) {
          continue;
        }
        BasicFileAttributes a = provider.readAttributes(f.path, BasicFileAttributes.class, NOFOLLOW_LINKS);
        if (!a.isRegularFile() || bytes(f, a.size()) > LIMIT - (p == null ? 0 : p.images.size())) {
          continue;
        }
        if (p == null) {
          p = new Pending(journal.afterImages(sealed));
        }
        FileChannel c = provider.newFileChannel(f.path, Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
        p.channels.add(c);
        write(p.images, f, c);
        deferred.add(f);
      }
    } catch (IOException | RuntimeException e) {
      // a file gone, a full disk: the commit forces every file, as without after-images
      if (p != null) {
        abandon(p);
      }
      return null;
    }
    touched.removeAll(deferred);
    return p;
  }

  /** The bytes of {@code f} its after-images hold, at size {@code size}. */
  private long bytes(TrackedFile f, long size) {
    long n = Math.max(0, size - f.startSize);
    for (Range<Long> r : f.saved.asRanges()) {
      n += Math.max(0, Math.min(size, r.upperEndpoint() * blockSize) - r.lowerEndpoint() * blockSize);
    }
    return n;
  }

  /** The changed bytes of {@code f}, its size and attributes, as redo records. */
  private void write(AfterImages images, TrackedFile f, FileChannel c) throws IOException {
    String path = f.path.toString();
    long size = c.size();
    boolean any = false;
    for (Range<Long> r : f.saved.asRanges()) {
      long end = Math.min(size, Math.min(r.upperEndpoint() * blockSize, f.startSize));
      any |= runs(images, path, c, r.lowerEndpoint() * blockSize, end, size);
    }
    any |= runs(images, path, c, f.startSize, size, size);
    if (!any) {
      images.add(new UndoRecord.Redo(0, path, size, size, new byte[0])); // its size alone
    }
    long modified;
    int permissions = -1;
    String owner = null;
    String group = null;
    if (posix) {
      PosixFileAttributes a = provider.readAttributes(f.path, PosixFileAttributes.class, NOFOLLOW_LINKS);
      permissions = PosixModes.toBits(a.permissions());
      owner = a.owner().getName();
      group = a.group().getName();
      modified = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    } else {
      modified =
          provider.readAttributes(f.path, BasicFileAttributes.class, NOFOLLOW_LINKS).lastModifiedTime()
              .to(TimeUnit.NANOSECONDS);
    }
    images.add(new UndoRecord.RedoAttributes(0, path, path, modified, permissions, owner, group));
  }

  /** Writes {@code [from, to)} of the file in records of at most {@link #RUN} bytes; returns whether any. */
  private static boolean runs(AfterImages images, String path, FileChannel c, long from, long to, long size)
      throws IOException {
    boolean any = false;
    for (long at = from; at < to; at += RUN) {
      ByteBuffer data = ByteBuffer.allocate((int) Math.min(RUN, to - at));
      while (data.hasRemaining()) {
        if (c.read(data, at + data.position()) < 0) {
          throw new IOException(path + " ended at " + (at + data.position()) + " while its new bytes were read");
        }
      }
      images.add(new UndoRecord.Redo(0, path, at, size, data.array()));
      any = true;
    }
    return any;
  }

  /** At commit, before the commit record: makes the after-images durable. */
  static void seal(Pending p) throws IOException {
    if (p != null && !p.sealed) {
      p.images.seal();
      p.sealed = true;
    }
  }

  /**
   * Waits until the files of the epoch committed before are forced and its after-images
   * deleted. If that failed, throws the failure, now and at every later call: a failed force
   * leaves unknown what reached the disk, so the checkpointer stops, and the next open applies
   * the after-images, which are still there.
   */
  synchronized void awaitFlushed() throws IOException {
    if (pending == null) {
      return;
    }
    try {
      flushing.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while the files of the last commit were forced");
    } catch (ExecutionException e) {
      throw IoFaults.fatalAfter(
          "the files of epoch " + pending.images.epoch() + " could not be forced after its commit;"
              + " close the checkpointer and open the store again: its after-images bring them back",
          e.getCause());
    }
    pending = null;
    flushing = null;
  }

  /** After the commit of {@code p}'s epoch: forces its files and deletes it, on a thread of its own. */
  synchronized void flushLater(Pending p) throws IOException {
    if (p == null) {
      return;
    }
    awaitFlushed();
    if (thread == null) {
      thread =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "metamori-deferred-flush");
                t.setDaemon(true);
                return t;
              });
    }
    pending = p;
    flushing =
        thread.submit(
            () -> {
              flush(p);
              return null;
            });
  }

  private static void flush(Pending p) throws IOException {
    ParallelForce.forceAll(p.channels, c -> IoFaults.force(c, true));
    p.images.delete();
    for (FileChannel c : p.channels) {
      c.close();
    }
  }

  /** A capture that failed: the after-images go, the files are forced at commit instead. */
  private static void abandon(Pending p) {
    try {
      p.images.abandon();
      for (FileChannel c : p.channels) {
        c.close();
      }
    } catch (IOException ignored) {
      // an uncommitted epoch's after-images are dropped on open
    }
  }

  /**
   * Waits for the last flush and stops the thread. A failed flush is thrown; its after-images
   * stay for the next open.
   */
  synchronized void close() throws IOException {
    try {
      awaitFlushed();
    } finally {
      if (pending != null) {
        for (FileChannel c : pending.channels) {
          c.close();
        }
        pending.images.abandonOpen();
        pending = null;
      }
      if (thread != null) {
        thread.shutdown();
        thread = null;
      }
    }
  }
}
