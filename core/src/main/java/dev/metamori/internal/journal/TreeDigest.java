package dev.metamori.internal.journal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.UndoRecord.TrashDigest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The checksum of a file, symbolic link or directory tree as the trash holds it: XXH64 (seed
 * {@link RecordCodec#CHECKSUM_SEED}) of its canonical form, defined recursively (integers
 * big-endian, strings as an {@code int} length and UTF-8 bytes):
 *
 * <pre>
 *   regular file   byte 1, long size, the file's bytes
 *   directory      byte 2, int n, then for each entry in the order of the UTF-8 bytes of its
 *                  name (unsigned): string name, the entry's form
 *   symbolic link  byte 3, string target
 *   other          byte 4
 * </pre>
 *
 * Names, kinds, link targets and contents are covered; modes, owners and times are not (a
 * restore renames the entry back with whatever it has). One instance hashes one entry at a time.
 */
final class TreeDigest {
  private static final XXHashFactory FACTORY = XXHashFactory.fastestInstance();
  private static final int BUFFER = 1 << 20;

  private final StreamingXXHash64 hash = FACTORY.newStreamingHash64(RecordCodec.CHECKSUM_SEED);
  private final byte[] buffer = new byte[BUFFER];
  private final ByteBuffer scalar = ByteBuffer.allocate(9);
  private long bytes;
  private long entries;

  /** A file with other hard links: it may change through them, so it is not checksummed. */
  private static final class Linked extends Exception {
    private static final long serialVersionUID = 1L;

    Linked() {
      super(null, null, false, false);
    }
  }

  /** What one walk found. */
  record Result(byte state, long bytes, long entries, long digest) {
    /** Whether this matches a checked record. */
    boolean matches(TrashDigest d) {
      return state == TrashDigest.CHECKED
          && bytes == d.bytes()
          && entries == d.entries()
          && digest == d.digest();
    }
  }

  /**
   * Checksums the entry at {@code entry}.
   *
   * @param recording whether the checksum is being recorded: a file with other hard links, or a
   *     part that cannot be read, then gives a result without a checksum ({@link
   *     TrashDigest#LINKED}, {@link TrashDigest#UNREADABLE}); when checking, links are ignored
   *     and an unreadable part is thrown
   * @param force whether to force each file's data to storage after reading it (the checksum
   *     must describe what survives a power loss)
   * @return the result; {@link TrashDigest#ABSENT} if nothing is at {@code entry}
   */
  Result of(Path entry, boolean recording, boolean force) throws IOException {
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(entry, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return new Result(TrashDigest.ABSENT, 0, 0, 0);
    }
    hash.reset();
    bytes = 0;
    entries = 0;
    boolean links = recording && entry.getFileSystem().supportedFileAttributeViews().contains("unix");
    try {
      visit(entry, a, links, force);
    } catch (Linked e) {
      return new Result(TrashDigest.LINKED, 0, 0, 0);
    } catch (AccessDeniedException e) {
      if (!recording) {
        throw e;
      }
      return new Result(TrashDigest.UNREADABLE, 0, 0, 0);
    }
    return new Result(TrashDigest.CHECKED, bytes, entries, hash.getValue());
  }

  private void visit(Path p, BasicFileAttributes a, boolean links, boolean force) throws IOException, Linked {
    entries++;
    if (a.isRegularFile()) {
      if (links && linked(p)) {
        throw new Linked();
      }
      scalar.clear();
      scalar.put((byte) 1).putLong(a.size());
      hash.update(scalar.array(), 0, 9);
      bytes += a.size();
      contents(p, a.size(), force);
    } else if (a.isDirectory()) {
      List<Named> children = new ArrayList<>();
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(p)) {
        for (Path child : stream) {
          children.add(new Named(child.getFileName().toString().getBytes(StandardCharsets.UTF_8), child));
        }
      }
      children.sort((x, y) -> Arrays.compareUnsigned(x.name, y.name));
      scalar.clear();
      scalar.put((byte) 2).putInt(children.size());
      hash.update(scalar.array(), 0, 5);
      for (Named child : children) {
        string(child.name);
        visit(child.path, Files.readAttributes(child.path, BasicFileAttributes.class, NOFOLLOW_LINKS), links, force);
      }
    } else if (a.isSymbolicLink()) {
      hash.update(new byte[] {3}, 0, 1);
      string(Files.readSymbolicLink(p).toString().getBytes(StandardCharsets.UTF_8));
    } else {
      hash.update(new byte[] {4}, 0, 1);
    }
  }

  private record Named(byte[] name, Path path) {}

  private void string(byte[] s) {
    scalar.clear();
    scalar.putInt(s.length);
    hash.update(scalar.array(), 0, 4);
    hash.update(s, 0, s.length);
  }

  /** Hashes the first {@code size} bytes of the file (fewer if it is shorter). */
  private void contents(Path file, long size, boolean force) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, NOFOLLOW_LINKS)) {
      ByteBuffer b = ByteBuffer.wrap(buffer);
      long pos = 0;
      while (pos < size) {
        b.clear().limit((int) Math.min(buffer.length, size - pos));
        int n = c.read(b, pos);
        if (n < 0) {
          break;
        }
        hash.update(buffer, 0, n);
        pos += n;
      }
      if (force) {
        c.force(false);
      }
    }
  }

  private static boolean linked(Path file) throws IOException {
    Object n = Files.getAttribute(file, "unix:nlink", NOFOLLOW_LINKS);
    return n instanceof Integer && (Integer) n > 1;
  }
}
