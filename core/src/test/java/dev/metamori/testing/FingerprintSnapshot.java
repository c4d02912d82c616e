package dev.metamori.testing;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.zip.CRC32C;

/**
 * A cheap picture of a large tree, for trees too big for {@link TreeSnapshot}: for every path
 * below a root, whether it is a directory, file or link, and for files the size and a CRC32C
 * of the bytes (for links, the target). Paths are relative, with {@code /}. Times, modes and
 * owners are left out.
 */
public final class FingerprintSnapshot {
  private final Map<String, String> entries;

  private FingerprintSnapshot(Map<String, String> entries) {
    this.entries = entries;
  }

  /** Walks {@code root} on the default file system, never following links. */
  public static FingerprintSnapshot of(Path root) throws IOException {
    Map<String, String> entries = new TreeMap<>();
    byte[] buffer = new byte[64 * 1024];
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            entries.put(name(dir), "d");
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            if (attrs.isSymbolicLink()) {
              entries.put(name(file), "l " + Files.readSymbolicLink(file));
            } else if (attrs.isRegularFile()) {
              CRC32C crc = new CRC32C();
              try (InputStream in = Files.newInputStream(file, NOFOLLOW_LINKS)) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                  crc.update(buffer, 0, n);
                }
              }
              entries.put(name(file), "f " + attrs.size() + " " + Long.toHexString(crc.getValue()));
            } else {
              entries.put(name(file), "o");
            }
            return FileVisitResult.CONTINUE;
          }

          private String name(Path p) {
            String s = root.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
            return s.isEmpty() ? "." : s;
          }
        });
    return new FingerprintSnapshot(entries);
  }

  /** The number of paths, the root included. */
  public int size() {
    return entries.size();
  }

  /** Up to {@code max} differences, each naming a path and both sides. */
  public List<String> differences(FingerprintSnapshot actual, int max) {
    List<String> out = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(entries.keySet());
    names.addAll(actual.entries.keySet());
    int total = 0;
    for (String name : names) {
      String e = entries.get(name);
      String a = actual.entries.get(name);
      if (!Objects.equals(e, a)) {
        if (total++ < max) {
          out.add(name + ": expected " + e + ", was " + a);
        }
      }
    }
    if (total > max) {
      out.add("... " + (total - max) + " more");
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FingerprintSnapshot other && entries.equals(other.entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    return "FingerprintSnapshot[" + entries.size() + " paths]";
  }
}
