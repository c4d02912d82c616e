package dev.metamori.internal;

import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The tracked trees at a committed epoch. For now only the current epoch without uncommitted
 * changes, read from the live trees; other epochs are refused.
 */
final class EpochView {
  private final FileSystem fs;

  private EpochView(FileSystem fs) {
    this.fs = fs;
  }

  static EpochView at(Journal journal, FileSystem delegate, long epoch) throws IOException {
    boolean[] working = {false};
    journal.forEachWorkingRecord((r, frame, payload) -> working[0] = true);
    if (epoch != journal.currentEpoch() || working[0]) {
      throw new UnsupportedOperationException(
          "only the current epoch, without uncommitted changes, can be exported yet");
    }
    return new EpochView(delegate);
  }

  Node stat(String path) throws IOException {
    Path p = fs.getPath(path);
    try {
      PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      int perms = 0;
      for (PosixFilePermission x : a.permissions()) {
        perms |= 1 << (8 - x.ordinal());
      }
      long nanos = a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
      if (a.isSymbolicLink()) {
        return new Node(UndoRecord.Kind.OTHER, 0, nanos, -1, Files.readSymbolicLink(p).toString());
      }
      return new Node(a.isDirectory() ? UndoRecord.Kind.DIRECTORY : UndoRecord.Kind.FILE, a.size(), nanos, perms, null);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  List<String> list(String dir) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.list(fs.getPath(dir))) {
      s.forEach(p -> out.add(p.getFileName().toString()));
    }
    out.sort(null);
    return out;
  }

  int read(String path, long position, ByteBuffer dst) throws IOException {
    try (FileChannel c = FileChannel.open(fs.getPath(path), StandardOpenOption.READ)) {
      return c.read(dst, position);
    }
  }

  record Node(UndoRecord.Kind kind, long size, long modifiedNanos, int permissions, String linkTarget) {}
}
