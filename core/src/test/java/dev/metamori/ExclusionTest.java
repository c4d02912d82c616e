package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.Seeds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Excluded paths ({@code Builder.exclude}): not journaled, left alone by restores, not outside
 * changes; the store keeps its exclusions. The last test compares random operation sequences on
 * tracked and excluded paths with a model.
 */
class ExclusionTest {
  private static final List<String> GLOBS = List.of("cache", "*.tmp", "**/*.tmp");

  @TempDir Path tmp;

  private Path data() throws IOException {
    return Files.createDirectories(tmp.resolve("data"));
  }

  private Checkpointer open(String... globs) throws IOException {
    Checkpointer.Builder b = Checkpointer.builder(tmp.resolve("store")).track(data());
    for (String g : globs) {
      b.exclude(g);
    }
    return b.open();
  }

  private Path in(Checkpointer cp, String rel) {
    return cp.fileSystem().getPath(tmp.resolve("data").resolve(rel).toString());
  }

  @Test
  void excludedPathsAreNotJournaledAndRestoresLeaveThemAsTheyAre() throws Exception {
    try (Checkpointer cp = open(GLOBS.toArray(new String[0]))) {
      Files.createDirectories(in(cp, "cache/deep"));
      Files.createDirectories(in(cp, "d"));
      Files.writeString(in(cp, "a"), "a1");
      Files.writeString(in(cp, "cache/deep/x"), "x1");
      Files.writeString(in(cp, "d/f.tmp"), "f1");
      Files.writeString(in(cp, "e.tmp"), "e1");
      long first = cp.commit();
      Files.writeString(in(cp, "a"), "a2");
      Files.writeString(in(cp, "cache/deep/x"), "x2");
      Files.delete(in(cp, "d/f.tmp"));
      Files.writeString(in(cp, "e.tmp"), "e2", StandardOpenOption.APPEND);
      Files.writeString(in(cp, "cache/new"), "n");
      // changes behind the journal's back on excluded paths are not outside changes
      Files.writeString(tmp.resolve("data/cache/deep/x"), "x3");
      assertEquals(List.of(), cp.status());
      cp.rollback(first);
      assertEquals("a1", Files.readString(in(cp, "a")));
      assertEquals("x3", Files.readString(in(cp, "cache/deep/x")));
      assertEquals("n", Files.readString(in(cp, "cache/new")));
      assertFalse(Files.exists(in(cp, "d/f.tmp")), "a restore does not bring an excluded file back");
      assertEquals("e1e2", Files.readString(in(cp, "e.tmp")));
      assertTrue(cp.diff(0, cp.currentEpoch()).noneMatch(c -> c.path().contains("cache") || c.path().endsWith(".tmp")));
    }
  }

  @Test
  void aRestoreThatRemovesATrackedDirectoryTakesTheExcludedEntriesInItAlongAndARedoBringsThemBack()
      throws Exception {
    try (Checkpointer cp = open(GLOBS.toArray(new String[0]))) {
      long base = cp.commit();
      Files.createDirectories(in(cp, "made"));
      Files.writeString(in(cp, "made/tracked"), "t");
      Files.writeString(in(cp, "made/scratch.tmp"), "s");
      long made = cp.commit();
      cp.rollback(base);
      assertFalse(Files.exists(in(cp, "made")));
      assertEquals(List.of(), cp.status());
      cp.rollback(made);
      assertEquals("t", Files.readString(in(cp, "made/tracked")));
      assertEquals("s", Files.readString(in(cp, "made/scratch.tmp")));
    }
  }

  @Test
  void theStoreKeepsItsExclusionsAndRefusesOthers() throws Exception {
    try (Checkpointer cp = open("cache", "*.tmp")) {
      assertEquals(List.of("cache", "*.tmp"), cp.exclusions());
    }
    assertEquals(
        PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(tmp.resolve("store").resolve("exclusions")));
    try (Checkpointer cp = Checkpointer.builder(tmp.resolve("store")).open()) {
      assertEquals(List.of("cache", "*.tmp"), cp.exclusions(), "reopened without any: the store's own");
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> open("cache"));
    assertTrue(e.getMessage().contains("was created with the exclusions [cache, *.tmp]"), e.getMessage());
    Files.createDirectories(tmp.resolve("other-data"));
    Checkpointer.builder(tmp.resolve("plain")).track(tmp.resolve("other-data")).open().close();
    IllegalArgumentException late =
        assertThrows(
            IllegalArgumentException.class,
            () -> Checkpointer.builder(tmp.resolve("plain")).track(tmp.resolve("other-data")).exclude("cache").open());
    assertTrue(late.getMessage().contains("exclusions cannot change"), late.getMessage());
  }

  @Test
  void badGlobsAreRefusedAtOnce() {
    Checkpointer.Builder b = Checkpointer.builder(tmp.resolve("store"));
    for (String bad : new String[] {"", "/abs/**", "../up", "a/../../b", "[unclosed"}) {
      assertThrows(IllegalArgumentException.class, () -> b.exclude(bad), bad);
    }
    b.exclude("cache");
    assertThrows(IllegalArgumentException.class, () -> b.exclude("cache"));
  }

  private static final String[] TRACKED = {"a", "b", "d/c"};
  private static final String[] EXCLUDED = {"cache/x", "cache/y", "e.tmp", "d/f.tmp"};

  /**
   * Random writes, appends and deletes of tracked and excluded files, commits and restores to
   * random epochs: the tracked files are those of the epoch restored, the excluded ones those
   * last written, whatever the restores did.
   */
  @Test
  void randomOperationsOnTrackedAndExcludedPathsMatchTheModel() throws Exception {
    long seed = Seeds.seed(20261207L);
    Seeds.run(
        "ExclusionTest.randomOperationsOnTrackedAndExcludedPathsMatchTheModel",
        seed,
        () -> {
          for (int trial = 0; trial < 8; trial++) {
            try {
              trial(new Random(Seeds.trialSeed(seed, trial)), tmp.resolve("t" + trial));
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          }
        });
  }

  private static void trial(Random random, Path dir) throws IOException {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.createDirectories(data.resolve("d"));
    Files.createDirectories(data.resolve("cache"));
    Checkpointer.Builder b = Checkpointer.builder(dir.resolve("store")).track(data);
    GLOBS.forEach(b::exclude);
    Map<Long, Map<String, String>> epochs = new HashMap<>();
    Map<String, String> tracked = new TreeMap<>();
    Map<String, String> excluded = new TreeMap<>();
    try (Checkpointer cp = b.open()) {
      FileSystem fs = cp.fileSystem();
      epochs.put(cp.currentEpoch(), new TreeMap<>(tracked));
      List<Long> ids = new ArrayList<>(List.of(cp.currentEpoch()));
      for (int step = 0; step < 60; step++) {
        boolean ex = random.nextBoolean();
        String name = ex ? EXCLUDED[random.nextInt(EXCLUDED.length)] : TRACKED[random.nextInt(TRACKED.length)];
        Map<String, String> model = ex ? excluded : tracked;
        Path p = fs.getPath(data.resolve(name).toString());
        int op = random.nextInt(10);
        if (op < 3) {
          String v = "v" + random.nextInt(1000);
          Files.writeString(p, v);
          model.put(name, v);
        } else if (op < 5) {
          String v = "+" + random.nextInt(10);
          Files.writeString(p, v, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          model.merge(name, v, String::concat);
        } else if (op < 6) {
          Files.deleteIfExists(p);
          model.remove(name);
        } else if (op < 8) {
          long id = cp.commit();
          ids.add(id);
          epochs.put(id, new TreeMap<>(tracked));
        } else {
          long target = ids.get(random.nextInt(ids.size()));
          cp.rollback(target);
          tracked.clear();
          tracked.putAll(epochs.get(target));
        }
        assertEquals(tracked, read(data, false), "tracked files after step " + step);
        assertEquals(excluded, read(data, true), "excluded files after step " + step);
      }
    }
  }

  private static Map<String, String> read(Path data, boolean excluded) throws IOException {
    Map<String, String> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(data)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (Files.isRegularFile(p)) {
          String rel = data.relativize(p).toString();
          boolean isExcluded = rel.startsWith("cache/") || rel.endsWith(".tmp");
          if (isExcluded == excluded) {
            out.put(rel, Files.readString(p, StandardCharsets.UTF_8));
          }
        }
      }
    }
    return out;
  }
}
