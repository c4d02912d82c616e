package dev.metamori.crash;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * What the crash tests compare: every entry of a tree (the root itself as {@code "."}) with its
 * type, size, content hash, last-modified time in nanoseconds and POSIX permission bits. Read
 * through the default file system. Directory sizes and symbolic-link times are left out (the
 * checkpointer does not promise them). Encodes to one line without tabs or newlines.
 */
final class CrashTreeSnapshot {

  /** One file, directory or link. {@code hash} is the link target for links. */
  record Entry(char type, long size, String hash, long mtimeNanos, int permissions) {
    String encode() {
      return type + "," + size + "," + hash + "," + mtimeNanos + "," + Integer.toOctalString(permissions);
    }

    static Entry decode(String s) {
      String[] f = s.split(",", -1);
      if (f.length != 5 || f[0].length() != 1) {
        throw new IllegalArgumentException("bad snapshot entry " + s);
      }
      return new Entry(
          f[0].charAt(0), Long.parseLong(f[1]), f[2], Long.parseLong(f[3]), Integer.parseInt(f[4], 8));
    }
  }

  private final TreeMap<String, Entry> entries;

  private CrashTreeSnapshot(TreeMap<String, Entry> entries) {
    this.entries = entries;
  }

  Map<String, Entry> entries() {
    return entries;
  }

  static CrashTreeSnapshot of(Path root) throws IOException {
    TreeMap<String, Entry> entries = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            add(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            add(file);
            return FileVisitResult.CONTINUE;
          }

          private void add(Path p) throws IOException {
            String rel = root.relativize(p).toString();
            entries.put(rel.isEmpty() ? "." : rel, entry(p));
          }
        });
    return new CrashTreeSnapshot(entries);
  }

  private static Entry entry(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW_LINKS);
    int perms = bits(a.permissions());
    long mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
    if (a.isSymbolicLink()) {
      return new Entry('L', 0, Files.readSymbolicLink(p).toString(), 0, 0);
    }
    if (a.isDirectory()) {
      return new Entry('D', 0, "-", mtime, perms);
    }
    if (a.isRegularFile()) {
      return new Entry('F', a.size(), hash(p), mtime, perms);
    }
    return new Entry('O', 0, "-", mtime, perms);
  }

  private static String hash(Path file) throws IOException {
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    byte[] buf = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buf)) > 0; ) {
        md.update(buf, 0, n);
      }
    }
    return HexFormat.of().formatHex(md.digest(), 0, 12);
  }

  private static int bits(Set<PosixFilePermission> perms) {
    int bits = 0;
    for (PosixFilePermission p : perms) {
      bits |= 1 << (8 - p.ordinal());
    }
    return bits;
  }

  String encode() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (sb.length() > 0) {
        sb.append(';');
      }
      sb.append(e.getKey()).append('=').append(e.getValue().encode());
    }
    return sb.toString();
  }

  static CrashTreeSnapshot decode(String s) {
    TreeMap<String, Entry> entries = new TreeMap<>();
    for (String item : s.split(";")) {
      int eq = item.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("bad snapshot item " + item);
      }
      entries.put(item.substring(0, eq), Entry.decode(item.substring(eq + 1)));
    }
    return new CrashTreeSnapshot(entries);
  }

  /** The differences from {@code expected}, one line each; empty when equal. */
  List<String> differencesFrom(CrashTreeSnapshot expected) {
    List<String> out = new ArrayList<>();
    Set<String> names = new TreeSet<>(entries.keySet());
    names.addAll(expected.entries.keySet());
    for (String name : names) {
      Entry want = expected.entries.get(name);
      Entry got = entries.get(name);
      if (!Objects.equals(want, got)) {
        out.add(
            name
                + ": expected "
                + (want == null ? "absent" : want.encode())
                + " but was "
                + (got == null ? "absent" : got.encode()));
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CrashTreeSnapshot && ((CrashTreeSnapshot) o).entries.equals(entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return encode();
  }
}
