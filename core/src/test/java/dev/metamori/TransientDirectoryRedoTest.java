package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * An epoch that creates a directory and removes it again, with an older file passing through it:
 * undoing the epoch makes the directory again for the file's way back, and its redo file says
 * to remove it. Restoring forward to the epoch must leave every directory with the time the
 * epoch left it, not the time of the restore (the removal changes the parent), whatever way the
 * restore takes, and wherever a crash stopped the redo; and a commit after it must record the
 * same.
 */
class TransientDirectoryRedoTest {
  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().withTree(TransientDirectoryRedoTest::fill);

  /** The changes of the epoch under test; {@code path} resolves a name below the tracked root. */
  private interface Changes {
    void make(Function<String, Path> path) throws IOException;
  }

  /** A file moved into a directory the epoch made, deleted there, and the directory removed. */
  private static final Changes DELETED_THERE =
      path -> {
        Files.createDirectory(path.apply("p/t"));
        Files.move(path.apply("f"), path.apply("p/t/m"));
        Files.delete(path.apply("p/t/m"));
        Files.delete(path.apply("p/t"));
        oldTimes(path);
      };

  private static void fill(Path root) throws IOException {
    Files.writeString(root.resolve("f"), "old file");
    Files.createDirectories(root.resolve("p/q"));
    Files.writeString(root.resolve("p/g"), "another");
    oldTimes(root::resolve);
  }

  /**
   * Sets every entry of the tree to a distinct time in 2001, far from any restore's; {@code
   * path} resolves a name below the root (through the checkpointer once it is open).
   */
  private static void oldTimes(Function<String, Path> path) throws IOException {
    long t = 1_000_000_000_000L;
    for (String name : new String[] {"f", "p/g", "p/q", "p", "."}) {
      Path p = path.apply(name);
      if (Files.exists(p)) {
        Files.setLastModifiedTime(p, FileTime.fromMillis(t += 61_000));
      }
    }
  }

  @Test
  void aFileMovedIntoAnEpochsOwnDirectoryAndDeletedThere(Checkpointer cp) throws IOException {
    restoresAreExact(cp, DELETED_THERE);
  }

  @Test
  void aFileMovedThroughNestedDirectoriesOfTheEpoch(Checkpointer cp) throws IOException {
    restoresAreExact(
        cp,
        path -> {
          Files.createDirectories(path.apply("p/t/u"));
          Files.move(path.apply("f"), path.apply("p/t/u/m"));
          Files.writeString(path.apply("p/t/u/m"), "changed there");
          Files.move(path.apply("p/t/u/m"), path.apply("p/q/m"));
          Files.delete(path.apply("p/t/u"));
          Files.delete(path.apply("p/t"));
          oldTimes(path);
        });
  }

  @Test
  void theParentChangedAgainLaterInTheEpoch(Checkpointer cp) throws IOException {
    restoresAreExact(
        cp,
        path -> {
          Files.createDirectory(path.apply("p/t"));
          Files.move(path.apply("p/g"), path.apply("p/t/m"));
          Files.delete(path.apply("p/t/m"));
          Files.delete(path.apply("p/t"));
          oldTimes(path);
          Files.writeString(path.apply("p/later"), "made after the directory went");
          Files.setLastModifiedTime(path.apply("p/later"), FileTime.fromMillis(1_100_000_000_000L));
          Files.setLastModifiedTime(path.apply("p"), FileTime.fromMillis(1_200_000_000_000L));
        });
  }

  /**
   * Commits {@code changes} as an epoch, then checks the tree after restores to it by every
   * way: forward, forward to an epoch committed after a redo, across from a sibling.
   */
  private void restoresAreExact(Checkpointer cp, Changes changes) throws IOException {
    Path root = harness.root();
    long before = cp.commit();
    changes.make(harness::path);
    TreeSnapshot expected = TreeSnapshot.exact(root);
    long epoch = cp.commit();
    cp.restore(before);
    cp.restore(epoch);
    assertSame(expected, root, "restore forward from epoch " + before + " to epoch " + epoch);
    // a commit now records what the restore left; the route back to it must not matter
    long again = cp.commit();
    cp.restore(before);
    cp.restore(again);
    assertSame(expected, root, "restore forward to epoch " + again + ", committed after the redo");
    cp.restore(before);
    Files.writeString(harness.path("sibling"), "s");
    long sibling = cp.commit();
    cp.restore(epoch);
    assertSame(expected, root, "restore across from epoch " + sibling + " to epoch " + epoch);
    cp.restore(before);
    cp.restore(again);
    assertSame(expected, root, "restore forward to epoch " + again + " again");
  }

  /**
   * The redo of the epoch stopped by an I/O error at each of its calls in turn (the
   * checkpointer stops), then finished by a reopen and the restore made again: the tree ends
   * exactly as the epoch left it wherever the redo stopped (between a removal and the
   * attributes it changes too), with both durabilities that keep the redo's progress.
   */
  @Test
  void aRedoStoppedAtAnyCallEndsExactOnceFinished(@TempDir Path tmp) throws IOException {
    for (Durability durability : new Durability[] {Durability.PROCESS, Durability.SYSTEM}) {
      long clean = Long.MAX_VALUE;
      int stopped = 0;
      for (long k = 0; k <= clean; k++) { // k = 0: the clean run, which counts the redo's calls
        Path dir = Files.createTempDirectory(tmp, durability + "-" + k);
        Path root = Files.createDirectory(dir.resolve("data"));
        Path store = dir.resolve("store");
        fill(root);
        FaultyFileSystem faulty = FaultyFileSystem.create();
        Checkpointer cp = open(faulty, store, root, durability);
        long before = cp.commit();
        FileSystem fs = cp.fileSystem();
        DELETED_THERE.make(n -> fs.getPath(root.resolve(n).toString()));
        TreeSnapshot expected = TreeSnapshot.exact(root);
        long epoch = cp.commit();
        cp.restore(before);
        long start = faulty.calls();
        if (k > 0) {
          faulty.failAt(start + k, FaultyFileSystem.Fault.IO_ERROR, false);
        }
        try {
          cp.restore(epoch);
        } catch (IOException | RuntimeException e) {
          stopped++;
        }
        faulty.disarm();
        if (k == 0) {
          clean = faulty.calls() - start;
        }
        try {
          cp.close();
        } catch (IOException | RuntimeException ignored) {
          // a checkpointer stopped by the fault; the reopen below is what is checked
        }
        try (Checkpointer again = open(root.getFileSystem(), store, root, durability)) {
          again.restore(epoch);
          assertSame(expected, root, durability + ", the redo stopped at its call " + k + " of " + clean);
        }
      }
      assertTrue(stopped > clean / 2, durability + ": only " + stopped + " of " + clean + " faults stopped the redo");
    }
  }

  private static Checkpointer open(FileSystem fs, Path store, Path root, Durability durability)
      throws IOException {
    return Checkpointer.builder(fs.getPath(store.toString()))
        .track(fs.getPath(root.toString()))
        .durability(durability)
        .open();
  }

  private static void assertSame(TreeSnapshot expected, Path root, String what) throws IOException {
    TreeSnapshot actual = TreeSnapshot.exact(root);
    assertEquals(expected, actual, () -> what + ": " + expected.describeDifferences(actual));
  }
}
