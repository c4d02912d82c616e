package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.testing.Blob;
import dev.metamori.testing.Seeds;

import dev.metamori.Change.Kind;
import dev.metamori.Change.Range;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * {@code diff(a, b)}: what differs between two epochs, in either direction, on one line or on
 * different branches of the epoch tree.
 *
 * <p>System property {@code metamori.diff.examples} (default 40): random trees the property
 * builds. The default run is fixed: seed {@value #SEED}, 40 trees. A failure prints its seed
 * and the command that replays it ({@code -Dmetamori.seed=<seed>}, see {@link Seeds}; {@code
 * -DQT_SEED=<seed>} still works); {@code -Dmetamori.seed=random} (the {@code explore} Maven
 * profile) draws a fresh seed.
 */
class DiffTest extends TrackedTreeFixture {
  private static final int EXAMPLES = Integer.getInteger("metamori.diff.examples", 40);
  /** The default seed of the property; {@code -Dmetamori.seed} overrides it. */
  static final long SEED = 1831350140175557082L;

  /** The path string a change names for {@code rel}. */
  private String at(String rel) {
    return real(rel).toString();
  }

  private Set<Change> diff(long a, long b) throws IOException {
    return cp.diff(a, b).collect(Collectors.toSet());
  }

  @Test
  void filesCreatedDeletedMovedAndChangedWithTheirRanges() throws IOException {
    long base = cp.commit();
    try (FileChannel c = FileChannel.open(p("a.txt"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 5000); // block 1 of 4 KiB
    }
    Files.write(p("small.txt"), new byte[] {'!'}, StandardOpenOption.APPEND); // 6 -> 7 bytes
    Files.writeString(p("new.txt"), "fresh");
    Files.delete(p("b.bin"));
    long one = cp.commit();
    Files.move(p("dir"), p("moved"));
    Files.writeString(p("made-and-gone.txt"), "x");
    Files.delete(p("made-and-gone.txt"));
    long two = cp.commit();

    assertEquals(
        Set.of(
            new Change(Kind.CHANGED, at("a.txt"), null, 10_000, 10_000, List.of(new Range(4096, 4096))),
            new Change(Kind.CHANGED, at("small.txt"), null, 6, 7, List.of(new Range(6, 1))),
            new Change(Kind.CREATED, at("new.txt"), null, -1, 5, List.of()),
            new Change(Kind.DELETED, at("b.bin"), null, -1, -1, List.of())),
        diff(base, one));
    assertEquals(
        Set.of(new Change(Kind.MOVED, at("moved"), at("dir"), -1, -1, List.of())),
        diff(one, two));
    // backwards: creations become deletions, moves go the other way
    assertEquals(
        Set.of(
            new Change(Kind.MOVED, at("dir"), at("moved"), -1, -1, List.of()),
            new Change(Kind.DELETED, at("new.txt"), null, -1, -1, List.of()),
            new Change(Kind.CREATED, at("b.bin"), null, -1, 8192, List.of()),
            new Change(Kind.CHANGED, at("a.txt"), null, 10_000, 10_000, List.of(new Range(4096, 4096))),
            new Change(Kind.CHANGED, at("small.txt"), null, 7, 6, List.of(new Range(6, 1)))),
        diff(two, base));
    assertEquals(Set.of(), diff(two, two));
    assertThrows(NoSuchEpochException.class, () -> cp.diff(base, 99));
  }

  @Test
  void aFileChangedAfterItWasMovedKeepsItsRangesAndAfterSizeComesFromLaterEpochs() throws IOException {
    long base = cp.commit();
    Files.move(p("dir/c.txt"), p("c2.txt"));
    try (FileChannel c = FileChannel.open(p("c2.txt"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {9}), 100);
    }
    long one = cp.commit();
    try (FileChannel c = FileChannel.open(p("c2.txt"), StandardOpenOption.WRITE)) {
      c.truncate(10); // the size at epoch one is only in epoch two's record now
    }
    cp.commit();
    Files.write(p("c2.txt"), new byte[50]); // uncommitted, and still not the size at one
    assertEquals(
        Set.of(new Change(Kind.MOVED, at("c2.txt"), at("dir/c.txt"), 5000, 5000, List.of(new Range(0, 4096)))),
        diff(base, one));
  }


  @Test
  void regionsByPageAndObjectsByContent() throws IOException {
    MemoryRegion r = cp.region("grid", 5 * 4096);
    Blob blob = new Blob();
    cp.register("model", blob);
    blob.bytes = new byte[] {1, 2, 3};
    r.putLong(0, 1);
    long one = cp.commit();
    r.putLong(4096 * 2 + 10, 7);
    r.putLong(4096 * 3, 7);
    long two = cp.commit();
    r.putLong(4096 * 3, 0); // page 3 back as it was at one
    long three = cp.commit();
    blob.bytes = new byte[] {4};
    long four = cp.commit();

    assertEquals(
        Set.of(new Change(Kind.REGION_CHANGED, "grid", null, 5 * 4096, 5 * 4096, List.of(new Range(8192, 8192)))),
        diff(one, two));
    assertEquals(
        Set.of(new Change(Kind.REGION_CHANGED, "grid", null, 5 * 4096, 5 * 4096, List.of(new Range(8192, 4096)))),
        diff(one, three));
    assertEquals(
        Set.of(new Change(Kind.OBJECT_CHANGED, "model", null, 3, 1, List.of())), diff(three, four));
    assertEquals(
        Set.of(new Change(Kind.OBJECT_CHANGED, "model", null, 1, 3, List.of())), diff(four, three));
  }

  @Test
  void acrossBranchesAFileChangedOnOneAndDeletedOnTheOtherComesBackWithItsSize() throws IOException {
    long base = cp.commit();
    try (FileChannel c = FileChannel.open(p("dir/c.txt"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 4100); // block 1 of 4 KiB
      c.write(ByteBuffer.wrap(new byte[] {4}), 7000); // grows 5000 -> 7001
    }
    Files.write(p("small.txt"), new byte[] {'!'}, StandardOpenOption.APPEND);
    long left = cp.commit();
    Map<String, DiffOracle.Node> leftTree = DiffOracle.read(data);
    cp.restore(base);
    Files.delete(p("dir/c.txt"));
    Files.move(p("small.txt"), p("small2.txt"));
    Files.writeString(p("new.txt"), "right");
    long right = cp.commit();
    Map<String, DiffOracle.Node> rightTree = DiffOracle.read(data);

    assertEquals(
        Set.of(
            new Change(Kind.DELETED, at("dir/c.txt"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("small2.txt"), at("small.txt"), 7, 6, List.of(new Range(6, 1))),
            new Change(Kind.CREATED, at("new.txt"), null, -1, 5, List.of())),
        diff(left, right));
    assertEquals(
        Set.of(
            new Change(Kind.CREATED, at("dir/c.txt"), null, -1, 7001, List.of()),
            new Change(Kind.MOVED, at("small.txt"), at("small2.txt"), 6, 7, List.of(new Range(6, 1))),
            new Change(Kind.DELETED, at("new.txt"), null, -1, -1, List.of())),
        diff(right, left));
    DiffOracle.check(leftTree, rightTree, List.copyOf(cp.diff(left, right).toList()));
    // the left branch's sizes come from its redo file now that it is off the current line; and
    // back on it, from the disk
    cp.restore(left);
    DiffOracle.check(rightTree, leftTree, List.copyOf(cp.diff(right, left).toList()));
    Files.write(p("dir/c.txt"), new byte[3]); // uncommitted: not the size at left
    DiffOracle.check(rightTree, leftTree, List.copyOf(cp.diff(right, left).toList()));
  }

  @Test
  void theSizeAtAnEpochOfTheCurrentLineComesFromTheTrashWhenALaterEpochReplacedTheFile()
      throws IOException {
    long base = cp.commit();
    Files.write(p("small.txt"), new byte[] {'!', '!'}, StandardOpenOption.APPEND); // 6 -> 8
    Files.write(p("dir/sub/d.txt"), new byte[] {'!'}, StandardOpenOption.APPEND); // 4 -> 5
    long one = cp.commit();
    Files.move(p("b.bin"), p("small.txt"), StandardCopyOption.REPLACE_EXISTING);
    Files.move(p("dir/sub"), out("sub")); // d.txt's state at one is in the trash now
    Files.createDirectory(p("dir2"));
    Files.move(p("dir"), p("dir2/dir"));
    cp.commit();
    Files.delete(p("dir2/dir/c.txt")); // uncommitted
    assertEquals(
        Set.of(
            new Change(Kind.CHANGED, at("small.txt"), null, 6, 8, List.of(new Range(6, 2))),
            new Change(Kind.CHANGED, at("dir/sub/d.txt"), null, 4, 5, List.of(new Range(4, 1)))),
        diff(base, one));
    long two = cp.currentEpoch();
    cp.restore(one);
    try (FileChannel c = FileChannel.open(p("dir/c.txt"), StandardOpenOption.WRITE)) {
      c.truncate(100);
    }
    long three = cp.commit(); // a branch beside two
    cp.restore(two);
    // c.txt at three: from three's redo file (the truncation saved blocks 0 and 1); at two it
    // sits in the moved directory
    assertEquals(
        Set.of(
            new Change(Kind.DELETED, at("small.txt"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("small.txt"), at("b.bin"), -1, -1, List.of()),
            new Change(Kind.CREATED, at("dir2"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("dir2/dir"), at("dir"), -1, -1, List.of()),
            new Change(Kind.DELETED, at("dir/sub"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("dir2/dir/c.txt"), at("dir/c.txt"), 100, 5000, List.of(new Range(0, 5000)))),
        diff(three, two));
  }

  @Test
  void aDirectoryCreatedAndRemovedInAnEpochOffTheCurrentLineIsNotReported() throws IOException {
    long base = cp.commit();
    Files.createDirectory(p("new"));
    Files.move(p("small.txt"), p("new/small.txt"));
    Files.delete(p("new/small.txt")); // trashed: undoing it makes "new" again
    Files.delete(p("new")); // created in this epoch: removed for real, no record
    long one = cp.commit();
    Set<Change> expected = Set.of(new Change(Kind.DELETED, at("small.txt"), null, -1, -1, List.of()));
    assertEquals(expected, diff(base, one));
    cp.restore(base);
    assertEquals(expected, diff(base, one));
  }

  @Test
  void aDirectoryThatStayedWhileTheOneAboveItMovedAwayIsReportedAsMovedToItself() throws IOException {
    long base = cp.commit();
    Files.move(p("dir"), p("dir2"));
    Files.createDirectory(p("dir"));
    Files.move(p("empty"), p("dir/sub"));
    long left = cp.commit();
    cp.restore(base);
    Files.delete(p("dir/sub/d.txt"));
    Files.delete(p("dir/sub"));
    Files.move(p("empty"), p("dir/sub"));
    long right = cp.commit();
    // "empty" is dir/sub in both; the "dir" above it is another directory in each
    assertEquals(
        Set.of(
            new Change(Kind.DELETED, at("dir"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("dir"), at("dir2"), -1, -1, List.of()),
            new Change(Kind.DELETED, at("dir2/sub"), null, -1, -1, List.of()),
            new Change(Kind.DELETED, at("dir2/sub/d.txt"), null, -1, -1, List.of()),
            new Change(Kind.MOVED, at("dir/sub"), at("dir/sub"), -1, -1, List.of())),
        diff(left, right));
  }

  @Test
  void bothBranchesCreatingTheSamePathReportTwoDifferentFiles() throws IOException {
    long base = cp.commit();
    Files.writeString(p("same.txt"), "left");
    long left = cp.commit();
    cp.restore(base);
    Files.writeString(p("same.txt"), "the right one");
    long right = cp.commit();
    assertEquals(
        Set.of(
            new Change(Kind.DELETED, at("same.txt"), null, -1, -1, List.of()),
            new Change(Kind.CREATED, at("same.txt"), null, -1, 13, List.of())),
        diff(left, right));
  }

  @Test
  void aFileChangedUnderADirectoryMovedOnTheOtherBranch() throws IOException {
    long base = cp.commit();
    Files.move(p("dir"), p("moved"));
    long left = cp.commit();
    cp.restore(base);
    try (FileChannel c = FileChannel.open(p("dir/sub/d.txt"), StandardOpenOption.WRITE)) {
      c.truncate(2);
    }
    long right = cp.commit();
    assertEquals(
        Set.of(
            new Change(Kind.MOVED, at("dir"), at("moved"), -1, -1, List.of()),
            new Change(Kind.MOVED, at("dir/sub/d.txt"), at("moved/sub/d.txt"), 4, 2, List.of(new Range(0, 4)))),
        diff(left, right));
  }

  /**
   * Random trees of a few epochs (commits, restores to any epoch, a second branch, changes left
   * uncommitted): the diff of every pair of epochs holds against the trees of the two epochs,
   * from wherever the store stands.
   */
  @Test
  void diffsOfRandomTreesMatchTheTreesOfTheirEpochs() {
    long seed = Seeds.seed(SEED);
    Seeds.runTrials(
        "DiffTest.diffsOfRandomTreesMatchTheTreesOfTheirEpochs",
        seed,
        EXAMPLES,
        40,
        this::randomTree,
        "metamori.diff.examples=" + EXAMPLES);
  }

  private static final String[] FILES = {"f0", "f1", "d0/f2", "d0/f3", "d1/f4", "d0/e/f5"};
  private static final String[] DIRS = {"d0", "d1", "d0/e", "d2"};

  private void randomTree(List<Long> seeds) throws IOException {
    Path root = Files.createTempDirectory(tmp, "run");
    Path tree = Files.createDirectory(root.resolve("data"));
    Files.createDirectory(tree.resolve("d0"));
    Files.write(tree.resolve("f0"), bytes(9000, 1));
    Files.write(tree.resolve("d0/f2"), bytes(5000, 2));
    List<String> log = new ArrayList<>();
    try (Checkpointer c = Checkpointer.builder(root.resolve("store")).track(tree).open()) {
      Map<Long, Map<String, DiffOracle.Node>> trees = new TreeMap<>();
      trees.put(0L, DiffOracle.read(tree));
      for (long seed : seeds) {
        String done = step(c, tree, new Random(seed), trees);
        if (done != null) {
          log.add(done);
        }
      }
      checkAllPairs(c, trees, log, "uncommitted changes left");
      long to = trees.keySet().stream().skip(new Random(seeds.get(0)).nextInt(trees.size())).findFirst().get();
      c.restore(to);
      log.add("restore " + to);
      checkAllPairs(c, trees, log, "after restoring " + to);
    } finally {
      MoreFiles.deleteRecursively(root, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  private static void checkAllPairs(
      Checkpointer c, Map<Long, Map<String, DiffOracle.Node>> trees, List<String> log, String when)
      throws IOException {
    for (long a : trees.keySet()) {
      for (long b : trees.keySet()) {
        try {
          DiffOracle.check(trees.get(a), trees.get(b), c.diff(a, b).toList());
        } catch (AssertionError e) {
          throw new AssertionError("diff(" + a + ", " + b + ") " + when + ", after " + log + ":\n" + e.getMessage(), e);
        }
      }
    }
  }

  /** One random change, commit or restore; returns what it did, or null if it did nothing. */
  private static String step(
      Checkpointer c, Path tree, Random r, Map<Long, Map<String, DiffOracle.Node>> trees) throws IOException {
    FileSystem fs = c.fileSystem();
    String name = FILES[r.nextInt(FILES.length)];
    Path file = fs.getPath(tree.resolve(name).toString());
    int dice = r.nextInt(100);
    if (dice < 14) {
      long epoch = c.commit();
      trees.put(epoch, DiffOracle.read(tree));
      return "commit " + epoch;
    } else if (dice < 22) {
      long to = trees.keySet().stream().skip(r.nextInt(trees.size())).findFirst().get();
      c.restore(to);
      return "restore " + to;
    } else if (dice < 40 && Files.isRegularFile(file)) {
      long at = r.nextInt(3 * 4096);
      int length = 1 + r.nextInt(6000);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes(length, r.nextLong())), at);
      }
      return "write " + name + " " + at + "+" + length;
    } else if (dice < 48 && Files.isRegularFile(file)) {
      int length = 1 + r.nextInt(5000);
      Files.write(file, bytes(length, r.nextLong()), StandardOpenOption.APPEND);
      return "append " + name + " " + length;
    } else if (dice < 56 && Files.isRegularFile(file)) {
      long size = r.nextInt(9000);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(size);
      }
      return "truncate " + name + " " + size;
    } else if (dice < 66 && Files.isDirectory(file.getParent())) {
      int length = r.nextInt(9000);
      Files.write(file, bytes(length, r.nextLong()));
      return "replace " + name + " " + length;
    } else if (dice < 72 && Files.isRegularFile(file)) {
      Files.delete(file);
      return "delete " + name;
    } else if (dice < 82 && Files.isRegularFile(file)) {
      String other = FILES[r.nextInt(FILES.length)];
      Path target = fs.getPath(tree.resolve(other).toString());
      if (target.equals(file) || !Files.isDirectory(target.getParent()) || Files.isDirectory(target)) {
        return null;
      }
      Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
      return "move " + name + " " + other;
    }
    String dirName = DIRS[r.nextInt(DIRS.length)];
    Path dir = fs.getPath(tree.resolve(dirName).toString());
    if (dice < 88 && !Files.exists(dir) && Files.isDirectory(dir.getParent())) {
      Files.createDirectory(dir);
      return "mkdir " + dirName;
    } else if (dice < 95 && Files.isDirectory(dir)) {
      String otherName = DIRS[r.nextInt(DIRS.length)];
      Path other = fs.getPath(tree.resolve(otherName).toString());
      if (Files.exists(other) || !Files.isDirectory(other.getParent()) || other.startsWith(dir)) {
        return null;
      }
      Files.move(dir, other);
      return "move " + dirName + " " + otherName;
    } else if (Files.isDirectory(dir)) {
      List<Path> all;
      try (var walk = Files.walk(dir)) {
        all = new ArrayList<>(walk.toList());
      }
      all.sort(Comparator.reverseOrder());
      for (Path p : all) {
        Files.delete(p);
      }
      return "delete " + dirName;
    }
    return null;
  }
}
