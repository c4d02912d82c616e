package dev.metamori.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import dev.metamori.MemoryRegion;
import dev.metamori.internal.journal.ProgressListener;
import dev.metamori.StreamException;
import dev.metamori.internal.stream.StreamReader;
import dev.metamori.internal.stream.StreamRecord;
import dev.metamori.internal.stream.StreamRecord.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Applies an export stream to the tracked trees through the checkpointer's own file system, so
 * that every change is journaled in the working epoch: a failure part way is undone by a restore
 * of the current epoch. Every path is resolved below the receiving root of its position, one name
 * at a time, and refused if a name above it is a link or not a directory; files are opened without
 * following links; nothing is ever written through a link.
 */
final class Receiver {
  private record DirectoryAttributes(Path path, long modifiedNanos, int permissions) {}

  /** What a receive needs from its checkpointer. */
  interface Target {
    MemoryRegion region(String name, long size) throws IOException;

    void receiveObject(String name, byte[] bytes) throws IOException;
  }

  private final FileSystem fs;
  private final List<String> roots;
  private final Predicate<String> excluded;
  private final Target target;
  private final Map<Integer, Path> staging = new HashMap<>();
  private final Map<Integer, Path> slots = new HashMap<>();
  private final Map<Integer, FileTime> stagedRootTimes = new HashMap<>();
  /** Directories whose attributes are set at the end, once what is below them is written. */
  private final List<DirectoryAttributes> directories = new ArrayList<>();
  private final boolean posix;
  private SeekableByteChannel file;
  private Path filePath;
  private StreamRecord.File fileRecord;
  private MemoryRegion region;

  Receiver(FileSystem fs, List<String> roots, Predicate<String> excluded, Target target) {
    this.fs = fs;
    this.roots = roots;
    this.excluded = excluded;
    this.target = target;
    this.posix = fs.supportedFileAttributeViews().contains("posix");
  }

  /**
   * Applies the records after the header, each checked by {@code reader} before it is applied:
   * the caller undoes what was applied if this fails.
   */
  void apply(StreamReader reader, ProgressListener progress) throws IOException {
    try {
      StreamRecord r;
      long n = 0;
      while ((r = reader.next()) != null) {
        apply(r);
        if (++n % 64 == 0) {
          progress.advanced(reader.consumed(), -1);
        }
      }
      progress.advanced(reader.consumed(), reader.consumed());
    } finally {
      if (file != null) {
        file.close();
      }
    }
    for (Map.Entry<Integer, Path> e : staging.entrySet()) {
      Files.delete(e.getValue()); // every staged entry was placed: the stream's reader checked it
      Path root = fs.getPath(roots.get(e.getKey()));
      Files.setLastModifiedTime(root, stagedRootTimes.get(e.getKey())); // as if it had not been there
    }
    directories.sort(Comparator.comparingInt((DirectoryAttributes d) -> -d.path().getNameCount()));
    for (DirectoryAttributes d : directories) {
      attributes(d.path(), d.modifiedNanos(), d.permissions());
    }
  }

  private void apply(StreamRecord r) throws IOException {
    if (r instanceof StreamRecord.Directory d) {
      Path p = resolve(d.at());
      if (p == null) {
        return;
      }
      BasicFileAttributes a = stat(p);
      if (a == null) {
        Files.createDirectory(p);
      } else if (!a.isDirectory() || a.isSymbolicLink()) {
        throw notAtBase(d.at(), "is not a directory");
      }
      directories.add(new DirectoryAttributes(p, d.modifiedNanos(), d.permissions()));
    } else if (r instanceof StreamRecord.Link l) {
      Path p = resolve(l.at());
      if (p != null) {
        absent(p, l.at());
        Files.createSymbolicLink(p, fs.getPath(l.target()));
      }
    } else if (r instanceof StreamRecord.File f) {
      fileRecord = f;
      filePath = resolve(f.at());
      if (filePath == null) {
        return;
      }
      if (f.patch()) {
        BasicFileAttributes a = stat(filePath);
        if (a == null || !a.isRegularFile()) {
          throw notAtBase(f.at(), "is not a regular file");
        }
        file = Files.newByteChannel(filePath, StandardOpenOption.WRITE, NOFOLLOW_LINKS);
        if (file.size() > f.size()) {
          file.truncate(f.size());
        }
      } else {
        absent(filePath, f.at());
        file = Files.newByteChannel(filePath, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, NOFOLLOW_LINKS);
      }
    } else if (r instanceof StreamRecord.Data d) {
      if (file != null) {
        ByteBuffer b = ByteBuffer.wrap(d.bytes());
        while (b.hasRemaining()) {
          file.position(d.offset() + b.position());
          file.write(b);
        }
      }
    } else if (r instanceof StreamRecord.FileEnd) {
      if (file != null) {
        if (file.size() < fileRecord.size()) {
          file.position(fileRecord.size() - 1);
          file.write(ByteBuffer.allocate(1));
        }
        file.close();
        file = null;
        attributes(filePath, fileRecord.modifiedNanos(), fileRecord.permissions());
      }
    } else if (r instanceof StreamRecord.Delete d) {
      Path p = resolve(d.at());
      if (p != null) {
        if (stat(p) == null) {
          throw notAtBase(d.at(), "is not there to be removed");
        }
        // links are removed, not followed (secure directory streams where the platform has them)
        MoreFiles.deleteRecursively(p, com.google.common.io.RecursiveDeleteOption.ALLOW_INSECURE);
      }
    } else if (r instanceof StreamRecord.Stage s) {
      Path p = resolve(s.at());
      if (p == null || stat(p) == null) {
        throw notAtBase(s.at(), "is not there to be moved");
      }
      Path slot = stagingOf(s.at().root()).resolve(Integer.toString(s.slot()));
      Files.move(p, slot, StandardCopyOption.ATOMIC_MOVE);
      slots.put(s.slot(), slot);
    } else if (r instanceof StreamRecord.Place pl) {
      Path p = resolve(pl.at());
      if (p == null) {
        throw notAtBase(pl.at(), "is excluded here, but the stream moves an entry there");
      }
      absent(p, pl.at());
      Files.move(slots.remove(pl.slot()), p, StandardCopyOption.ATOMIC_MOVE);
    } else if (r instanceof StreamRecord.Region g) {
      region = target.region(g.name(), g.size());
      if (g.whole()) {
        byte[] zeros = new byte[StreamReader.PAGE];
        for (long at = 0; at < g.size(); at += zeros.length) {
          region.put(at, zeros, 0, (int) Math.min(zeros.length, g.size() - at));
        }
      }
    } else if (r instanceof StreamRecord.Page pg) {
      region.put(pg.page() * StreamReader.PAGE, pg.bytes(), 0, pg.bytes().length);
    } else if (r instanceof StreamRecord.RegionEnd) {
      region = null;
    } else if (r instanceof StreamRecord.ObjectState o) {
      target.receiveObject(o.name(), o.bytes());
    }
  }

  /** The staging directory of root {@code root}, created the first time. */
  private Path stagingOf(int root) throws IOException {
    Path dir = staging.get(root);
    if (dir == null) {
      Path base = fs.getPath(roots.get(root));
      do {
        dir = base.resolve(".metamori-receive-" + Long.toHexString(new java.util.Random().nextLong() >>> 1));
      } while (stat(dir) != null);
      stagedRootTimes.put(root, Files.getLastModifiedTime(base, NOFOLLOW_LINKS));
      Files.createDirectory(dir);
      staging.put(root, dir);
    }
    return dir;
  }

  /**
   * The path of {@code at} below its receiving root, checked one name at a time: every name
   * above it must be a directory, not a link. Null if the receiving store excludes it.
   */
  private Path resolve(Entry at) throws IOException {
    Path p = fs.getPath(roots.get(at.root()));
    if (at.path().isEmpty()) {
      return p;
    }
    String[] names = at.path().split("/");
    for (int i = 0; i < names.length; i++) {
      BasicFileAttributes a = stat(p);
      if (a == null || !a.isDirectory() || a.isSymbolicLink()) {
        throw new StreamException(
            "the stream was refused: " + at + " lies below " + p + ", which is "
                + (a == null ? "missing" : a.isSymbolicLink() ? "a link (nothing is written through a link)" : "not a directory")
                + "; the trees were left at their last committed epoch");
      }
      p = p.resolve(names[i]);
    }
    return excluded.test(p.toString()) ? null : p;
  }

  private static BasicFileAttributes stat(Path p) throws IOException {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private void absent(Path p, Entry at) throws IOException {
    if (stat(p) != null) {
      throw notAtBase(at, "is already there");
    }
  }

  private static StreamException notAtBase(Entry at, String what) {
    return new StreamException(
        "the stream was refused: " + at + " " + what + ", so the trees are not as the stream's base"
            + " left them (changed since?); the trees were left at their last committed epoch");
  }

  private void attributes(Path p, long modifiedNanos, int permissions) throws IOException {
    if (posix && permissions >= 0) {
      Files.setPosixFilePermissions(p, dev.metamori.internal.fs.PosixModes.fromBits(permissions));
    }
    Files.getFileAttributeView(p, java.nio.file.attribute.BasicFileAttributeView.class, NOFOLLOW_LINKS)
        .setTimes(FileTime.from(modifiedNanos, TimeUnit.NANOSECONDS), null, null);
  }
}
