package dev.metamori.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.Checkpointer;
import dev.metamori.internal.fs.Tracker;
import dev.metamori.internal.journal.Journal;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What the tests compare an {@link EpochView} with: the same one-line description of every
 * entry below a root (kind, size, SHA-256 of the bytes, last-modified time, permissions, link
 * target), read from a view or from the real tree a restore left; and a listing of the store's
 * files, to tell that making and reading a view wrote nothing.
 */
final class EpochViewOracle {
  private EpochViewOracle() {}

  static Journal journal(Checkpointer cp) {
    return (Journal) field(cp, "journal");
  }

  static FileSystem delegate(Checkpointer cp) {
    return ((Tracker) field(cp, "tracker")).delegate();
  }

  private static Object field(Object owner, String name) {
    try {
      Field f = owner.getClass().getDeclaredField(name);
      f.setAccessible(true);
      return f.get(owner);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  /** A view of {@code epoch}, made as the checkpointer's own operations run: under its lock. */
  static EpochView view(Checkpointer cp, long epoch) throws IOException {
    synchronized (cp) {
      return EpochView.at(journal(cp), delegate(cp), epoch);
    }
  }

  /** Every entry below {@code root} (a real path) in the view, and the root itself as ".". */
  static TreeMap<String, String> snapshot(EpochView view, Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    walk(view, root.toString(), ".", out);
    return out;
  }

  private static void walk(EpochView view, String path, String rel, Map<String, String> out) throws IOException {
    EpochView.Node n = view.stat(path);
    if (n == null) {
      out.put(rel, "<absent>");
      return;
    }
    String what;
    if (n.kind() == EpochView.Kind.FILE) {
      MessageDigest sha = sha256();
      ByteBuffer buffer = ByteBuffer.allocate(3000); // not a block multiple: reads straddle blocks
      long pos = 0;
      for (int k; (k = view.read(path, pos, buffer.clear())) >= 0; pos += k) {
        sha.update(buffer.flip());
      }
      if (pos != n.size()) {
        throw new AssertionError(path + ": read " + pos + " bytes of a file of " + n.size());
      }
      what = "file " + n.size() + " " + HexFormat.of().formatHex(sha.digest());
    } else if (n.kind() == EpochView.Kind.LINK) {
      what = "link -> " + n.linkTarget();
    } else {
      what = n.kind().name().toLowerCase(java.util.Locale.ROOT);
    }
    out.put(rel, what + " mtime " + n.modifiedNanos() + " mode " + Integer.toOctalString(n.permissions()));
    if (n.kind() == EpochView.Kind.DIRECTORY) {
      List<String> names = view.list(path);
      if (!new ArrayList<>(new TreeSet<>(names)).equals(names)) {
        throw new AssertionError(path + ": list() not sorted or with duplicates: " + names);
      }
      for (String name : names) {
        walk(view, path + "/" + name, rel.equals(".") ? name : rel + "/" + name, out);
      }
    }
  }

  /** The same description of the real tree at {@code root}. */
  static TreeMap<String, String> snapshot(Path root) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    walk(root, ".", out);
    return out;
  }

  private static void walk(Path path, String rel, Map<String, String> out) throws IOException {
    PosixFileAttributes a = Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
    String what;
    if (a.isRegularFile()) {
      MessageDigest sha = sha256();
      sha.update(Files.readAllBytes(path));
      what = "file " + a.size() + " " + HexFormat.of().formatHex(sha.digest());
    } else if (a.isSymbolicLink()) {
      what = "link -> " + Files.readSymbolicLink(path);
    } else if (a.isDirectory()) {
      what = "directory";
    } else {
      what = "other";
    }
    int mode = EpochViewNode.bits(a.permissions());
    out.put(rel, what + " mtime " + a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + " mode " + Integer.toOctalString(mode));
    if (a.isDirectory()) {
      List<Path> children = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(path)) {
        s.forEach(children::add);
      }
      for (Path c : children) {
        String name = c.getFileName().toString();
        walk(c, rel.equals(".") ? name : rel + "/" + name, out);
      }
    }
  }

  /** Every file and directory of the store with its size and last-modified time. */
  static TreeMap<String, String> storeListing(Path store) throws IOException {
    TreeMap<String, String> out = new TreeMap<>();
    try (Stream<Path> s = Files.walk(store)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS);
        out.put(store.relativize(p).toString(), (a.isDirectory() ? "dir" : a.size() + " bytes") + " " + a.lastModifiedTime());
      }
    }
    return out;
  }

  /** The differences between two descriptions, one line each; empty if they are equal. */
  static List<String> differences(Map<String, String> expected, Map<String, String> actual) {
    List<String> out = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(expected.keySet());
    names.addAll(actual.keySet());
    for (String name : names) {
      String e = expected.getOrDefault(name, "<absent>");
      String x = actual.getOrDefault(name, "<absent>");
      if (!e.equals(x)) {
        out.add(name + ": expected " + e + " but was " + x);
      }
    }
    return out;
  }

  /**
   * Views every epoch the store lists and checks that this changed neither the tree at {@code
   * data} nor the store; then restores each epoch in {@code order} and compares the tree with the
   * view. Returns the trees the restores left.
   */
  static Map<Long, Map<String, String>> viewThenRestore(
      Checkpointer cp, Path data, Path store, List<Long> order) throws IOException {
    Map<String, String> tree = snapshot(data);
    Map<String, String> storeFiles = storeListing(store);
    Map<Long, Map<String, String>> viewed = new TreeMap<>();
    for (long e : order) {
      viewed.put(e, snapshot(view(cp, e), data));
    }
    same("the live tree after the views", tree, snapshot(data), true);
    same("the store after the views", storeFiles, storeListing(store), true);
    Map<Long, Map<String, String>> restored = new TreeMap<>();
    for (long e : order) {
      cp.restore(e);
      restored.put(e, snapshot(data));
      same("epoch " + e + " as viewed before the restores", restored.get(e), viewed.get(e), true);
    }
    return restored;
  }

  /** Views every epoch of {@code restored} again and compares it with the tree its restore left. */
  static void viewAgain(Checkpointer cp, Path data, Map<Long, Map<String, String>> restored) throws IOException {
    for (Map.Entry<Long, Map<String, String>> e : restored.entrySet()) {
      same("epoch " + e.getKey() + " viewed again from epoch " + cp.currentEpoch(), e.getValue(),
          snapshot(view(cp, e.getKey()), data), true);
    }
  }

  static void same(String what, Map<String, String> expected, Map<String, String> actual, boolean directoryTimes) {
    List<String> diff =
        directoryTimes
            ? differences(expected, actual)
            : differences(withoutDirectoryTimes(expected), withoutDirectoryTimes(actual));
    if (!diff.isEmpty()) {
      throw new AssertionError(what + ":\n    " + String.join("\n    ", diff));
    }
  }

  /** {@code snapshot} without the times of directories. */
  static Map<String, String> withoutDirectoryTimes(Map<String, String> snapshot) {
    Map<String, String> out = new TreeMap<>();
    snapshot.forEach((k, v) -> out.put(k, v.startsWith("directory ") ? v.replaceFirst(" mtime [0-9-]+", "") : v));
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
