package dev.metamori.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The virtual file system an {@link EpochView} replays records on: every real path (the tracked
 * trees and the store's trash alike) as the live state has it, under an overlay keyed by path.
 * A path with an overlay node is that node ({@link EpochViewNode#ABSENT}: nothing); one without
 * is resolved through its nearest ancestor with an overlay node (nothing there, or the
 * ancestor's source plus the rest of the path), or is itself in the live state if none has one.
 * A rename moves overlay nodes (the one at the source path, made from the live state if there
 * is none, and all below it); nothing real is ever written.
 */
final class EpochViewTree {
  private final FileSystem fs;
  private final boolean posix;
  private final int blockSize;
  private final TreeMap<String, EpochViewNode> overlay = new TreeMap<>();
  /**
   * The files the overlay holds, by file key: another name of one of them (a hard link, in the
   * trees or in the trash) is the same node, as writing through either name changes both.
   */
  private final Map<Object, EpochViewNode> byKey = new HashMap<>();

  EpochViewTree(FileSystem fs, int blockSize) {
    this.fs = fs;
    this.posix = fs.supportedFileAttributeViews().contains("posix");
    this.blockSize = blockSize;
  }

  boolean posix() {
    return posix;
  }

  FileSystem fileSystem() {
    return fs;
  }

  int blockSize() {
    return blockSize;
  }

  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  /** What is at {@code path}, or null; a node not in the overlay is read afresh and not kept. */
  EpochViewNode get(String path) throws IOException {
    EpochViewNode n = overlay.get(path);
    if (n != null) {
      return n.absent() ? null : n;
    }
    String real = realPathOf(path);
    n = real == null ? null : EpochViewNode.read(fs, real, posix);
    if (n != null && n.fileKey != null) {
      EpochViewNode same = byKey.get(n.fileKey);
      if (same != null) {
        return same;
      }
    }
    return n;
  }

  /** What is at {@code path}, as a node of the overlay that changes may be made to; null if nothing. */
  EpochViewNode own(String path) throws IOException {
    EpochViewNode n = overlay.get(path);
    if (n != null) {
      return n.absent() ? null : n;
    }
    n = get(path);
    if (n != null) {
      overlay.put(path, n);
      if (n.fileKey != null) {
        byKey.putIfAbsent(n.fileKey, n);
      }
    }
    return n;
  }

  boolean exists(String path) throws IOException {
    return get(path) != null;
  }

  /** The real path holding what is at {@code path}, which has no overlay node; null if nothing. */
  private String realPathOf(String path) {
    for (String dir = parent(path); dir != null; dir = parent(dir)) {
      EpochViewNode a = overlay.get(dir);
      if (a != null) {
        if (a.absent() || a.source == null || a.kind != EpochView.Kind.DIRECTORY) {
          return null;
        }
        return a.source + path.substring(dir.length());
      }
    }
    return path;
  }

  /** Descendants of {@code dir} in the overlay: '0' follows '/'. */
  private SortedMap<String, EpochViewNode> under(String dir) {
    return overlay.subMap(dir + "/", dir + "0");
  }

  /** Removes what is at {@code path} and below it. */
  void delete(String path) {
    under(path).clear();
    overlay.put(path, EpochViewNode.ABSENT);
  }

  /**
   * Renames what is at {@code from} (which must exist) to {@code to}, replacing what is there,
   * as rename(2) does; a directory into itself is left alone.
   */
  void move(String from, String to) throws IOException {
    if (from.equals(to) || to.startsWith(from + "/") || from.startsWith(to + "/")) {
      return;
    }
    EpochViewNode n = own(from);
    if (n == null) {
      return;
    }
    SortedMap<String, EpochViewNode> below = under(from);
    Map<String, EpochViewNode> moved = new TreeMap<>(below); // copied: clear() reuses entries
    below.clear();
    overlay.put(from, EpochViewNode.ABSENT);
    under(to).clear();
    overlay.put(to, n);
    for (Map.Entry<String, EpochViewNode> m : moved.entrySet()) {
      overlay.put(to + m.getKey().substring(from.length()), m.getValue());
    }
  }

  /** Renames {@code from} to {@code to} only while {@code from} exists and {@code to} does not. */
  void moveOnce(String from, String to) throws IOException {
    if (!exists(from) || exists(to)) {
      return;
    }
    ensureParent(to);
    move(from, to);
  }

  /** Makes the missing directories above {@code path}, as a restore does for a path inside one. */
  void ensureParent(String path) throws IOException {
    String parent = parent(path);
    if (parent != null && !exists(parent)) {
      ensureParent(parent);
      under(parent).clear();
      overlay.put(parent, EpochViewNode.madeDirectory(posix, System.currentTimeMillis() * 1_000_000L));
    }
  }

  /** Whether {@code dir} is an empty directory. */
  boolean isEmptyDirectory(String dir) throws IOException {
    EpochViewNode n = get(dir);
    return n != null && n.kind == EpochView.Kind.DIRECTORY && names(dir, n).isEmpty();
  }

  /** The names of the entries of directory {@code dir}, sorted. */
  List<String> list(String dir) throws IOException {
    EpochViewNode n = get(dir);
    if (n == null) {
      throw new NoSuchFileException(dir);
    }
    if (n.kind != EpochView.Kind.DIRECTORY) {
      throw new NotDirectoryException(dir);
    }
    return new ArrayList<>(names(dir, n));
  }

  private TreeSet<String> names(String dir, EpochViewNode n) throws IOException {
    TreeSet<String> names = new TreeSet<>();
    if (n.source != null) {
      try (DirectoryStream<Path> entries = fs.provider().newDirectoryStream(fs.getPath(n.source), p -> true)) {
        for (Path p : entries) {
          names.add(p.getFileName().toString());
        }
      }
    }
    // the overlay's entries directly in dir, skipping the subtrees below them
    String prefix = dir + "/";
    for (String key = overlay.ceilingKey(prefix); key != null && key.startsWith(prefix); ) {
      String name = key.substring(prefix.length());
      int slash = name.indexOf('/');
      if (slash >= 0) {
        key = overlay.ceilingKey(prefix + name.substring(0, slash) + "0"); // '0' follows '/'
        continue;
      }
      if (overlay.get(key).absent()) {
        names.remove(name);
      } else {
        names.add(name);
      }
      key = overlay.higherKey(key);
    }
    return names;
  }
}
