package dev.metamori.testing;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.hash.Hashing;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Everything Metamori promises to restore about a directory tree, read through the default
 * file system without following symbolic links: which files, directories and links exist,
 * file bytes and sizes, link targets, last-modified times (files and directories) and POSIX
 * permissions, owner and group. Access times and directory sizes are left out (not restored).
 */
public final class ExactTreeSnapshot {
  /** One entry of the tree. {@code content} is a SHA-256 of the bytes, or the link target. */
  public record Entry(
      String kind, long size, FileTime modified, String permissions, String owner, String group, String content) {
    @Override
    public String toString() {
      return kind
          + (kind.equals("file") ? " size=" + size : "")
          + " mtime="
          + modified
          + " perms="
          + permissions
          + " "
          + owner
          + ":"
          + group
          + (content == null ? "" : " " + content);
    }
  }

  private final Path root;
  private final SortedMap<String, Entry> entries;

  private ExactTreeSnapshot(Path root, SortedMap<String, Entry> entries) {
    this.root = root;
    this.entries = Collections.unmodifiableSortedMap(entries);
  }

  /** Reads the tree under {@code root} (a path of the default file system). */
  public static ExactTreeSnapshot of(Path root) throws IOException {
    SortedMap<String, Entry> entries = new TreeMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            entries.put(key(dir), entry(dir));
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            entries.put(key(file), entry(file));
            return FileVisitResult.CONTINUE;
          }

          private String key(Path p) {
            String rel = root.relativize(p).toString().replace('\\', '/');
            return rel.isEmpty() ? "." : rel;
          }
        });
    return new ExactTreeSnapshot(root, entries);
  }

  private static Entry entry(Path p) throws IOException {
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW_LINKS);
    String kind;
    long size = 0;
    String content = null;
    if (a.isSymbolicLink()) {
      kind = "link";
      content = "-> " + Files.readSymbolicLink(p);
    } else if (a.isDirectory()) {
      kind = "dir";
    } else if (a.isRegularFile()) {
      kind = "file";
      byte[] bytes = Files.readAllBytes(p);
      size = a.size();
      if (bytes.length != size) {
        throw new IllegalStateException(p + " changed while it was read");
      }
      content = "sha256=" + Hashing.sha256().hashBytes(bytes);
    } else {
      kind = "other";
    }
    return new Entry(
        kind,
        size,
        a.lastModifiedTime(),
        PosixFilePermissions.toString(a.permissions()),
        a.owner().getName(),
        a.group().getName(),
        content);
  }

  /** Entries by path relative to the root ({@code "."} for the root itself). */
  public SortedMap<String, Entry> entries() {
    return entries;
  }

  /** The differences between this (expected) and {@code actual}, one line each; empty if equal. */
  public List<String> differencesFrom(ExactTreeSnapshot actual) {
    List<String> diffs = new ArrayList<>();
    TreeSet<String> keys = new TreeSet<>(entries.keySet());
    keys.addAll(actual.entries.keySet());
    for (String k : keys) {
      Entry e = entries.get(k);
      Entry a = actual.entries.get(k);
      if (!Objects.equals(e, a)) {
        diffs.add(
            k + ": expected " + (e == null ? "<absent>" : e) + " but was " + (a == null ? "<absent>" : a));
      }
    }
    return diffs;
  }

  /** Fails, listing every difference, unless {@code actual} equals this snapshot. */
  public void assertSameAs(ExactTreeSnapshot actual, String context) {
    List<String> diffs = differencesFrom(actual);
    if (!diffs.isEmpty()) {
      throw new AssertionError(
          context + ": the tree under " + root + " differs from the expected state:\n  "
              + String.join("\n  ", diffs));
    }
  }

  /** Fails, listing every difference, unless the tree under the root now equals this snapshot. */
  public void assertTreeMatches(String context) throws IOException {
    assertSameAs(of(root), context);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExactTreeSnapshot && ((ExactTreeSnapshot) o).entries.equals(entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      sb.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    return sb.toString();
  }
}
