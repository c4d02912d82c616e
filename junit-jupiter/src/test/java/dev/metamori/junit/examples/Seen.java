package dev.metamori.junit.examples;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What the example classes saw while the test kit ran them: each example writes here, the test
 * that ran it reads. The examples run one at a time, in the test's own thread.
 */
public final class Seen {
  private static final Map<String, Object> VALUES = new TreeMap<>();
  private static final List<Path> HOMES = new ArrayList<>();

  private Seen() {}

  public static void clear() {
    VALUES.clear();
    HOMES.clear();
  }

  public static void put(String key, Object value) {
    if (VALUES.putIfAbsent(key, value) != null) {
      throw new IllegalStateException(key + " was seen twice");
    }
  }

  public static boolean has(String key) {
    return VALUES.containsKey(key);
  }

  public static Object get(String key) {
    if (!VALUES.containsKey(key)) {
      throw new AssertionError(key + " was not seen; seen: " + VALUES.keySet());
    }
    return VALUES.get(key);
  }

  /** Notes the temporary directory that holds the store of {@code trackedDir}. */
  public static void home(Path trackedDir) {
    HOMES.add(Path.of(trackedDir.getParent().toString()));
  }

  public static List<Path> homes() {
    return List.copyOf(HOMES);
  }

  /** Every entry under {@code dir}: relative path to a file's text, or "/" for a directory. */
  public static Map<String, String> tree(Path dir) {
    Map<String, String> tree = new TreeMap<>();
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (!p.equals(dir)) {
          tree.put(
              dir.relativize(p).toString(),
              Files.isDirectory(p) ? "/" : Files.readString(p));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return tree;
  }
}
