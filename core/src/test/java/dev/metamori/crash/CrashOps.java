package dev.metamori.crash;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Random file operations on a tracked tree, all through a checkpointer's file system: writes
 * at random offsets, appends, truncations, creations, deletions, renames (also replacing),
 * directory creation and removal, time and permission changes, copies, links and moves across
 * the root's boundary. The tree stays small (a few dozen entries, three levels).
 */
final class CrashOps {
  private static final String[] FILE_MODES = {"rw-r--r--", "rw-------", "rw-rw-r--", "r--r--r--", "rwxr-xr-x", "r--------"};
  private static final String[] DIR_MODES = {"rwxr-xr-x", "rwx------", "rwxrwxr-x", "rwxr-x---", "rwx--x--x"};

  private final Random random;
  private final FileSystem fs;
  private final Path root;
  private final Path outside;
  private final int unit;

  CrashOps(Random random, FileSystem fs, Path root, Path outside, int unit) {
    this.random = random;
    this.fs = fs;
    this.root = root;
    this.outside = outside;
    this.unit = unit;
  }

  /** The journaling path for a real path. */
  private Path j(Path real) {
    return fs.getPath(real.toString());
  }

  private final List<Path> files = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();
  private final List<Path> links = new ArrayList<>();

  private void scan() throws IOException {
    files.clear();
    dirs.clear();
    links.clear();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            dirs.add(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            (attrs.isSymbolicLink() ? links : files).add(file);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  private <T> T pick(List<T> list) {
    return list.get(random.nextInt(list.size()));
  }

  private Path freshName(Path dir, String prefix) {
    for (int i = 0; i < 20; i++) {
      Path p = dir.resolve(prefix + random.nextInt(100));
      if (!Files.exists(p, NOFOLLOW_LINKS)) {
        return p;
      }
    }
    return dir.resolve(prefix + "x" + Long.toHexString(random.nextLong() >>> 1));
  }

  private Path dirForNewEntry() {
    List<Path> shallow = new ArrayList<>();
    for (Path d : dirs) {
      if (root.relativize(d).getNameCount() < 3 || d.equals(root)) {
        shallow.add(d);
      }
    }
    return pick(shallow);
  }

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    if (random.nextInt(4) == 0) {
      java.util.Arrays.fill(b, (byte) random.nextInt(256));
    }
    return b;
  }

  private int size() {
    switch (random.nextInt(4)) {
      case 0:
        return random.nextInt(64);
      case 1:
        return random.nextInt(unit * 2);
      default:
        return random.nextInt(unit * 12);
    }
  }

  private String rel(Path p) {
    String r = root.relativize(p).toString();
    return p.startsWith(root) ? (r.isEmpty() ? "." : r) : p.getFileName().toString() + "(outside)";
  }

  /** What the current operation did, for diagnostics. */
  private String did;

  /** Performs one random operation and describes it. */
  String step() throws IOException {
    did = null;
    scan();
    int crowd = files.size() + dirs.size() + links.size();
    int op = random.nextInt(115);
    if (crowd > 45 && op < 60) {
      op = 60 + random.nextInt(15); // mostly removals when crowded
    }
    try {
      if (op >= 100 && op < 110) {
        return held(op - 100);
      }
      if (files.isEmpty() || op < 12) {
        createFile();
      } else if (op < 30) {
        writeAt(pick(files));
      } else if (op < 38) {
        append(pick(files));
      } else if (op < 45) {
        truncate(pick(files));
      } else if (op < 50) {
        Path f = pick(files);
        byte[] data = bytes(size());
        did = "rewrite " + rel(f) + " " + data.length;
        Files.write(j(f), data);
      } else if (op < 55) {
        burst(pick(files));
      } else if (op < 60) {
        Path d = freshName(dirForNewEntry(), "d");
        did = "mkdir " + rel(d);
        Files.createDirectory(j(d));
      } else if (op < 67) {
        Path f = pick(files);
        did = "delete " + rel(f);
        Files.delete(j(f));
      } else if (op < 70) {
        if (dirs.size() > 1) {
          deleteTree(pick(dirs.subList(1, dirs.size())));
        }
      } else if (op < 75) {
        if (!links.isEmpty() && random.nextBoolean()) {
          Path l = pick(links);
          did = "unlink " + rel(l);
          Files.delete(j(l));
        } else {
          moveOut(pick(files));
        }
      } else if (op < 81) {
        Path a = pick(files);
        Path b = freshName(dirForNewEntry(), "f");
        did = "rename " + rel(a) + " " + rel(b);
        Files.move(j(a), j(b));
      } else if (op < 85) {
        Path a = pick(files);
        Path b = pick(files);
        if (random.nextBoolean()) {
          did = "renameReplace " + rel(a) + " " + rel(b);
          Files.move(j(a), j(b), StandardCopyOption.REPLACE_EXISTING);
        } else {
          did = "renameAtomic " + rel(a) + " " + rel(b);
          Files.move(j(a), j(b), StandardCopyOption.ATOMIC_MOVE);
        }
      } else if (op < 88) {
        if (dirs.size() > 1) {
          Path d = pick(dirs.subList(1, dirs.size()));
          Path parent = dirForNewEntry();
          if (!parent.startsWith(d)) {
            Path to = freshName(parent, "d");
            did = "renameDir " + rel(d) + " " + rel(to);
            Files.move(j(d), j(to));
          }
        }
      } else if (op < 92) {
        Path p = random.nextInt(3) == 0 ? pick(dirs) : pick(files);
        long nanos = TimeUnit.SECONDS.toNanos(946_684_800L + random.nextInt(1_000_000_000)) + random.nextInt(1_000_000_000);
        did = "setTime " + rel(p) + " " + nanos;
        Files.setLastModifiedTime(j(p), FileTime.from(nanos, TimeUnit.NANOSECONDS));
      } else if (op < 95) {
        boolean dir = random.nextInt(3) == 0;
        Path p = dir ? pick(dirs) : pick(files);
        String mode = dir ? DIR_MODES[random.nextInt(DIR_MODES.length)] : FILE_MODES[random.nextInt(FILE_MODES.length)];
        did = "chmod " + rel(p) + " " + mode;
        Files.setPosixFilePermissions(j(p), PosixFilePermissions.fromString(mode));
      } else if (op < 97) {
        Path target = random.nextBoolean() ? pick(files) : freshName(dirForNewEntry(), "f");
        Path source = pick(files);
        did = "copy " + rel(source) + " " + rel(target);
        Files.copy(j(source), j(target), StandardCopyOption.REPLACE_EXISTING);
      } else if (op < 98) {
        Path l = freshName(dirForNewEntry(), "l");
        did = "symlink " + rel(l);
        Files.createSymbolicLink(j(l), fs.getPath("f" + random.nextInt(100)));
      } else if (op < 100) {
        moveIn();
      } else if (op < 112) {
        Path existing = pick(files);
        Path link = freshName(dirForNewEntry(), "h");
        did = "hardLink " + rel(link) + " -> " + rel(existing);
        Files.createLink(j(link), j(existing));
      } else {
        mappedWrite(pick(files));
      }
      return did == null ? "nothing (op " + op + ")" : did;
    } catch (IOException | RuntimeException e) {
      throw new IOException(
          "operation " + op + " (" + did + ") failed; every operation's preconditions hold", e);
    }
  }

  /**
   * Channels kept open across operations, commits and rollbacks (a rollback closes them), on
   * files that may meanwhile be renamed or deleted.
   */
  private final List<FileChannel> held = new ArrayList<>();
  private final List<String> heldNames = new ArrayList<>();

  private String held(int op) throws IOException {
    for (int i = held.size() - 1; i >= 0; i--) {
      if (!held.get(i).isOpen()) {
        held.remove(i);
        heldNames.remove(i);
      }
    }
    if (held.isEmpty() || (op < 3 && held.size() < 3)) {
      Path file = !files.isEmpty() && random.nextBoolean() ? pick(files) : freshName(dirForNewEntry(), "f");
      held.add(
          FileChannel.open(j(file), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE));
      heldNames.add(rel(file));
      return "hold #" + (held.size() - 1) + " " + rel(file);
    }
    int i = random.nextInt(held.size());
    FileChannel c = held.get(i);
    String name = "#" + i + " (opened as " + heldNames.get(i) + ")";
    if (op < 8) {
      long size = c.size();
      byte[] data = bytes(1 + random.nextInt(2 * unit));
      long pos = random.nextInt((int) Math.min(size + unit, 1 << 20));
      did = "heldWrite " + name + " @" + pos + " +" + data.length;
      write(c, data, pos);
      return did;
    }
    if (op < 9) {
      long size = random.nextInt((int) Math.min(c.size() + 1, 1 << 20));
      did = "heldTruncate " + name + " " + size;
      c.truncate(size);
      return did;
    }
    c.close();
    held.remove(i);
    heldNames.remove(i);
    return "release " + name;
  }

  private void createFile() throws IOException {
    Path f = freshName(dirForNewEntry(), "f");
    byte[] data = bytes(size());
    did = "create " + rel(f) + " " + data.length;
    Files.write(j(f), data, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
  }

  private void writeAt(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(j(file), StandardOpenOption.WRITE)) {
      long size = c.size();
      long pos = random.nextInt((int) Math.min(Integer.MAX_VALUE, size + unit));
      byte[] data = bytes(1 + random.nextInt(3 * unit));
      did = "write " + rel(file) + " @" + pos + " +" + data.length;
      write(c, data, pos);
    }
  }

  private static void write(FileChannel c, byte[] data, long pos) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(data);
    while (b.hasRemaining()) {
      pos += c.write(b, pos);
    }
  }

  private void append(Path file) throws IOException {
    byte[] data = bytes(1 + random.nextInt(2 * unit));
    did = "append " + rel(file) + " +" + data.length;
    Files.write(j(file), data, StandardOpenOption.APPEND);
  }

  private void truncate(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(j(file), StandardOpenOption.WRITE)) {
      long size = c.size();
      long to = size == 0 ? 0 : random.nextInt((int) Math.min(Integer.MAX_VALUE, size));
      did = "truncate " + rel(file) + " " + to;
      c.truncate(to);
    }
  }

  /** Several writes and a truncation through one channel. */
  private void burst(Path file) throws IOException {
    did = "burst " + rel(file);
    try (FileChannel c = FileChannel.open(j(file), StandardOpenOption.WRITE, StandardOpenOption.READ)) {
      int n = 2 + random.nextInt(6);
      for (int i = 0; i < n; i++) {
        long size = c.size();
        if (random.nextInt(5) == 0 && size > 0) {
          long to = random.nextInt((int) Math.min(Integer.MAX_VALUE, size));
          did += " truncate " + to;
          c.truncate(to);
        } else {
          byte[] data = bytes(1 + random.nextInt(2 * unit));
          long pos = random.nextInt((int) size + unit);
          did += " write @" + pos + " +" + data.length;
          write(c, data, pos);
        }
      }
    }
  }

  /** Writes through a read-write mapping of part of the file (never past its end). */
  private void mappedWrite(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(j(file), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long size = c.size();
      if (size == 0) {
        did = "mappedWrite " + rel(file) + " (empty: nothing)";
        return;
      }
      long pos = random.nextInt((int) Math.min(size, 1 << 20));
      int len = 1 + random.nextInt((int) Math.min(size - pos, 3L * unit));
      did = "mappedWrite " + rel(file) + " @" + pos + " +" + len;
      java.nio.MappedByteBuffer m = c.map(FileChannel.MapMode.READ_WRITE, pos, len);
      m.put(bytes(len));
    }
  }

  private void deleteTree(Path dir) throws IOException {
    did = "deleteTree " + rel(dir);
    List<Path> all = new ArrayList<>();
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            all.add(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) {
            all.add(d);
            return FileVisitResult.CONTINUE;
          }
        });
    for (Path p : all) {
      Files.delete(j(p));
    }
  }

  /** Moves a tracked file out of the root (it then is no longer tracked). */
  private void moveOut(Path file) throws IOException {
    Path target = outside.resolve("out" + random.nextInt(8));
    did = "moveOut " + rel(file) + " " + rel(target);
    Files.move(j(file), j(target), StandardCopyOption.REPLACE_EXISTING);
  }

  /** Creates a file outside the root and moves it in. */
  private void moveIn() throws IOException {
    Path source = outside.resolve("in" + random.nextInt(8));
    Files.write(j(source), bytes(size()));
    Path target = freshName(dirForNewEntry(), "f");
    did = "moveIn " + rel(target);
    Files.move(j(source), j(target));
  }
}
