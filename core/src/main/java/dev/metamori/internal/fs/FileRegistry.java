package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Collection;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The files (inodes) open through the file system or changed in the working epoch, keyed by
 * inode ({@link BasicFileAttributes#fileKey()}, or the path where a file system has none), and
 * the working epoch's generation.
 */
final class FileRegistry {
  private final FileSystemProvider provider;
  private final PathZones zones;
  private final ConcurrentHashMap<Object, TrackedFile> files = new ConcurrentHashMap<>();
  private final AtomicLong fileIds = new AtomicLong();
  private volatile long generation = 1;

  FileRegistry(FileSystemProvider provider, PathZones zones) {
    this.provider = provider;
    this.zones = zones;
  }

  /** The working epoch's generation: per-epoch state of a file is valid only in it. */
  long generation() {
    return generation;
  }

  /** A new id for a file in the working epoch's records. */
  long nextFileId() {
    return fileIds.incrementAndGet();
  }

  /** Starts a new working epoch; files neither open nor mapped are forgotten. */
  void newGeneration() {
    generation++;
    fileIds.set(0);
    files.values().removeIf(f -> f.openCount == 0 && !f.hasMappings());
  }

  Collection<TrackedFile> values() {
    return files.values();
  }

  /** Forgets every file. */
  void clear() {
    files.clear();
  }

  static Object keyOf(BasicFileAttributes a, Path real) {
    Object key = a.fileKey();
    return key != null ? key : real;
  }

  /** Whether the inode of {@code real} (with attributes {@code a}) is known. */
  boolean contains(BasicFileAttributes a, Path real) {
    return files.containsKey(keyOf(a, real));
  }

  /** The inode of {@code real} if the working epoch created it, else null. */
  TrackedFile createdInEpoch(BasicFileAttributes a, Path real) {
    TrackedFile f = files.get(keyOf(a, real));
    return f != null && f.createdIn(generation) ? f : null;
  }

  TrackedFile track(Path real) throws IOException {
    BasicFileAttributes a = provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
    return track(real, a, false);
  }

  /** The file at {@code real}, known from now on; {@code opening} counts a channel on it. */
  TrackedFile track(Path real, BasicFileAttributes a, boolean opening) throws IOException {
    TrackedFile tracked =
        files.compute(
            keyOf(a, real),
            (k, f) -> {
              if (f == null
                  || (f.directory != a.isDirectory() && f.openCount == 0 && !f.hasMappings())) {
                // new, or left from a deleted entry whose inode number was reused
                f = new TrackedFile(k, real, a.isDirectory());
              }
              if (opening) {
                f.openCount++;
              }
              return f;
            });
    if (!tracked.path.equals(real)
        && zones.zoneOf(real) == PathZones.Zone.TRACKED
        && (zones.zoneOf(tracked.path) != PathZones.Zone.TRACKED || !inTreesAt(tracked, tracked.path))) {
      // the name it was known by is gone, or lies in the trash (which a prune may drop): this
      // one, in the trees, reaches it
      tracked.path = real;
    }
    return tracked;
  }

  /**
   * Whether {@code path} still names the inode of {@code f} and lies in a tracked tree or the
   * store's trash (not moved out of the trees, deleted or replaced by another file).
   */
  boolean inTreesAt(TrackedFile f, Path path) throws IOException {
    if (f.key instanceof Path) {
      return true; // no inode identities on this file system: trust the path
    }
    // an I/O error is thrown, never taken for "gone": that would skip journaling
    BasicFileAttributes now = Trees.attributesOrNull(provider, path);
    return now != null && f.key.equals(now.fileKey()) && zones.zoneOf(path) != PathZones.Zone.OUTSIDE;
  }

  /** A channel on {@code file} was closed: forgotten if nothing else keeps it. */
  void released(TrackedFile file) {
    files.computeIfPresent(
        file.key,
        (k, f) -> {
          if (f == file) {
            f.openCount--;
            if (f.openCount == 0 && (f.detached || (!f.touchedIn(generation) && !f.hasMappings()))) {
              return null;
            }
          }
          return f;
        });
  }

  /** {@code f} was created in the working epoch: its undo is its deletion. */
  void markCreated(TrackedFile f) {
    synchronized (f) {
      f.startEpoch(generation, fileIds.incrementAndGet(), 0, true);
    }
  }

  /**
   * {@code f}, created in the working epoch, has left the tracked trees: channels still open
   * on it write to an inode outside the trees, which needs no journaling.
   */
  void detach(TrackedFile f) {
    f.detached = true;
    files.computeIfPresent(f.key, (k, g) -> g == f && g.openCount == 0 ? null : g);
  }

  /** Updates where open or touched files are after {@code from} was renamed to {@code to}. */
  void relocated(Path from, Path to) {
    for (TrackedFile f : files.values()) {
      Path p = f.path;
      if (p.startsWith(from)) {
        f.path = to.resolve(from.relativize(p));
      }
    }
  }
}
