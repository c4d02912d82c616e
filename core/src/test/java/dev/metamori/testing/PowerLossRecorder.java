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
import java.util.Arrays;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Set;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Records, per file (inode), the data changes made through a {@link FaultyFileSystem} since the
 * file was last forced, with the bytes each one overwrote, and the directory operations made
 * since the last force of anything, and builds the disk states a power loss could leave at a
 * given instant.
 *
 * <p>The model is ext4 with its metadata journal (data=ordered). A power loss keeps everything
 * that was forced. Directory operations (create, delete, rename, link, copy, mode and time
 * changes) persist in order, and a force of any file or directory makes every one made before it
 * durable; so a state keeps them all up to the last force anywhere and any prefix of the later
 * ones. Of each file's writes and truncations since its last force (truncation on open
 * included) a state keeps a prefix, independently of other files, within what the journal's
 * order allows: a change of size (a truncation, a write past the end) made after the first lost
 * directory operation is lost with it, and a truncation made before the last kept one is kept
 * (overwrites are free, except that the prefix keeps them in order). The last write kept may be
 * torn: kept only up to a 512-byte sector boundary inside it, the rest of its sectors holding the
 * old bytes (a file it extended then ends at that boundary). Data changes of a file whose
 * creation was lost go with it. Files written by other means than the recorded file system (the
 * MVStore index) are taken as they are on disk at the instant: the index writes only in its own
 * commit, which it syncs; told of such a file, the recorder takes any change of it as a force.
 *
 * <p>A state is built from a copy of the directories taken at the instant, by undoing, file by
 * file, a suffix of the unforced data changes with their saved old bytes, then a suffix of the
 * unforced directory operations, newest first: a file a delete or replacing rename removed comes
 * back from a hard link taken just before (kept in an attic directory beside the recorded ones,
 * which also keeps its inode number from being reused), and the modification times of the
 * directories an operation changed are put back.
 */
public class PowerLossRecorder implements FaultyFileSystem.Recorder {
  /** Which unforced changes a state keeps. */
  public enum Keep {
    /** Everything written reached the disk (as after the death of the process only). */
    ALL,
    /** Only what was forced: data, and directory operations up to the last force. */
    FORCED_ONLY,
    /** A random prefix of each file's unforced data changes; every directory operation. */
    RANDOM_PREFIX,
    /** As {@link #RANDOM_PREFIX}, and the last write kept of a file is torn at a sector boundary where it spans one. */
    TORN,
    /** Every data change; a random prefix of the unforced directory operations. */
    DIRECTORY_PREFIX,
    /** Random prefixes of both, with torn writes. */
    RANDOM,
    /**
     * Every directory operation; of each file's unforced data changes, the pages they touched
     * reach the disk in any order: the size is that of a random prefix (sizes are ordered with
     * the journal), and each touched page holds independently its contents as of the last
     * force the order allows, as of that prefix, or as of the newest change.
     */
    REORDERED
  }

  /** The unit in which {@link Keep#REORDERED} reorders a file's writes: a page of the page cache. */
  public static final int PAGE = 4096;

  /** The size of a sector: a write reaches the disk in whole sectors. */
  public static final int SECTOR = 512;

  /**
   * A write of {@code length} bytes (or a truncation, with length -1) at {@code position}, the
   * {@code seq}th thing recorded.
   */
  private record Change(long position, long length, byte[] oldBytes, long oldSize, long seq) {
    /** A truncation or a write past the end: the size changes, which the journal orders with directory operations. */
    boolean resizes() {
      return length < 0 || position + length > oldSize;
    }
  }

  // in the order files were first changed, so that a seed draws the same state in every run
  private final Map<Object, List<Change>> unforced = new java.util.LinkedHashMap<>();
  private final Set<Object> unlinkedButKept = new HashSet<>();
  private final NamespaceLog names;
  private final Map<Path, String> syncedFiles = new HashMap<>();
  private long unforcedChanges;
  /** Counts what is recorded, data changes and directory operations alike, to order them. */
  private long seq;

  /**
   * A recorder that keeps files removed by unforced directory operations alive under {@code
   * attic}, a directory on the same file system as the recorded ones and outside them.
   */
  public PowerLossRecorder(Path attic) {
    names = new NamespaceLog(attic);
  }

  /**
   * Tells the recorder that {@code file} is written by other means and synced whenever it
   * changes (the MVStore index): a change of it is taken as a force, which makes every
   * directory operation before it durable.
   */
  public synchronized void syncedWhenChanged(Path file) throws IOException {
    syncedFiles.put(file, version(file));
  }

  private static String version(Path file) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return a.fileKey() + " " + a.size() + " " + a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
    } catch (java.nio.file.NoSuchFileException e) {
      return "none";
    }
  }

  /** Checked before anything is recorded or built: a synced file changed since the last event. */
  private void syncs() throws IOException {
    boolean synced = false;
    for (Map.Entry<Path, String> e : syncedFiles.entrySet()) {
      String now = version(e.getKey());
      if (!now.equals(e.getValue())) {
        e.setValue(now);
        synced = true;
      }
    }
    if (synced) {
      metadataDurable();
    }
  }

  @Override
  public synchronized void beforeWrite(Object key, FileChannel channel, long position, long length)
      throws IOException {
    syncs();
    long size = channel.size();
    int n = (int) Math.max(0, Math.min(position + length, size) - position);
    byte[] old = new byte[n];
    ByteBuffer b = ByteBuffer.wrap(old);
    while (b.hasRemaining() && channel.read(b, position + b.position()) > 0) {}
    record(key, new Change(position, length, old, size, seq++));
  }

  @Override
  public synchronized void beforeTruncate(Object key, FileChannel channel, long size) throws IOException {
    syncs();
    long oldSize = channel.size();
    if (size >= oldSize) {
      return;
    }
    byte[] old = new byte[(int) (oldSize - size)];
    ByteBuffer b = ByteBuffer.wrap(old);
    while (b.hasRemaining() && channel.read(b, size + b.position()) > 0) {}
    record(key, new Change(size, -1, old, oldSize, seq++));
  }

  private void record(Object key, Change c) {
    if (key != null) {
      unforced.computeIfAbsent(key, k -> new ArrayList<>()).add(c);
      unforcedChanges++;
    }
  }

  @Override
  public synchronized void forced(Object key, FileChannel channel) throws IOException {
    drop(key);
    metadataDurable();
  }

  private void metadataDurable() throws IOException {
    for (Object gone : names.durable()) {
      if (unlinkedButKept.remove(gone)) {
        drop(gone);
      }
    }
  }

  private void drop(Object key) {
    List<Change> gone = unforced.remove(key);
    if (gone != null) {
      unforcedChanges -= gone.size();
    }
  }

  @Override
  public synchronized void unlinked(Object key) {
    if (names.atticLinks(key) > 0) {
      unlinkedButKept.add(key); // its removal may yet be lost
    } else {
      drop(key);
    }
  }

  @Override
  public synchronized int hiddenLinks(Object key) {
    return names.atticLinks(key);
  }

  @Override
  public synchronized Object beforeNameChange(String kind, Path path, Path other) throws IOException {
    syncs();
    return names.prepare(kind, path, other);
  }

  @Override
  public synchronized void afterNameChange(Object prepared, boolean made) throws IOException {
    if (prepared != null) {
      names.done((NamespaceLog.Op) prepared, made, seq++);
    }
  }

  /** Changes not yet forced, over all files. */
  public synchronized long unforcedChanges() {
    return unforcedChanges;
  }

  /** Directory operations not yet made durable by a force. */
  public synchronized int unforcedDirectoryOperations() throws IOException {
    syncs();
    return names.ops().size();
  }

  /**
   * Writes into {@code into} (which must not exist) the state a power loss now could leave of
   * the directories {@code dirs}: {@code into/0} for {@code dirs[0]}, and so on. Returns what
   * the state lost, in words.
   */
  public synchronized String materialise(Path into, Keep keep, long seed, Path... dirs) throws IOException {
    return materialise(into, keep, seed, -1, dirs);
  }

  /**
   * As {@link #materialise(Path, Keep, long, Path...)}, keeping the first {@code
   * directoryOperations} unforced directory operations whatever {@code keep} says (unless
   * negative).
   */
  public synchronized String materialise(Path into, Keep keep, long seed, int directoryOperations, Path... dirs)
      throws IOException {
    syncs();
    Random random = new Random(seed);
    Files.createDirectories(into);
    Map<Object, List<Path>> copies = new HashMap<>();
    for (int i = 0; i < dirs.length; i++) {
      copyTreeCollecting(dirs[i], into.resolve(Integer.toString(i)), copies);
    }
    List<NamespaceLog.Op> ops = names.ops();
    int keptOps;
    switch (keep) {
      case FORCED_ONLY:
        keptOps = 0;
        break;
      case DIRECTORY_PREFIX:
      case RANDOM:
        keptOps = random.nextInt(ops.size() + 1);
        break;
      default:
        keptOps = ops.size();
    }
    if (directoryOperations >= 0) {
      keptOps = Math.min(directoryOperations, ops.size());
    }
    List<NamespaceLog.Op> lost = new ArrayList<>(ops.subList(keptOps, ops.size()));
    long firstLost = lost.isEmpty() ? Long.MAX_VALUE : lost.get(0).seq();
    long lastKept = keptOps == 0 ? Long.MIN_VALUE : ops.get(keptOps - 1).seq();
    Path staging = into.resolve("attic");
    Map<NamespaceLog.Victim, Path> staged = new HashMap<>();
    for (NamespaceLog.Op op : lost) {
      NamespaceLog.Victim v = op.removed();
      if (v != null && v.attic() != null) {
        Files.createDirectories(staging);
        Path copy = staging.resolve(Integer.toString(staged.size()));
        Files.copy(v.attic(), copy, StandardCopyOption.COPY_ATTRIBUTES);
        Files.setLastModifiedTime(copy, v.mtime());
        staged.put(v, copy);
        copies.computeIfAbsent(v.fileKey(), k -> new ArrayList<>()).add(copy);
      }
    }
    StringBuilder what = new StringBuilder();
    if (!lost.isEmpty()) {
      what.append("lost ").append(lost.size()).append(" directory operation(s) from ").append(lost.get(0)).append("; ");
    }
    for (Map.Entry<Object, List<Change>> e : unforced.entrySet()) {
      List<Path> where = copies.get(e.getKey());
      if (where == null) {
        continue; // no longer in the directories: nothing to lose
      }
      List<Change> changes = e.getValue();
      // the journal orders size changes with directory operations: one made after the first
      // lost operation is lost too, and a truncation made before the last kept one is kept
      int most = changes.size();
      int least = 0;
      for (int i = changes.size() - 1; i >= 0; i--) {
        Change ch = changes.get(i);
        if (ch.resizes() && ch.seq > firstLost) {
          most = i;
        }
        if (least == 0 && ch.length < 0 && ch.seq < lastKept) {
          least = i + 1;
        }
      }
      least = Math.min(least, most);
      int kept;
      switch (keep) {
        case ALL:
        case DIRECTORY_PREFIX:
          kept = most;
          break;
        case FORCED_ONLY:
          kept = least;
          break;
        default:
          kept = least + random.nextInt(most - least + 1);
      }
      if (keep == Keep.REORDERED) {
        int[] from = new int[3];
        for (Path copy : where) {
          from = reorderData(copy, changes, least, kept, most, new Random(seed ^ kept ^ changes.size()));
        }
        if (kept < changes.size() || from[0] + from[2] > 0) {
          what.append(into.relativize(where.get(0))).append(" kept ").append(kept).append('/').append(changes.size())
              .append(" reordered: ").append(from[0]).append(" page(s) older, ").append(from[2]).append(" newer; ");
        }
        continue;
      }
      long tornAt = -1;
      if (kept > 0 && (keep == Keep.TORN || (keep == Keep.RANDOM && random.nextBoolean()))) {
        tornAt = tearPoint(changes.get(kept - 1), random);
      }
      if (kept < changes.size() || tornAt >= 0) {
        what.append(into.relativize(where.get(0))).append(" kept ").append(kept).append('/').append(changes.size());
        what.append(tornAt >= 0 ? " torn at " + tornAt : "").append("; ");
      }
      for (Path copy : where) {
        undoData(copy, changes, kept, tornAt);
      }
    }
    NamespaceLog.undo(lost, p -> inside(p, into, dirs), staged);
    if (Files.exists(staging)) {
      try (java.util.stream.Stream<Path> left = Files.list(staging)) {
        for (Path p : (Iterable<Path>) left::iterator) {
          Files.delete(p);
        }
      }
      Files.delete(staging);
    }
    return what.length() == 0 ? "nothing lost" : what.substring(0, what.length() - 2);
  }

  /** A sector boundary strictly inside a write, or -1 (a truncation, or a write within one sector). */
  private static long tearPoint(Change c, Random random) {
    if (c.length < 0) {
      return -1;
    }
    long first = (c.position / SECTOR + 1) * SECTOR;
    long end = c.position + c.length;
    if (first >= end) {
      return -1;
    }
    long boundaries = (end - 1 - first) / SECTOR + 1;
    return first + SECTOR * (long) random.nextInt((int) Math.min(boundaries, Integer.MAX_VALUE));
  }

  /** Undoes the changes after the first {@code kept}, and the part of the last kept one from {@code tornAt} on. */
  private static void undoData(Path copy, List<Change> changes, int kept, long tornAt) throws IOException {
    FileTime mtime = Files.getLastModifiedTime(copy);
    try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE)) {
      for (int i = changes.size() - 1; i >= kept; i--) {
        Change ch = changes.get(i);
        write(c, ch.oldBytes, 0, ch.position);
        c.truncate(ch.oldSize);
      }
      if (tornAt >= 0) {
        Change ch = changes.get(kept - 1);
        write(c, ch.oldBytes, (int) Math.min(tornAt - ch.position, ch.oldBytes.length), tornAt);
        c.truncate(Math.max(ch.oldSize, tornAt));
      }
    }
    Files.setLastModifiedTime(copy, mtime);
  }

  /**
   * Leaves {@code copy} (which holds every change) at the size of the first {@code kept}
   * changes, each page any change in {@code [least, most)} touched holding its contents after
   * the first {@code least}, {@code kept} or {@code most} changes, drawn independently. Returns
   * how many pages differ from the prefix's: older ones, 0, newer ones.
   */
  private static int[] reorderData(Path copy, List<Change> changes, int least, int kept, int most, Random random)
      throws IOException {
    FileTime mtime = Files.getLastModifiedTime(copy);
    byte[] now = Files.readAllBytes(copy);
    byte[][] versions = {undone(now, changes, least), undone(now, changes, kept), undone(now, changes, most)};
    byte[] out = versions[1].clone();
    java.util.BitSet touched = new java.util.BitSet();
    for (int i = least; i < most; i++) {
      Change ch = changes.get(i);
      long end = ch.length < 0 ? ch.oldSize : ch.position + ch.length;
      if (end > ch.position) {
        touched.set((int) (ch.position / PAGE), (int) ((end - 1) / PAGE) + 1);
      }
    }
    int[] drawn = new int[3];
    for (int page = touched.nextSetBit(0); page >= 0 && (long) page * PAGE < out.length; page = touched.nextSetBit(page + 1)) {
      int v = random.nextInt(3);
      int start = page * PAGE;
      int end = Math.min(Math.min(start + PAGE, out.length), versions[v].length);
      if (end > start && !Arrays.equals(versions[v], start, end, out, start, end)) {
        drawn[v]++; // a page that differs from the prefix's: out of order
        System.arraycopy(versions[v], start, out, start, end - start);
      }
    }
    try (FileChannel c = FileChannel.open(copy, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      write(c, out, 0, 0);
    }
    Files.setLastModifiedTime(copy, mtime);
    return drawn;
  }

  /** {@code now} (every change made) with the changes after the first {@code kept} undone. */
  private static byte[] undone(byte[] now, List<Change> changes, int kept) {
    byte[] b = now;
    for (int i = changes.size() - 1; i >= kept; i--) {
      Change ch = changes.get(i);
      int end = (int) ch.position + ch.oldBytes.length;
      if (b.length < end) {
        b = Arrays.copyOf(b, end);
      } else if (b == now) {
        b = now.clone();
      }
      System.arraycopy(ch.oldBytes, 0, b, (int) ch.position, ch.oldBytes.length);
      b = Arrays.copyOf(b, (int) ch.oldSize);
    }
    return b;
  }

  private static void write(FileChannel c, byte[] bytes, int from, long position) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes, from, bytes.length - from);
    while (b.hasRemaining()) {
      c.write(b, position + b.position() - from);
    }
  }

  /** Where the real path {@code p} is in the state: {@code into/i/...} if below {@code dirs[i]}, else null. */
  private static Path inside(Path p, Path into, Path[] dirs) {
    for (int i = 0; i < dirs.length; i++) {
      if (p.startsWith(dirs[i])) {
        return into.resolve(Integer.toString(i)).resolve(dirs[i].relativize(p).toString());
      }
    }
    return null;
  }

  /**
   * Copies a tree with modes and modification times (of directories too), remembering which
   * copy holds which file (by the original's file key).
   */
  public static void copyTree(Path from, Path to, Map<Object, Path> copies) throws IOException {
    Map<Object, List<Path>> all = copies == null ? null : new HashMap<>();
    copyTreeCollecting(from, to, all);
    if (copies != null) {
      all.forEach((k, v) -> copies.putIfAbsent(k, v.get(0)));
    }
  }

  private static void copyTreeCollecting(Path from, Path to, Map<Object, List<Path>> copies) throws IOException {
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
              copies.computeIfAbsent(attrs.fileKey(), k -> new ArrayList<>()).add(target);
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
