package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.CheckpointException;
import dev.metamori.internal.journal.UndoRecord;
import dev.metamori.internal.journal.UndoRecord.Block;
import dev.metamori.internal.journal.UndoRecord.Created;
import dev.metamori.internal.journal.UndoRecord.Kind;
import dev.metamori.internal.journal.UndoRecord.Moved;
import dev.metamori.internal.journal.UndoRecord.Touch;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reads from the file system what the undo of a record of a committed epoch will destroy, as
 * redo records: the bytes a block or a truncation overwrites, the attributes of the files and
 * directories it touches, the directories it creates. Changes nothing.
 */
final class RedoReader {
  private final java.nio.file.FileSystem fileSystem;
  private final FileSystemProvider provider;
  private final boolean posix;
  private final int blockSize;
  private final Path trash;
  /** Files read by the captures since the last {@link #closeChannels}, by path. */
  private final java.util.Map<Path, FileChannel> open = new java.util.HashMap<>();
  /** Stats of the files whose blocks were captured since the last change ({@link #forget}). */
  private final java.util.Map<Path, BasicFileAttributes> stats = new java.util.HashMap<>();
  private final FileOwners owners;

  RedoReader(java.nio.file.FileSystem fileSystem, boolean posix, int blockSize, Path trash, FileOwners owners) {
    this.owners = owners;
    this.fileSystem = fileSystem;
    this.provider = fileSystem.provider();
    this.posix = posix;
    this.blockSize = blockSize;
    this.trash = trash;
  }

  /**
   * Reads, before {@code record} (step {@code step} of its epoch) is undone, what its undo will
   * destroy and what redoing it must put back, as redo records handed to {@code sink}.
   */
  void capture(
      UndoRecord record, long step, Set<String> seen, java.util.function.Consumer<UndoRecord> sink)
      throws IOException {
    if (record instanceof Block b) {
      Path path = fileSystem.getPath(b.path());
      BasicFileAttributes a = stats.get(path);
      if (a == null) {
        a = attributes(path);
        if (a != null) {
          stats.put(path, a); // nothing changes until the next undo step: a file's blocks share one stat
        }
      }
      if (a == null || !a.isRegularFile()) {
        return;
      }
      captureAttributes(path, a, step, seen, sink);
      long pos = b.block() * blockSize;
      int length = (int) Math.max(0, Math.min(b.data().length, a.size() - pos));
      sink.accept(new UndoRecord.Redo(step, b.path(), pos, a.size(), readBlock(path, pos, length, a.size())));
    } else if (record instanceof Touch t) {
      Path path = fileSystem.getPath(t.path());
      BasicFileAttributes a = attributes(path);
      if (a == null || t.kind() == Kind.OTHER || (t.kind() == Kind.FILE) != a.isRegularFile()) {
        return;
      }
      captureAttributes(path, a, step, seen, sink);
      if (t.kind() == Kind.FILE) {
        long size = a.size();
        if (size <= t.size()) {
          sink.accept(new UndoRecord.Redo(step, t.path(), size, size, new byte[0]));
        }
        for (long pos = t.size(); pos < size; pos += REDO_PIECE) {
          int length = (int) Math.min(REDO_PIECE, size - pos);
          sink.accept(new UndoRecord.Redo(step, t.path(), pos, size, read(path, pos, length)));
        }
      }
    } else if (record instanceof Created c) {
      Path path = fileSystem.getPath(c.path());
      if (!exists(path)) {
        sink.accept(new UndoRecord.RedoSkip(step)); // the undo finds nothing to remove
        return;
      }
      captureAttributes(path.getParent(), step, seen, sink);
    } else if (record instanceof Trashed t) {
      Path path = fileSystem.getPath(t.path());
      if (!exists(trash.resolve(t.trashName()))) {
        sink.accept(new UndoRecord.RedoSkip(step)); // the undo finds nothing to bring back
        return;
      }
      captureAttributes(path.getParent(), step, seen, sink);
      missingAncestors(path, step, seen, sink);
    } else if (record instanceof Moved m) {
      Path from = fileSystem.getPath(m.from());
      Path to = fileSystem.getPath(m.to());
      if (exists(from) || !exists(to)) {
        sink.accept(new UndoRecord.RedoSkip(step)); // the undo finds nothing to rename back
        return;
      }
      captureAttributes(from.getParent(), step, seen, sink);
      captureAttributes(to.getParent(), step, seen, sink);
      missingAncestors(from, step, seen, sink);
    }
  }

  /** Bytes of one redo record of a cut-off tail: large tails are kept in pieces. */
  private static final int REDO_PIECE = 1 << 20;

  private void captureAttributes(
      Path path, long step, Set<String> seen, java.util.function.Consumer<UndoRecord> sink)
      throws IOException {
    captureAttributes(path, path == null ? null : attributes(path), step, seen, sink);
  }

  /** As above, with the attributes of {@code path} just read. */
  private void captureAttributes(
      Path path, BasicFileAttributes a, long step, Set<String> seen,
      java.util.function.Consumer<UndoRecord> sink)
      throws IOException {
    if (a == null || !(a.isRegularFile() || a.isDirectory())) {
      return;
    }
    String key = a.fileKey() != null ? a.fileKey().toString() : path.toString();
    if (!seen.add(key)) {
      return;
    }
    int mode = -1;
    String owner = null;
    String group = null;
    if (posix) {
      FileOwners.Owner p = owners.read(path);
      mode = p.permissions();
      owner = p.owner();
      group = p.group();
    }
    sink.accept(
        new UndoRecord.RedoAttributes(
            step, key, path.toString(), a.lastModifiedTime().to(TimeUnit.NANOSECONDS), mode, owner, group));
  }

  /**
   * The directories an undo will create for {@code path} (see ensureParent), deepest first, and
   * the attributes of the directory it will create them in: making them changes its time, and
   * the redo of the step, which removes them again, must set it back after the removal (a
   * capture at an earlier step would read the time of the undo).
   */
  private void missingAncestors(
      Path path, long step, Set<String> seen, java.util.function.Consumer<UndoRecord> sink)
      throws IOException {
    Path dir = path.getParent();
    for (; dir != null && !exists(dir); dir = dir.getParent()) {
      sink.accept(new UndoRecord.RedoRemoveDirectory(step, dir.toString()));
    }
    if (dir != null && !dir.equals(path.getParent())) {
      captureAttributes(dir, step, seen, sink);
    }
  }

  /**
   * Bytes read ahead by {@link #readBlock}: {@code run.length} bytes of {@code runPath} at {@code
   * runPos}, read while nothing in the trees changed since ({@link #forget} drops them).
   */
  private byte[] run;
  private Path runPath;
  private long runPos;
  /** The block read last (its file and position), to see a run of adjacent blocks coming. */
  private Path lastPath;
  private long lastPos = -1;
  /** Bytes the next read ahead of a run fetches: twice as many as the one before, up to {@link #RUN_BYTES}. */
  private int ahead;

  /** The most bytes one read ahead fetches. */
  private static final int RUN_BYTES = 256 << 10;

  /**
   * The {@code length} bytes at {@code pos} of {@code path}, a file of {@code size} bytes, for
   * the redo of a block. A block next to the one read before it (an epoch's undo walks a
   * sequential write backwards, a block at a time) starts a run: the blocks ahead of it in the
   * same direction are read with it, twice as many each time the run goes on (up to {@link
   * #RUN_BYTES} a read), and the blocks that follow are taken from them: a long run costs a
   * system call every 64 blocks instead of one a block, and two blocks that merely happen to be
   * neighbours cost one read of both.
   */
  private byte[] readBlock(Path path, long pos, int length, long size) throws IOException {
    if (run != null && path.equals(runPath) && pos >= runPos && pos + length <= runPos + run.length) {
      remember(path, pos);
      int at = (int) (pos - runPos);
      return java.util.Arrays.copyOfRange(run, at, at + length);
    }
    boolean down = path.equals(lastPath) && pos + length == lastPos;
    boolean up = path.equals(lastPath) && lastPos >= 0 && pos == lastPos + length;
    remember(path, pos);
    if (length <= 0 || length >= RUN_BYTES || !(down || up) || pos + length > size) {
      ahead = 0;
      return read(path, pos, length);
    }
    ahead = (int) Math.min(RUN_BYTES, Math.max(2L * length, 2L * ahead));
    long from = down ? Math.max(0, pos + length - ahead) : pos;
    long to = down ? pos + length : Math.min(size, pos + ahead);
    byte[] read = readUpTo(path, from, (int) (to - from));
    if (read.length < to - from) {
      run = null;
      return read(path, pos, length); // shorter than it was a moment ago: read alone, as a block is
    }
    run = read;
    runPath = path;
    runPos = from;
    int at = (int) (pos - from);
    return java.util.Arrays.copyOfRange(run, at, at + length);
  }

  private void remember(Path path, long pos) {
    lastPath = path;
    lastPos = pos;
  }

  /** Up to {@code length} bytes at {@code pos}: fewer only where the file ends before. */
  private byte[] readUpTo(Path path, long pos, int length) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(length);
    FileChannel channel = channel(path);
    while (buffer.hasRemaining() && channel.read(buffer, pos + buffer.position()) >= 0) {}
    return buffer.hasRemaining() ? java.util.Arrays.copyOf(buffer.array(), buffer.position()) : buffer.array();
  }

  private FileChannel channel(Path path) throws IOException {
    FileChannel channel = open.get(path);
    if (channel == null) {
      channel = provider.newFileChannel(path, Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
      open.put(path, channel);
    }
    return channel;
  }

  private byte[] read(Path path, long pos, int length) throws IOException {
    byte[] bytes = readUpTo(path, pos, length);
    if (bytes.length < length) {
      throw new CheckpointException("cannot save " + path + " for redo: it is shorter than it was a moment ago");
    }
    return bytes;
  }

  /** Something in the trees was changed: the stats read so far may be stale. */
  void forget() {
    stats.clear();
    run = null;
    lastPath = null;
    ahead = 0;
  }

  /**
   * Closes the files kept open for reading. Called before anything renames or deletes an entry
   * (a path may then name another file) and when a restore step ends.
   */
  void closeChannels() throws IOException {
    IOException failed = null;
    for (FileChannel c : open.values()) {
      try {
        c.close();
      } catch (IOException e) {
        failed = failed == null ? e : failed;
      }
    }
    open.clear();
    run = null;
    lastPath = null;
    if (failed != null) {
      throw failed;
    }
  }

  private BasicFileAttributes attributes(Path path) throws IOException {
    try {
      return provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private boolean exists(Path path) throws IOException {
    return attributes(path) != null;
  }
}
