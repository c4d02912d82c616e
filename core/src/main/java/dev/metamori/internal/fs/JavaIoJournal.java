package dev.metamori.internal.fs;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Set;
import java.util.concurrent.locks.Lock;

/**
 * Journals writes made through file descriptors that the journaling file system did not open
 * ({@code java.io} streams and random-access files, whose calls the agent intercepts): before
 * each write or truncation, what it will overwrite is saved as a write through a
 * {@link MetamoriFileChannel} would save it, and the epoch lock is held until the caller has
 * written, so the write belongs wholly to one epoch.
 *
 * <p>Paths given here are paths of the underlying file system. Creations and truncations at open
 * go through the journaling file system itself ({@link #open}).
 */
public final class JavaIoJournal {
  private final MetamoriFileSystem fs;
  private final FileSystemProvider provider;
  private final Tracker tracker;

  private JavaIoJournal(MetamoriFileSystem fs, Tracker tracker) {
    this.fs = fs;
    this.provider = fs.delegateProvider();
    this.tracker = tracker;
  }

  /** The journal behind {@code checkpointer}'s file system. */
  public static JavaIoJournal of(Checkpointer checkpointer) {
    FileSystem fs = checkpointer.fileSystem();
    if (!(fs instanceof MetamoriFileSystem)) {
      throw new IllegalArgumentException(fs + " is not a Metamori file system");
    }
    MetamoriFileSystem mfs = (MetamoriFileSystem) fs;
    return new JavaIoJournal(mfs, mfs.tracker());
  }

  /** The journaling file system's path with the same string as {@code path}. */
  public Path journaled(Path path) {
    return fs.getPath(path.toString());
  }

  /**
   * Where {@code path} really is if that is under a tracked root (links followed), else null: a
   * path inside the store or elsewhere is none of the journal's business here (the store's own
   * I/O passes through). Null too once the file system is closed.
   */
  public Path trackedReal(Path path) throws IOException {
    if (!fs.isOpen()) {
      return null;
    }
    PathZones.Located loc = tracker.zones().locate(path, true);
    return loc.tracked() ? loc.real() : null;
  }

  /** Whether {@code path} lies under a tracked root (links followed). */
  public boolean isTracked(Path path) {
    return fs.isOpen() && tracker.zones().isTracked(path);
  }

  /**
   * Whether the entry named {@code path} lies under a tracked root (links in its parents
   * followed, a link at the end not): where a delete, rename or creation of it acts.
   */
  public boolean isTrackedEntry(Path path) {
    if (!fs.isOpen()) {
      return false;
    }
    try {
      return tracker.zones().locate(path, false).tracked();
    } catch (IOException e) {
      return isTracked(path); // as the journaling file system itself classifies it
    }
  }

  /**
   * Does through the journal what an open with {@code options} does to the file before any
   * byte is written: creates it (journaled as created) or truncates it (its bytes saved first).
   */
  public void open(Path path, Set<? extends OpenOption> options) throws IOException {
    fs.provider().newFileChannel(journaled(path), options).close(); // opening did the work
  }

  /**
   * Saves what a write of {@code length} bytes at {@code position} of the regular file at
   * {@code real} (a {@linkplain #trackedReal real tracked path}) will overwrite; a negative
   * position means at its end (append). Returns the epoch lock, held: unlock it once written.
   */
  public Lock beforeWrite(Path real, long position, long length) throws IOException {
    return underSharedLock(real, (f, a) -> {
      long pos = position < 0 ? a.size() : position;
      tracker.beforeImages().beforeWrite(f, null, false, pos, length);
    });
  }

  /**
   * Saves what setting the length of the regular file at {@code real} to {@code newLength}
   * will cut off (or, when it grows, its size). Returns the epoch lock, held: unlock it once done.
   */
  public Lock beforeSetLength(Path real, long newLength) throws IOException {
    return underSharedLock(real, (f, a) -> {
      try (FileChannel data = provider.newFileChannel(real, Set.of(StandardOpenOption.READ))) {
        tracker.beforeImages().beforeTruncate(f, data, true, newLength);
      }
    });
  }

  /** What is saved before a change of a regular file. */
  private interface Saving {
    void save(TrackedFile f, BasicFileAttributes a) throws IOException;
  }

  /**
   * Takes the epoch lock shared and, if {@code real} is a regular file, runs {@code saving} on it;
   * returns the lock, held (released here only if saving fails).
   */
  private Lock underSharedLock(Path real, Saving saving) throws IOException {
    Lock lock = tracker.gate().shared();
    try {
      tracker.gate().checkOpen();
      BasicFileAttributes a = Trees.attributesOrNull(provider, real);
      if (a != null && a.isRegularFile()) {
        saving.save(tracker.files().track(real, a, false), a);
      }
      return lock;
    } catch (IOException | RuntimeException | Error e) {
      lock.unlock();
      throw e;
    }
  }

}
