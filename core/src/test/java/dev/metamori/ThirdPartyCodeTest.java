package dev.metamori;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Code written against plain {@code java.nio.file}, knowing nothing of checkpoints, runs on the
 * journaling file system and is rolled back exactly.
 */
class ThirdPartyCodeTest extends TrackedTreeFixture {

  /** Library-style routines: they only ever see {@link Path}s. */
  static final class PlainNio {
    private PlainNio() {}

    /** Replaces {@code target} atomically: writes a temporary sibling and renames it over. */
    static void atomicWrite(Path target, String content) throws IOException {
      Path temp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
      try {
        Files.writeString(temp, content);
        Files.move(temp, target, ATOMIC_MOVE, REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
    }

    static void copyTree(Path from, Path to) throws IOException {
      Files.walkFileTree(
          from,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
              Files.createDirectories(to.resolve(from.relativize(dir).toString()));
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Files.copy(file, to.resolve(from.relativize(file).toString()), COPY_ATTRIBUTES, REPLACE_EXISTING);
              return FileVisitResult.CONTINUE;
            }
          });
    }

    static void deleteTree(Path root) throws IOException {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              Files.delete(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    }

    /** Writes a listing of {@code dir} as a text report. */
    static void writeReport(Path dir, Path report) throws IOException {
      List<String> names;
      try (Stream<Path> s = Files.walk(dir)) {
        names = s.map(p -> dir.relativize(p).toString()).sorted().collect(Collectors.toList());
      }
      try (BufferedWriter w = Files.newBufferedWriter(report, StandardCharsets.UTF_8)) {
        for (String n : names) {
          w.write(n);
          w.newLine();
        }
      }
    }
  }

  private void runTheLibrary(String round) throws IOException {
    PlainNio.atomicWrite(p("small.txt"), "replaced atomically in round " + round);
    PlainNio.atomicWrite(p("dir/config.properties"), "round=" + round);
    PlainNio.copyTree(p("dir"), p("backup-" + round));
    PlainNio.deleteTree(p("dir/sub"));
    PlainNio.writeReport(p(""), p("report-" + round + ".txt"));
    Path scratch = Files.createTempDirectory(p("empty"), "work");
    Files.writeString(scratch.resolve("notes"), "scratch");
  }

  @Test
  void aLibraryUsingPlainNioIsRolledBackExactly() throws IOException {
    TreeSnapshot original = snapshot();
    long e0 = cp.commit();
    runTheLibrary("one");
    assertEquals("replaced atomically in round one", Files.readString(real("small.txt")));
    assertTrue(Files.exists(real("backup-one/sub/d.txt")));
    assertFalse(Files.exists(real("dir/sub")));
    assertTrue(Files.readString(real("report-one.txt")).contains("backup-one/c.txt"));
    long e1 = cp.commit();
    TreeSnapshot afterOne = snapshot();

    // the second round runs over the results of the first one
    PlainNio.copyTree(p("backup-one"), p("dir"));
    runTheLibrary("two");
    PlainNio.deleteTree(p("backup-one"));
    long e2 = cp.commit();
    TreeSnapshot afterTwo = snapshot();

    PlainNio.deleteTree(p("")); // everything, including the root, goes
    assertFalse(Files.exists(data));
    cp.rollback(e2);
    afterTwo.assertTreeMatches("rollback of deleting the whole tree");
    cp.rollback(e1);
    afterOne.assertTreeMatches("rollback to the first round");
    cp.rollback(e0);
    original.assertTreeMatches("rollback to before the library ran");
  }
}
