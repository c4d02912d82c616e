package dev.metamori.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Epoch;
import dev.metamori.NoSuchEpochException;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@link EpochView} on the cases a replay gets wrong most easily, each checked against real
 * restores ({@link EpochViewOracle#viewThenRestore}) and, where it says most, by reading the
 * view directly.
 */
class EpochViewTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create()
          .withTree(
              root -> {
                Files.write(root.resolve("a.txt"), bytes(10_000, 1));
                Files.write(root.resolve("b.bin"), bytes(8192, 2));
                Files.writeString(root.resolve("small.txt"), "hello\n");
                Files.createDirectories(root.resolve("dir/sub"));
                Files.write(root.resolve("dir/c.txt"), bytes(5000, 3));
                Files.writeString(root.resolve("dir/sub/d.txt"), "deep");
                Files.createDirectory(root.resolve("empty"));
                Files.createSymbolicLink(root.resolve("link"), root.getFileSystem().getPath("a.txt"));
                Files.setPosixFilePermissions(root.resolve("b.bin"), PosixFilePermissions.fromString("rw-------"));
                long t = 1_000_000_000L;
                List<Path> all = new ArrayList<>();
                try (Stream<Path> s = Files.walk(root)) {
                  s.forEach(all::add);
                }
                for (int i = all.size() - 1; i >= 0; i--) {
                  Files.getFileAttributeView(all.get(i), java.nio.file.attribute.BasicFileAttributeView.class, NOFOLLOW_LINKS)
                      .setTimes(FileTime.fromMillis(t += 61_000), null, null);
                }
              });

  private Checkpointer cp;
  private FileSystem fs;
  private Path data;

  @BeforeEach
  void open() throws IOException {
    cp = harness.cp();
    fs = cp.fileSystem();
    data = harness.root().toRealPath();
  }

  private Path path(String name) {
    return fs.getPath(data.resolve(name).toString());
  }

  private String real(String name) {
    return data.resolve(name).toString();
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(FileChannel c, long at, byte[] bytes) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.hasRemaining()) {
      c.write(b, at + b.position());
    }
  }

  /** Every epoch viewed from here, restored and compared; then viewed again from the last one restored. */
  private void checkEveryEpoch() throws IOException {
    List<Long> order = new ArrayList<>();
    for (Epoch e : cp.epochs()) {
      order.add(e.id());
    }
    Map<Long, Map<String, String>> restored =
        EpochViewOracle.viewThenRestore(cp, data, harness.store(), order);
    EpochViewOracle.viewAgain(cp, data, restored);
  }

  private static byte[] read(EpochView view, String path) throws IOException {
    EpochView.Node n = view.stat(path);
    ByteBuffer b = ByteBuffer.allocate((int) n.size());
    while (b.hasRemaining() && view.read(path, b.position(), b) >= 0) {}
    return b.array();
  }

  @Test
  void aFileTruncatedThenExtendedWithinAnEpochReadsZerosWhereTheCutWas() throws IOException {
    try (FileChannel c = FileChannel.open(path("a.txt"), StandardOpenOption.WRITE)) {
      c.truncate(3000);
      write(c, 8000, bytes(10, 7));
    }
    long one = cp.commit();
    try (FileChannel c = FileChannel.open(path("a.txt"), StandardOpenOption.WRITE)) {
      write(c, 100, bytes(9000, 8)); // over the zeros and beyond
    }
    cp.commit();
    byte[] atOne = read(EpochViewOracle.view(cp, one), real("a.txt"));
    assertEquals(8010, atOne.length);
    assertArrayEquals(java.util.Arrays.copyOf(bytes(10_000, 1), 3000), java.util.Arrays.copyOf(atOne, 3000));
    assertArrayEquals(new byte[5000], java.util.Arrays.copyOfRange(atOne, 3000, 8000));
    assertArrayEquals(bytes(10_000, 1), read(EpochViewOracle.view(cp, 0), real("a.txt")));
    checkEveryEpoch();
  }

  @Test
  void aDirectoryRenamedWithItsFilesChangedBeforeAndAfter() throws IOException {
    try (FileChannel c = FileChannel.open(path("dir/c.txt"), StandardOpenOption.WRITE)) {
      write(c, 4000, bytes(3000, 9));
    }
    Files.move(path("dir"), path("moved"));
    try (FileChannel c = FileChannel.open(path("moved/c.txt"), StandardOpenOption.WRITE)) {
      write(c, 0, bytes(100, 10));
      c.truncate(4500);
    }
    Files.writeString(path("moved/sub/d.txt"), "deeper");
    Files.setPosixFilePermissions(path("moved/sub"), PosixFilePermissions.fromString("rwx------"));
    cp.commit();
    Files.move(path("moved/sub"), path("sub"));
    Files.writeString(path("sub/new.txt"), "new");
    cp.commit();
    EpochView zero = EpochViewOracle.view(cp, 0);
    assertNull(zero.stat(real("moved")));
    assertArrayEquals(bytes(5000, 3), read(zero, real("dir/c.txt")));
    assertEquals(List.of("c.txt", "sub"), zero.list(real("dir")));
    checkEveryEpoch();
  }

  @Test
  void aRenameOverAnExistingFile() throws IOException {
    Files.move(path("small.txt"), path("a.txt"), StandardCopyOption.REPLACE_EXISTING);
    cp.commit();
    Files.writeString(path("a.txt"), "again", StandardOpenOption.APPEND);
    cp.commit();
    EpochView zero = EpochViewOracle.view(cp, 0);
    assertArrayEquals(bytes(10_000, 1), read(zero, real("a.txt")));
    assertArrayEquals("hello\n".getBytes(), read(zero, real("small.txt")));
    checkEveryEpoch();
  }

  @Test
  void aDirectoryDeletedWithItsContentsThenMadeAgainUnderTheSameName() throws IOException {
    MoreFiles.deleteRecursively(path("dir"), RecursiveDeleteOption.ALLOW_INSECURE);
    Files.createDirectory(path("dir"));
    Files.writeString(path("dir/c.txt"), "another c");
    long one = cp.commit();
    MoreFiles.deleteRecursively(path("dir"), RecursiveDeleteOption.ALLOW_INSECURE);
    cp.commit();
    assertEquals(List.of("c.txt"), EpochViewOracle.view(cp, one).list(real("dir")));
    assertEquals(List.of("c.txt", "sub"), EpochViewOracle.view(cp, 0).list(real("dir")));
    checkEveryEpoch();
  }

  @Test
  void anEpochOnABranchUndoneIsViewedFromItsParentAndFromTheOtherBranch() throws IOException {
    Files.writeString(path("branch.txt"), "on the branch");
    try (FileChannel c = FileChannel.open(path("b.bin"), StandardOpenOption.WRITE)) {
      write(c, 10, bytes(5000, 11));
    }
    Files.move(path("dir/sub"), path("empty/sub"));
    long branch = cp.commit();
    cp.restore(0);
    Files.writeString(path("other.txt"), "on the other branch");
    Files.delete(path("small.txt"));
    long other = cp.commit();
    cp.restore(0);
    EpochView fromParent = EpochViewOracle.view(cp, branch);
    assertEquals("on the branch", new String(read(fromParent, real("branch.txt"))));
    assertNull(fromParent.stat(real("other.txt")));
    cp.restore(other);
    EpochView fromOther = EpochViewOracle.view(cp, branch);
    assertEquals(List.of("sub"), fromOther.list(real("empty")));
    assertEquals("hello\n", new String(read(fromOther, real("small.txt"))));
    checkEveryEpoch();
  }

  @Test
  void linksAreEntriesOfTheirOwnNeverFollowed() throws IOException {
    Files.delete(path("link"));
    Files.createSymbolicLink(path("link"), fs.getPath("dir/c.txt"));
    Files.createSymbolicLink(path("dir/dangling"), fs.getPath("../nowhere"));
    long one = cp.commit();
    Files.delete(path("dir/dangling"));
    cp.commit();
    EpochView.Node link = EpochViewOracle.view(cp, 0).stat(real("link"));
    assertEquals(EpochView.Kind.LINK, link.kind());
    assertEquals("a.txt", link.linkTarget());
    assertEquals("../nowhere", EpochViewOracle.view(cp, one).stat(real("dir/dangling")).linkTarget());
    checkEveryEpoch();
  }

  @Test
  void twoNamesOfOneFileChangeTogether() throws IOException {
    Files.createLink(path("hard"), path("a.txt"));
    long one = cp.commit();
    try (FileChannel c = FileChannel.open(path("hard"), StandardOpenOption.WRITE)) {
      write(c, 5000, bytes(2000, 12));
    }
    cp.commit();
    try (FileChannel c = FileChannel.open(path("a.txt"), StandardOpenOption.WRITE)) {
      c.truncate(100);
    }
    Files.delete(path("hard"));
    cp.commit();
    EpochView view = EpochViewOracle.view(cp, one);
    assertArrayEquals(bytes(10_000, 1), read(view, real("hard")));
    assertArrayEquals(bytes(10_000, 1), read(view, real("a.txt")));
    checkEveryEpoch();
  }

  @Test
  void theWorkingEpochsChangesAreNotInTheCurrentEpochsView() throws IOException {
    Files.writeString(path("small.txt"), "committed");
    long one = cp.commit();
    Map<String, String> committed = EpochViewOracle.snapshot(data);
    Files.writeString(path("small.txt"), "not committed");
    Files.writeString(path("fresh.txt"), "not committed");
    MoreFiles.deleteRecursively(path("dir"), RecursiveDeleteOption.ALLOW_INSECURE);
    Files.setLastModifiedTime(path("a.txt"), FileTime.fromMillis(5));
    Map<String, String> live = EpochViewOracle.snapshot(data);
    EpochView view = EpochViewOracle.view(cp, one);
    EpochViewOracle.same("the current epoch", committed, EpochViewOracle.snapshot(view, data), true);
    EpochViewOracle.same("the live tree", live, EpochViewOracle.snapshot(data), true);
    assertNotEquals(committed, live);
    checkEveryEpoch();
  }

  @Test
  void aDirectoryMadeAndRemovedWithinAnEpochThenItsParentReplacedByAFile() throws IOException {
    Files.createDirectory(path("empty/w"));
    Files.move(path("small.txt"), path("empty/w/m"));
    Files.delete(path("empty/w/m"));
    Files.delete(path("empty/w"));
    Files.delete(path("empty"));
    Files.writeString(path("empty"), "a file now");
    cp.commit();
    // redone from epoch 0 (the restore must not look for a directory under the file)
    checkEveryEpoch();
  }

  @Test
  void excludedPathsAndTheStoreAreNotListed() throws IOException {
    cp.commit();
    EpochView view;
    synchronized (cp) {
      view =
          EpochView.at(
              EpochViewOracle.journal(cp), EpochViewOracle.delegate(cp), 0, p -> p.endsWith("/small.txt"));
    }
    List<String> names = view.list(data.toString());
    assertTrue(names.contains("a.txt"));
    assertTrue(!names.contains("small.txt"), names.toString());
  }

  @Test
  void anEpochTheStoreDoesNotListIsRefused() {
    NoSuchEpochException e = assertThrows(NoSuchEpochException.class, () -> EpochViewOracle.view(cp, 42));
    assertTrue(e.getMessage().contains("42"), e.getMessage());
  }

  @Test
  void aMissingTrashEntryIsReportedAsDamage() throws IOException {
    Files.delete(path("small.txt"));
    cp.commit();
    Path trash = harness.store().resolve("trash");
    List<Path> entries;
    try (Stream<Path> s = Files.walk(trash)) {
      entries = s.filter(Files::isRegularFile).toList();
    }
    assertEquals(1, entries.size(), entries.toString());
    Files.delete(entries.get(0));
    harness.skipVerifyAfter("a trash entry is deleted on purpose");
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> EpochViewOracle.view(cp, 0));
    assertTrue(e.getMessage().contains("missing"), e.getMessage());
  }

  @Test
  void aMissingRedoFileIsReportedAsDamage() throws IOException {
    Files.writeString(path("small.txt"), "changed");
    long one = cp.commit();
    cp.restore(0);
    List<Path> redo;
    try (Stream<Path> s = Files.walk(harness.store())) {
      redo = s.filter(p -> p.getFileName().toString().endsWith(".redo")).toList();
    }
    assertEquals(1, redo.size(), redo.toString());
    Files.delete(redo.get(0));
    harness.skipVerifyAfter("a redo file is deleted on purpose");
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> EpochViewOracle.view(cp, one));
    assertTrue(e.getMessage().contains("redo"), e.getMessage());
    EpochViewOracle.view(cp, 0); // the current epoch needs no redo file
  }

  @Test
  void excludedEntriesInsideTrackedDirectoriesAreLeftOutWhereverTheDirectoriesWent(
      @org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
    Path root = Files.createDirectory(tmp.resolve("data")).toRealPath();
    Path store = tmp.resolve("store");
    try (Checkpointer c = Checkpointer.builder(store).track(root).exclude("*.tmp").open()) {
      FileSystem f = c.fileSystem();
      java.util.function.Function<String, Path> at = rel -> f.getPath(root.resolve(rel).toString());
      Files.createDirectory(at.apply("made"));
      Files.writeString(at.apply("made/tracked"), "t");
      Files.writeString(at.apply("made/scratch.tmp"), "s");
      long one = c.commit();
      Files.move(at.apply("made"), at.apply("moved"));
      Files.writeString(at.apply("moved/tracked"), "t2", StandardOpenOption.APPEND);
      c.commit();
      MoreFiles.deleteRecursively(at.apply("moved"), RecursiveDeleteOption.ALLOW_INSECURE);
      c.commit();
      java.util.function.Predicate<String> excluded = p -> p.startsWith(root + "/") && p.endsWith(".tmp");
      List<Long> order = new ArrayList<>();
      for (Epoch e : c.epochs()) {
        order.add(e.id());
      }
      Map<Long, Map<String, String>> viewed = new java.util.TreeMap<>();
      for (long e : order) {
        EpochView view;
        synchronized (c) {
          view = EpochView.at(EpochViewOracle.journal(c), EpochViewOracle.delegate(c), e, excluded);
        }
        viewed.put(e, EpochViewOracle.snapshot(view, root));
      }
      assertEquals("directory", viewed.get(one).get("made").split(" ")[0]);
      assertNull(viewed.get(one).get("made/scratch.tmp"));
      for (long e : order) {
        c.restore(e);
        Map<String, String> restored = EpochViewOracle.snapshot(root);
        restored.keySet().removeIf(k -> k.endsWith(".tmp"));
        // an excluded entry changes its directory's time unjournaled: times of directories differ
        EpochViewOracle.same("epoch " + e + " without its excluded entries", restored, viewed.get(e), false);
      }
    }
  }
}
