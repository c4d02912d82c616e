package dev.metamori;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.Change.Kind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Checks a diff against the two trees it describes: every change it reports must hold in them
 * (a deleted path exists in the first, a created one in the second, sizes are the real ones,
 * bytes outside the reported ranges are equal), and every difference between the trees must be
 * explained by a change (a path of the second tree not reported is the same object as the path
 * it had in the first, through the reported moves of its directories, with the same bytes).
 */
final class DiffOracle {
  /** One entry of a tree: its kind and, for files, its bytes; for links, the target. */
  record Node(String kind, byte[] bytes, String target) {}

  private DiffOracle() {}

  /** Reads every entry under {@code root} (a default-file-system path), by absolute path string. */
  static Map<String, Node> read(Path root) throws IOException {
    Map<String, Node> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (p.equals(root)) {
          continue;
        }
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
        if (a.isRegularFile()) {
          out.put(p.toString(), new Node("file", Files.readAllBytes(p), null));
        } else if (a.isDirectory()) {
          out.put(p.toString(), new Node("dir", null, null));
        } else {
          out.put(p.toString(), new Node("link", null, Files.readSymbolicLink(p).toString()));
        }
      }
    }
    return out;
  }

  /** Fails with a message naming what does not hold, or returns normally. */
  static void check(Map<String, Node> from, Map<String, Node> to, List<Change> changes) {
    List<String> problems = new ArrayList<>();
    Map<String, Change> byPath = new HashMap<>();
    Set<String> created = new HashSet<>();
    Set<String> deleted = new HashSet<>();
    Map<String, String> movedTo = new TreeMap<>(); // second path -> first path
    for (Change c : changes) {
      switch (c.kind()) {
        case CREATED -> {
          created.add(c.path());
          Node n = to.get(c.path());
          if (n == null) {
            problems.add("created but not in the second tree: " + c);
          } else if (n.kind().equals("file") && c.sizeAfter() >= 0 && c.sizeAfter() != n.bytes().length) {
            problems.add("created with the wrong size: " + c + ", really " + n.bytes().length);
          }
        }
        case DELETED -> {
          deleted.add(c.path());
          if (!from.containsKey(c.path())) {
            problems.add("deleted but not in the first tree: " + c);
          }
        }
        case MOVED, CHANGED -> {
          if (byPath.put(c.path(), c) != null) {
            problems.add("reported twice: " + c.path());
          }
          String old = c.kind() == Kind.MOVED ? c.previousPath() : c.path();
          if (c.kind() == Kind.MOVED) {
            movedTo.put(c.path(), old);
          }
          Node a = from.get(old);
          Node b = to.get(c.path());
          if (a == null || b == null) {
            problems.add("missing in the " + (a == null ? "first" : "second") + " tree: " + c);
          } else if (!a.kind().equals(b.kind())) {
            problems.add("a " + a.kind() + " became a " + b.kind() + " without a deletion: " + c);
          } else if (a.kind().equals("file")) {
            compareFiles(c, a.bytes(), b.bytes(), problems);
          }
        }
        default -> {}
      }
    }
    Set<String> accounted = new HashSet<>();
    for (Map.Entry<String, Node> e : to.entrySet()) {
      String path = e.getKey();
      String origin = origin(path, movedTo, created);
      if (origin == null) {
        continue; // created, or inside something created
      }
      accounted.add(origin);
      Node a = from.get(origin);
      if (a == null) {
        problems.add("in the second tree only, not reported: " + path);
      } else if (byPath.containsKey(path)) {
        continue;
      } else if (!a.kind().equals(e.getValue().kind())
          || !Arrays.equals(a.bytes(), e.getValue().bytes())
          || !java.util.Objects.equals(a.target(), e.getValue().target())) {
        problems.add("differs but not reported: " + origin + " -> " + path);
      } else if (deleted.contains(origin) && !created.contains(path)) {
        problems.add("reported deleted but still there: " + origin);
      }
    }
    for (String path : from.keySet()) {
      if (!accounted.contains(path) && !deleted.contains(path) && !createdAbove(path, deleted)) {
        problems.add("in the first tree only, not reported: " + path);
      }
    }
    if (!problems.isEmpty()) {
      throw new AssertionError(String.join("\n", problems) + "\nchanges: " + changes);
    }
  }

  /** The sizes are the real ones, and the bytes outside the ranges are equal. */
  private static void compareFiles(Change c, byte[] a, byte[] b, List<String> problems) {
    if (c.sizeBefore() != a.length || c.sizeAfter() != b.length) {
      if (c.kind() == Kind.CHANGED || c.sizeBefore() >= 0 || c.sizeAfter() >= 0 || !Arrays.equals(a, b)) {
        problems.add("sizes " + c.sizeBefore() + " -> " + c.sizeAfter() + " are really " + a.length + " -> " + b.length + ": " + c);
        return;
      }
    }
    int max = Math.max(a.length, b.length);
    boolean[] in = new boolean[max];
    for (Change.Range r : c.ranges()) {
      for (long i = r.offset(); i < r.offset() + r.length() && i < max; i++) {
        in[(int) i] = true;
      }
    }
    for (int i = 0; i < max; i++) {
      if (!in[i] && (i >= a.length || i >= b.length || a[i] != b[i])) {
        problems.add("byte " + i + " differs outside the ranges: " + c);
        return;
      }
    }
  }

  private static boolean createdAbove(String path, Set<String> dirs) {
    for (String d : dirs) {
      if (path.startsWith(d + "/")) {
        return true;
      }
    }
    return false;
  }

  /**
   * The path in the first tree of what is at {@code path} in the second, through the nearest
   * move of it or of a directory above it; null if the nearest such change is a creation.
   */
  private static String origin(String path, Map<String, String> movedTo, Set<String> created) {
    for (String at = path; at != null; at = at.lastIndexOf('/') > 0 ? at.substring(0, at.lastIndexOf('/')) : null) {
      if (created.contains(at)) {
        return null;
      }
      String from = movedTo.get(at);
      if (from != null) {
        return from + path.substring(at.length());
      }
    }
    return path;
  }
}
