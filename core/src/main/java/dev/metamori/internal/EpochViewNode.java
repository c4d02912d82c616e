package dev.metamori.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * One file, directory or link of an {@link EpochView}: its bytes come from a <em>source</em>, a
 * real path of the live trees or of the store's trash, read as the live state has it, under
 * what the replayed records changed: blocks written back (by block index, each covering the
 * block's first bytes), a size, a <em>source limit</em> (bytes of the source at or beyond it read
 * as zeros: a truncation cut them off, an extension does not bring them back), and attributes.
 * Anything neither the source (below its limit) nor a block override covers reads as zeros.
 * A directory without a source is one the replay made (as a restore makes a missing parent):
 * its only entries are those the view puts in it.
 */
final class EpochViewNode {
  /** Stands, in the view's overlay, for a path at which nothing is. */
  static final EpochViewNode ABSENT = new EpochViewNode(null, null);

  final EpochView.Kind kind;
  /** The real path the bytes or entries come from; null for ABSENT and a directory the replay made. */
  final String source;
  long size;
  long limit;
  long modifiedNanos;
  int permissions = -1;
  String linkTarget;
  /** The file key of the source (its inode), or null: names of one file share one node. */
  Object fileKey;
  /** Bytes written back, by block index: each covers the first bytes of its block. */
  private final TreeMap<Long, byte[]> blocks = new TreeMap<>();

  private EpochViewNode(EpochView.Kind kind, String source) {
    this.kind = kind;
    this.source = source;
  }

  boolean absent() {
    return kind == null;
  }

  /** What is at the real path {@code real} now (links not followed), or null if nothing. */
  static EpochViewNode read(FileSystem fs, String real, boolean posix) throws IOException {
    Path path = fs.getPath(real);
    BasicFileAttributes a;
    try {
      a = posix
          ? fs.provider().readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS)
          : fs.provider().readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
    EpochView.Kind kind =
        a.isRegularFile()
            ? EpochView.Kind.FILE
            : a.isDirectory() ? EpochView.Kind.DIRECTORY : a.isSymbolicLink() ? EpochView.Kind.LINK : EpochView.Kind.OTHER;
    EpochViewNode n = new EpochViewNode(kind, real);
    n.size = kind == EpochView.Kind.FILE ? a.size() : 0;
    n.limit = n.size;
    n.modifiedNanos = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    n.fileKey = kind == EpochView.Kind.FILE ? a.fileKey() : null;
    if (a instanceof PosixFileAttributes p) {
      n.permissions = bits(p.permissions());
    }
    if (kind == EpochView.Kind.LINK) {
      n.linkTarget = fs.provider().readSymbolicLink(path).toString();
    }
    return n;
  }

  /** A directory the replay made where a restore would create a missing parent. */
  static EpochViewNode madeDirectory(boolean posix, long nowNanos) {
    EpochViewNode n = new EpochViewNode(EpochView.Kind.DIRECTORY, null);
    n.modifiedNanos = nowNanos;
    n.permissions = posix ? 0755 : -1;
    return n;
  }

  static int bits(Set<PosixFilePermission> permissions) {
    int bits = 0;
    for (PosixFilePermission p : permissions) {
      bits |= 1 << (8 - p.ordinal()); // OWNER_READ (0400) first, OTHERS_EXECUTE (01) last
    }
    return bits;
  }

  EpochView.Node describe() {
    return new EpochView.Node(kind, kind == EpochView.Kind.FILE ? size : 0, modifiedNanos, permissions, linkTarget);
  }

  // ---- contents ----

  /**
   * Writes {@code data} at {@code pos} as a restore's channel write would (growing the file if it
   * ends beyond), keeping the bytes by block. A write of no bytes past the end grows the file to
   * {@code pos}, as a restore's write of an empty block of zeros does.
   */
  void write(FileSystem fs, long pos, byte[] data, int blockSize) throws IOException {
    if (data.length == 0) {
      size = Math.max(size, pos);
      return;
    }
    long end = pos + data.length;
    for (long b = pos / blockSize; (long) b * blockSize < end; b++) {
      long start = b * blockSize;
      int from = (int) (Math.max(pos, start) - start);
      int to = (int) (Math.min(end, start + blockSize) - start);
      byte[] old = blocks.get(b);
      int covered = old == null ? 0 : old.length;
      byte[] now = Arrays.copyOf(old == null ? new byte[0] : old, Math.max(covered, to));
      if (from > covered) {
        // the bytes between what the block covers and the write: as they read now
        readUnder(fs, start + covered, now, covered, from - covered);
      }
      System.arraycopy(data, (int) (start + from - pos), now, from, to - from);
      blocks.put(b, now);
    }
    size = Math.max(size, end);
  }

  /** Cuts or extends the file to {@code newSize}; bytes beyond the old end read as zeros. */
  void resize(long newSize, int blockSize) {
    if (newSize < size) {
      Map<Long, byte[]> beyond = blocks.tailMap(newSize / blockSize, true);
      byte[] last = beyond.get(newSize / blockSize);
      beyond.clear();
      int keep = (int) (newSize % blockSize);
      if (last != null && keep > 0) {
        blocks.put(newSize / blockSize, Arrays.copyOf(last, Math.min(keep, last.length)));
      }
      limit = Math.min(limit, newSize);
    }
    size = newSize;
  }

  /**
   * Reads the file's bytes from {@code position} into {@code dst}; returns the count, or -1 at
   * or past its end.
   */
  int read(FileSystem fs, long position, ByteBuffer dst, int blockSize) throws IOException {
    if (position >= size) {
      return -1;
    }
    int n = (int) Math.min(dst.remaining(), size - position);
    byte[] out = new byte[n];
    readUnder(fs, position, out, 0, n);
    long end = position + n;
    for (Map.Entry<Long, byte[]> e : blocks.subMap(position / blockSize, true, (end - 1) / blockSize, true).entrySet()) {
      long start = e.getKey() * blockSize;
      long from = Math.max(start, position);
      long to = Math.min(start + e.getValue().length, end);
      if (to > from) {
        System.arraycopy(e.getValue(), (int) (from - start), out, (int) (from - position), (int) (to - from));
      }
    }
    dst.put(out);
    return n;
  }

  /**
   * Reads {@code length} bytes from {@code pos} as they are without the block overrides: the
   * source's below the limit, zeros elsewhere.
   */
  private void readUnder(FileSystem fs, long pos, byte[] into, int offset, int length) throws IOException {
    Arrays.fill(into, offset, offset + length, (byte) 0);
    long end = Math.min(pos + length, limit);
    if (source == null || end <= pos) {
      return;
    }
    try (FileChannel c = fs.provider().newFileChannel(fs.getPath(source), Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.wrap(into, offset, (int) (end - pos));
      while (buffer.hasRemaining()) {
        if (c.read(buffer, pos + buffer.position() - offset) < 0) {
          break; // shorter than when read: what is missing reads as zeros
        }
      }
    }
  }
}
