package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord.Block;
import dev.metamori.internal.journal.UndoRecord.Kind;
import dev.metamori.internal.journal.UndoRecord.Touch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Writes what a change is about to overwrite to the journal, before the change: a file's size
 * and attributes on its first change in the working epoch ({@link Touch}), and each block of
 * its old bytes on the first change of that block ({@link Block}).
 *
 * <p>Callers hold the epoch lock, shared or exclusive.
 */
final class BeforeImages {
  private final FileSystemProvider provider;
  private final Journal journal;
  private final PathZones zones;
  private final FileRegistry files;
  private final boolean posix;
  private final int blockSize;

  BeforeImages(
      FileSystemProvider provider, Journal journal, PathZones zones, FileRegistry files, boolean posix) {
    this.provider = provider;
    this.journal = journal;
    this.zones = zones;
    this.files = files;
    this.posix = posix;
    this.blockSize = journal.blockSize();
  }

  /** Saves size and attributes on the first change of {@code f} in the working epoch. */
  void touch(TrackedFile f) throws IOException {
    journal.checkChanges(); // every change starts here: none while stopped or partly restored
    long generation = files.generation();
    if (f.generation == generation || f.detached) {
      return; // a detached file has left the trees: nothing of it is journaled
    }
    synchronized (f) {
      if (f.generation == generation) {
        return;
      }
      Path path = f.path;
      if (!files.inTreesAt(f, path)) {
        // deleted, replaced or moved out while open: its writes reach no tree, nothing to save
        f.startEpoch(generation, files.nextFileId(), 0, true);
        return;
      }
      BasicFileAttributes a;
      int permissions = -1;
      String owner = null;
      String group = null;
      if (posix) {
        PosixFileAttributes p = provider.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
        permissions = PosixModes.toBits(p.permissions());
        owner = p.owner().getName();
        group = p.group().getName();
        a = p;
      } else {
        a = provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      }
      Kind kind = a.isRegularFile() ? Kind.FILE : a.isDirectory() ? Kind.DIRECTORY : Kind.OTHER;
      long fileId = files.nextFileId();
      long size = kind == Kind.FILE ? a.size() : 0;
      journal.append(
          new Touch(
              fileId,
              path.toString(),
              kind,
              size,
              a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
              permissions,
              owner,
              group));
      f.startEpoch(generation, fileId, size, false);
    }
  }

  /** Touches the directory {@code real} is in, if that is tracked and exists. */
  void touchParent(Path real) throws IOException {
    Path parent = real.getParent();
    if (parent == null || zones.zoneOf(parent) != PathZones.Zone.TRACKED) {
      return;
    }
    try {
      touch(files.track(parent));
    } catch (NoSuchFileException e) {
      // the operation itself will report the missing parent
    }
  }

  /**
   * Saves the blocks of {@code [pos, pos + len)} that the working epoch has not saved yet.
   *
   * @param data the underlying channel open on {@code f}, or null
   * @param dataReadable whether old bytes can be read through {@code data}; if not, they are
   *     read through a channel of their own
   */
  void beforeWrite(TrackedFile f, FileChannel data, boolean dataReadable, long pos, long len)
      throws IOException {
    touch(f);
    if (f.detached || f.created || pos >= f.startSize || len <= 0) {
      return;
    }
    synchronized (f) {
      long end = Math.min(pos + len, f.startSize);
      for (long b = pos / blockSize; b * blockSize < end; b++) {
        if (!f.isSaved(b)) {
          saveBlock(f, dataReadable ? data : null, b);
        }
      }
    }
  }

  /**
   * Saves the blocks a truncation to {@code newSize} would cut off.
   *
   * @param data the underlying channel open on {@code f}, the one about to be truncated
   * @param dataReadable as for {@link #beforeWrite}
   */
  void beforeTruncate(TrackedFile f, FileChannel data, boolean dataReadable, long newSize)
      throws IOException {
    touch(f);
    if (f.detached || f.created || newSize >= f.startSize) {
      return;
    }
    synchronized (f) {
      long end = Math.min(data.size(), f.startSize);
      for (long b = newSize / blockSize; b * blockSize < end; b++) {
        if (!f.isSaved(b)) {
          saveBlock(f, dataReadable ? data : null, b);
        }
      }
    }
  }

  /**
   * Appends the old bytes of one block, read through {@code reader} (or a channel of its own)
   * straight into the record's frame.
   */
  private void saveBlock(TrackedFile f, FileChannel reader, long block) throws IOException {
    long offset = block * blockSize;
    int length = (int) Math.min(blockSize, f.startSize - offset);
    Block header = new Block(f.fileId, f.path.toString(), block, null);
    journal.appendBlock(header, length, into -> {
      if (reader != null) {
        readFully(reader, into, offset, f);
      } else {
        try (FileChannel own = provider.newFileChannel(f.path, Set.of(StandardOpenOption.READ))) {
          readFully(own, into, offset, f);
        }
      }
    });
    f.markSaved(block);
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long offset, TrackedFile f)
      throws IOException {
    long pos = offset;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new FileSystemException(
            f.path.toString(),
            null,
            "cannot journal a write: the file is shorter than at the start of the epoch;"
                + " it was changed outside the checkpointer's file system");
      }
      pos += n;
    }
  }
}
