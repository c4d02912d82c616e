package dev.metamori.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Records, per file (inode), the data changes made through a {@link FaultyFileSystem} since the
 * file was last forced, with the bytes each one overwrote, and builds the disk states a power
 * loss could leave at a given instant.
 *
 * <p>The model: a power loss keeps everything that was forced and, for each file independently,
 * any prefix (in order) of its writes and truncations since its last force. Directory operations
 * (create, delete, rename, link) are kept as made, in order up to the instant (a journaling file
 * system persists its metadata operations in order; not modelled: losing unforced directory
 * operations). Files written by other means than the recorded file system (the MVStore index)
 * are taken as they are on disk at the instant: the index writes only in its own commit, which
 * it syncs. Writes are not torn below their own size.
 *
 * <p>A state is built from a copy of the directories taken at the instant, by undoing, file by
 * file, a suffix of the unforced changes with their saved old bytes.
 */
public class PowerLossRecorder implements FaultyFileSystem.Recorder {
  /** Which unforced changes a state keeps. */
  public enum Keep {
    /** Everything written reached the disk (as after the death of the process only). */
    ALL,
    /** Only what was forced. */
    FORCED_ONLY,
    /** A random prefix of each file's unforced changes. */
    RANDOM_PREFIX
  }

  private record Change(long position, byte[] oldBytes, long oldSize) {}

  private final Map<Object, List<Change>> unforced = new HashMap<>();
  private long unforcedChanges;

  @Override
  public synchronized void beforeWrite(Object key, FileChannel channel, long position, long length)
      throws IOException {
    long size = channel.size();
    int n = (int) Math.max(0, Math.min(position + length, size) - position);
    byte[] old = new byte[n];
    ByteBuffer b = ByteBuffer.wrap(old);
    while (b.hasRemaining() && channel.read(b, position + b.position()) > 0) {}
    record(key, new Change(position, old, size));
  }

  @Override
  public synchronized void beforeTruncate(Object key, FileChannel channel, long size) throws IOException {
    long oldSize = channel.size();
    if (size >= oldSize) {
      return;
    }
    byte[] old = new byte[(int) (oldSize - size)];
    ByteBuffer b = ByteBuffer.wrap(old);
    while (b.hasRemaining() && channel.read(b, size + b.position()) > 0) {}
    record(key, new Change(size, old, oldSize));
  }

  private void record(Object key, Change c) {
    if (key != null) {
      unforced.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
      unforcedChanges++;
    }
  }

  @Override
  public synchronized void forced(Object key, FileChannel channel) {
    List<Change> gone = unforced.remove(key);
    if (gone != null) {
      unforcedChanges -= gone.size();
    }
  }

  @Override
  public synchronized void unlinked(Object key) {
    forced(key, null);
  }

  /** Changes not yet forced, over all files. */
  public synchronized long unforcedChanges() {
    return unforcedChanges;
  }

  /**
   * Writes into {@code into} (which must not exist) the state a power loss now could leave of
   * the directories {@code dirs}: {@code into/0} for {@code dirs[0]}, and so on.
   */
  public synchronized void materialise(Path into, Keep keep, long seed, Path... dirs) throws IOException {
    Random random = new Random(seed);
    Files.createDirectories(into);
    Map<Object, Path> copies = new HashMap<>();
    for (int i = 0; i < dirs.length; i++) {
      Path copy = into.resolve(Integer.toString(i));
      copyTree(dirs[i], copy, copies);
    }
    for (Map.Entry<Object, List<Change>> e : unforced.entrySet()) {
      Path copy = copies.get(e.getKey());
      if (copy == null) {
        continue; // no longer in the directories: nothing to lose
      }
      List<Change> changes = e.getValue();
      int kept;
      switch (keep) {
        case ALL:
          kept = changes.size();
          break;
        case FORCED_ONLY:
          kept = 0;
          break;
        default:
          kept = random.nextInt(changes.size() + 1);
      }
      java.nio.file.attribute.FileTime mtime = Files.getLastModifiedTime(copy);
      try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE)) {
        for (int i = changes.size() - 1; i >= kept; i--) {
          Change ch = changes.get(i);
          ByteBuffer b = ByteBuffer.wrap(ch.oldBytes);
          while (b.hasRemaining()) {
            c.write(b, ch.position + b.position());
          }
          c.truncate(ch.oldSize);
        }
      }
      Files.setLastModifiedTime(copy, mtime);
    }
  }

  /**
   * Copies a tree with modes and modification times (of directories too), remembering which
   * copy holds which file (by the original's file key).
   */
  public static void copyTree(Path from, Path to, Map<Object, Path> copies) throws IOException {
    Files.walkFileTree(
        from,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            Files.createDirectory(to.resolve(from.relativize(dir).toString()));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            Path target = to.resolve(from.relativize(file).toString());
            Files.copy(file, target, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isRegularFile()) {
              Files.setLastModifiedTime(target, attrs.lastModifiedTime()); // the copy keeps only microseconds
            }
            if (copies != null && attrs.isRegularFile() && attrs.fileKey() != null) {
              copies.putIfAbsent(attrs.fileKey(), target);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Path target = to.resolve(from.relativize(dir).toString());
            PosixFileAttributes a =
                Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            Files.getFileAttributeView(target, PosixFileAttributeView.class).setPermissions(a.permissions());
            Files.setLastModifiedTime(target, a.lastModifiedTime());
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
