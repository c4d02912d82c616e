package dev.metamori.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The directory operations (create, delete, rename, link, copy, attribute change) made since
 * the last force of anything, in order, with what is needed to undo each on a copy of the tree:
 * the names, a hard link (in an attic directory) to any file a delete or a replacing rename
 * removed, and the modification times of the directories (and, for an attribute change, of the
 * file) the operation changed. Not thread-safe: {@link PowerLossRecorder} holds its lock.
 */
final class NamespaceLog {
  private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

  /** A name an operation removed, as it was just before: a file (kept alive in the attic), a directory or a link. */
  record Victim(Path attic, Object fileKey, boolean directory, Path linkTarget, Set<PosixFilePermission> permissions, FileTime mtime) {}

  /**
   * One directory operation: {@code path} and, for a move, copy or link, {@code other} (the
   * target, or for a link the existing file); {@code removed} what the operation took away: the
   * deleted name, or what a move or copy replaced at its target; {@code times} the modification
   * times to put back after undoing it; {@code permissions} those an attribute change replaced;
   * {@code seq} its place among everything the recorder recorded.
   */
  record Op(
      String kind,
      Path path,
      Path other,
      Victim removed,
      Map<Path, FileTime> times,
      Set<PosixFilePermission> permissions,
      long seq) {
    @Override
    public String toString() {
      return kind + " " + path + (other == null ? "" : " -> " + other);
    }
  }

  private final Path attic;
  private final List<Op> ops = new ArrayList<>();
  private final Map<Object, Integer> atticLinks = new HashMap<>();
  private long atticNames;

  NamespaceLog(Path attic) {
    this.attic = attic;
  }

  List<Op> ops() {
    return Collections.unmodifiableList(ops);
  }

  /** Prepares the record of an operation about to be made; null if it would change nothing. */
  Op prepare(String kind, Path path, Path other) throws IOException {
    Map<Path, FileTime> times = new LinkedHashMap<>();
    Victim removed = null;
    Set<PosixFilePermission> permissions = null;
    switch (kind) {
      case "delete":
        remember(times, path.getParent());
        removed = capture(path);
        if (removed == null) {
          return null; // it will fail: nothing to delete
        }
        break;
      case "move":
        remember(times, path.getParent());
        remember(times, other.getParent());
        if (!path.equals(other)) {
          removed = capture(other);
        }
        break;
      case "copy":
        remember(times, other.getParent());
        removed = capture(other);
        break;
      case "setAttributes":
        if (!Files.exists(path, NOFOLLOW)) {
          return null;
        }
        remember(times, path);
        permissions = Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW).permissions();
        break;
      default: // create, createDirectory, createSymbolicLink, createLink
        remember(times, path.getParent());
        break;
    }
    return new Op(kind, path, other, removed, times, permissions, -1);
  }

  /** Appends a prepared operation that was made (as the {@code seq}th thing recorded), or lets go of one that failed. */
  void done(Op op, boolean made, long seq) throws IOException {
    if (made) {
      ops.add(new Op(op.kind, op.path, op.other, op.removed, op.times, op.permissions, seq));
    } else {
      release(op);
    }
  }

  /** Everything logged is durable now (a force reached the disk). Returns the file keys whose attic links went. */
  Set<Object> durable() throws IOException {
    Set<Object> keys = new HashSet<>();
    for (Op op : ops) {
      if (op.removed != null && op.removed.fileKey != null) {
        keys.add(op.removed.fileKey);
      }
      release(op);
    }
    ops.clear();
    return keys;
  }

  /** How many links to the file the attic holds. */
  int atticLinks(Object fileKey) {
    return atticLinks.getOrDefault(fileKey, 0);
  }

  private void release(Op op) throws IOException {
    if (op != null && op.removed != null && op.removed.attic != null) {
      Files.deleteIfExists(op.removed.attic);
      atticLinks.computeIfPresent(op.removed.fileKey, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  private static void remember(Map<Path, FileTime> times, Path p) throws IOException {
    if (p != null && Files.exists(p, NOFOLLOW)) {
      times.put(p, Files.getLastModifiedTime(p, NOFOLLOW));
    }
  }

  private Victim capture(Path p) throws IOException {
    if (!Files.exists(p, NOFOLLOW)) {
      return null;
    }
    PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW);
    if (a.isSymbolicLink()) {
      return new Victim(null, null, false, Files.readSymbolicLink(p), null, null);
    }
    if (a.isDirectory()) {
      return new Victim(null, null, true, null, a.permissions(), a.lastModifiedTime());
    }
    Files.createDirectories(attic);
    Path link = attic.resolve(Long.toString(atticNames++));
    Files.createLink(link, p);
    atticLinks.merge(a.fileKey(), 1, Integer::sum);
    return new Victim(link, a.fileKey(), false, null, a.permissions(), a.lastModifiedTime());
  }

  /**
   * Undoes, newest first, the operations {@code lost} on a copy: {@code copy} maps a real path
   * to the copy's (null outside it), {@code staged} gives each file victim's copy (already with
   * the data changes the state keeps).
   */
  static void undo(List<Op> lost, Function<Path, Path> copy, Map<Victim, Path> staged) throws IOException {
    for (int i = lost.size() - 1; i >= 0; i--) {
      Op op = lost.get(i);
      Path at = copy.apply(op.path);
      Path other = op.other == null ? null : copy.apply(op.other);
      switch (op.kind) {
        case "delete":
          restore(op.removed, at, staged);
          break;
        case "move":
          if (op.path.equals(op.other)) {
            break;
          }
          if (at != null && other != null) {
            Files.move(other, at);
          } else if (at != null) {
            throw new IOException("cannot undo a move out of the recorded directories: " + op);
          } else {
            removeTree(other);
          }
          restore(op.removed, other, staged);
          break;
        case "copy":
          removeTree(other);
          restore(op.removed, other, staged);
          break;
        case "setAttributes":
          if (at != null && Files.exists(at, NOFOLLOW) && !Files.isSymbolicLink(at)) {
            Files.setPosixFilePermissions(at, op.permissions);
          }
          break;
        default:
          removeTree(at);
      }
      for (Map.Entry<Path, FileTime> t : op.times.entrySet()) {
        Path p = copy.apply(t.getKey());
        if (p != null && Files.exists(p, NOFOLLOW)) {
          Files.setLastModifiedTime(p, t.getValue());
        }
      }
    }
  }

  private static void restore(Victim v, Path at, Map<Victim, Path> staged) throws IOException {
    if (v == null || at == null) {
      return;
    }
    if (v.linkTarget != null) {
      Files.createSymbolicLink(at, v.linkTarget);
    } else if (v.directory) {
      Files.createDirectory(at);
      Files.setPosixFilePermissions(at, v.permissions);
      Files.setLastModifiedTime(at, v.mtime);
    } else {
      Files.move(staged.get(v), at);
    }
  }

  private static void removeTree(Path p) throws IOException {
    if (p == null || !Files.exists(p, NOFOLLOW)) {
      return;
    }
    if (Files.isDirectory(p, NOFOLLOW)) {
      try (java.util.stream.Stream<Path> s = Files.list(p)) {
        for (Path child : (Iterable<Path>) s::iterator) {
          removeTree(child);
        }
      }
    }
    Files.delete(p);
  }
}
