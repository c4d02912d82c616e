package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.OutsideChange.Kind;
import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Changes made to the tracked tree behind the checkpointer's back (by another program, through
 * the default file system) are found by {@link Checkpointer#status()} and make a restore refuse,
 * naming the path, with the tree and the current epoch unchanged; changes made through the
 * checkpointer, committed or not, restored or recovered, never count.
 */
class OutsideChangesTest {
  /** Only files whose times fall in the clock tick of their stat are hashed, as in production. */
  @org.junit.jupiter.api.BeforeAll
  static void hashOnlyWhatTheClockCannotTell() {
    System.clearProperty("metamori.witness.hashAll");
  }

  @RegisterExtension
  final StoreExtension store = StoreExtension.create().withTree(OutsideChangesTest::fill);

  private static void fill(Path root) throws IOException {
    Files.writeString(root.resolve("a.txt"), "alpha, epoch 0\n");
    Files.writeString(root.resolve("b.txt"), "bravo, epoch 0\n".repeat(500));
    Files.createDirectories(root.resolve("d/e"));
    Files.writeString(root.resolve("d/e/c.txt"), "charlie\n");
    Files.createSymbolicLink(root.resolve("link"), root.getFileSystem().getPath("a.txt"));
  }

  /** Commits twice through the checkpointer: epoch 1 and epoch 2, with a.txt changed in each. */
  private long[] history(Checkpointer cp) throws IOException {
    long e1 = cp.commit();
    Files.writeString(store.path("a.txt"), "alpha, epoch 2\n");
    Files.writeString(store.path("new-through-us.txt"), "ours\n");
    long e2 = cp.commit();
    return new long[] {e1, e2};
  }

  private Path real(String relative) {
    return store.root().resolve(relative);
  }

  /** Checks that a restore to {@code target} is refused naming {@code path} as {@code kind}, changing nothing. */
  private void refused(Checkpointer cp, long target, String path, Kind kind) throws IOException {
    TreeSnapshot before = TreeSnapshot.of(store.root());
    long current = cp.currentEpoch();
    OutsideChangesException e = assertThrows(OutsideChangesException.class, () -> cp.restore(target));
    assertEquals(List.of(new OutsideChange(real(path), kind)), e.changes(), e.getMessage());
    assertTrue(e.getMessage().contains(real(path).toString()), e.getMessage());
    assertEquals(current, cp.currentEpoch(), "a refused restore does not move the current epoch");
    before.assertSameAs(TreeSnapshot.of(store.root()), "a refused restore changes nothing");
    assertEquals(e.changes(), cp.status());
  }

  @Test
  void aCleanTreeHasNoOutsideChangesAndRestores(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.writeString(store.path("a.txt"), "uncommitted, through us\n", StandardOpenOption.APPEND);
    Files.delete(store.path("d/e/c.txt"));
    Files.move(store.path("b.txt"), store.path("d/b.txt"));
    assertEquals(List.of(), cp.status());
    cp.restore(e[0]);
    assertEquals(List.of(), cp.status());
    cp.restore(e[1]);
    assertEquals(List.of(), cp.status());
    cp = store.reopen();
    assertEquals(List.of(), cp.status());
    Files.writeString(store.path("a.txt"), "left uncommitted at close\n");
    cp = store.reopen(); // recovery undoes it
    assertEquals(List.of(), cp.status());
    cp.restore(e[0]);
  }

  @Test
  void hardLinksMadeThroughTheCheckpointerAreNotOutsideChanges(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.createLink(store.path("d/hard"), store.path("b.txt"));
    assertEquals(List.of(), cp.status());
    long e3 = cp.commit();
    assertEquals(List.of(), cp.status());
    Files.writeString(store.path("d/hard"), "through the second name\n", StandardOpenOption.APPEND);
    assertEquals(List.of(), cp.status());
    cp.restore(e[0]);
    assertEquals(List.of(), cp.status());
    cp.restore(e3);
    assertEquals(List.of(), cp.status());
    Files.writeString(real("b.txt"), "outside, through the first name\n", StandardOpenOption.APPEND);
    List<OutsideChange> both = cp.status();
    assertEquals(List.of(new OutsideChange(real("b.txt"), Kind.MODIFIED), new OutsideChange(real("d/hard"), Kind.MODIFIED)), both);
  }

  @Test
  void aTreeAndItsStorePutBackFromACopyRestoreWithoutComplaint(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    cp.close();
    Path backup = Files.createTempDirectory("metamori-backup");
    copyTree(store.dir(), backup);
    // the originals are kept until the copies are made: no inode number is reused
    Path old = Files.createTempDirectory("metamori-old");
    Files.move(store.root(), old.resolve("data"));
    Files.move(store.store(), old.resolve("store"));
    copyTree(backup.resolve("data"), store.root());
    copyTree(backup.resolve("store"), store.store());
    deleteTree(old);
    cp = store.open();
    assertEquals(List.of(), cp.status());
    cp.restore(e[0]);
    assertEquals(List.of(), cp.status());
    deleteTree(backup);
  }

  @Test
  void anOverwriteInPlaceThatKeepsTheSizeIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    // right after the commit: in the same clock tick, only the contents can tell
    String now = Files.readString(real("a.txt"));
    Files.writeString(real("a.txt"), now.replace('2', '9'));
    refused(cp, e[0], "a.txt", Kind.MODIFIED);
  }

  @Test
  void anAppendIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.writeString(real("b.txt"), "one more line\n", StandardOpenOption.APPEND);
    refused(cp, e[0], "b.txt", Kind.MODIFIED);
  }

  @Test
  void aChangeWithItsModificationTimeSetBackIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    FileTime was = Files.getLastModifiedTime(real("d/e/c.txt"));
    Files.writeString(real("d/e/c.txt"), "CHARLIE\n");
    Files.setLastModifiedTime(real("d/e/c.txt"), was);
    refused(cp, e[0], "d/e/c.txt", Kind.MODIFIED);
  }

  @Test
  void aNewFileIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.writeString(real("d/stranger.txt"), "not through the checkpointer\n");
    refused(cp, e[0], "d/stranger.txt", Kind.CREATED);
  }

  @Test
  void aNewDirectoryIsReportedAtItsTop(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.createDirectories(real("d/x/y"));
    Files.writeString(real("d/x/y/z.txt"), "deep\n");
    refused(cp, e[0], "d/x", Kind.CREATED);
  }

  @Test
  void aDeletedFileIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.delete(real("new-through-us.txt"));
    refused(cp, e[0], "new-through-us.txt", Kind.DELETED);
  }

  @Test
  void aDeletedDirectoryIsReportedAtItsTop(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.delete(real("d/e/c.txt"));
    Files.delete(real("d/e"));
    refused(cp, e[0], "d/e", Kind.DELETED);
  }

  @Test
  void aFileReplacedByAnotherIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Path copy = Files.copy(real("b.txt"), store.dir().resolve("b.copy"));
    Files.setLastModifiedTime(copy, FileTime.fromMillis(Files.getLastModifiedTime(real("b.txt")).toMillis() + 1000));
    Files.move(copy, real("b.txt"), StandardCopyOption.REPLACE_EXISTING);
    refused(cp, e[0], "b.txt", Kind.REPLACED);
  }

  @Test
  void aLinkPointedElsewhereIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    Files.delete(real("link"));
    Files.createSymbolicLink(real("link"), real("a.txt").getFileSystem().getPath("b.txt"));
    // a new link, often on the inode number the old one freed: replaced or modified
    Kind kind = assertThrows(OutsideChangesException.class, () -> cp.restore(e[0])).changes().get(0).kind();
    assertTrue(kind == Kind.REPLACED || kind == Kind.MODIFIED, kind.toString());
    refused(cp, e[0], "link", kind);
  }

  @Test
  void aPermissionChangeIsRefused(Checkpointer cp) throws IOException {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX modes");
    long[] e = history(cp);
    Files.setPosixFilePermissions(real("d"), PosixFilePermissions.fromString("rwx------"));
    refused(cp, e[0], "d", Kind.ATTRIBUTES);
  }

  @Test
  void anOutsideChangeAfterTheProcessEndedIsRefusedByTheNextOne(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    cp.close();
    Files.writeString(real("a.txt"), "a line from another program\n", StandardOpenOption.APPEND);
    cp = store.open();
    refused(cp, e[0], "a.txt", Kind.MODIFIED);
  }

  @Test
  void aCopiedStoreUsedAfterTheOriginalMovedOnIsRefused(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    cp.close();
    Path backup = store.dir().resolve("backup");
    copyTree(store.store(), backup);
    cp = store.open();
    Files.writeString(store.path("a.txt"), "alpha, epoch 3\n");
    Files.writeString(store.path("only-in-3.txt"), "three\n");
    cp.commit();
    cp.close();
    try (Checkpointer copy = Checkpointer.builder(backup).track(store.root()).open()) {
      TreeSnapshot before = TreeSnapshot.of(store.root());
      OutsideChangesException x = assertThrows(OutsideChangesException.class, () -> copy.restore(e[0]));
      assertEquals(
          List.of(new OutsideChange(real("a.txt"), Kind.MODIFIED), new OutsideChange(real("only-in-3.txt"), Kind.CREATED)),
          x.changes());
      assertEquals(e[1], copy.currentEpoch());
      before.assertSameAs(TreeSnapshot.of(store.root()), "a refused restore changes nothing");
    }
    cp = store.open();
    assertEquals(List.of(), cp.status(), "the original is not disturbed by its copy");
    cp.restore(e[0]);
  }

  @Test
  void aSecondStoreOnAnOverlappingRootSeesTheFirstOnesChanges(Checkpointer cp) throws IOException {
    long[] e = history(cp);
    try (Checkpointer inner = Checkpointer.builder(store.dir().resolve("inner-store")).track(real("d")).open()) {
      long i1 = inner.commit();
      Files.writeString(store.path("d/e/c.txt"), "changed through the outer store\n");
      OutsideChangesException x = assertThrows(OutsideChangesException.class, () -> inner.restore(i1));
      assertEquals(List.of(new OutsideChange(real("d/e/c.txt"), Kind.MODIFIED)), x.changes());
      Files.writeString(inner.fileSystem().getPath(real("d/new.txt").toString()), "through the inner store\n");
      assertEquals(List.of(new OutsideChange(real("d/new.txt"), Kind.CREATED)), cp.status());
      OutsideChangesException y = assertThrows(OutsideChangesException.class, () -> cp.restore(e[0]));
      assertEquals(List.of(new OutsideChange(real("d/new.txt"), Kind.CREATED)), y.changes());
    }
    store.skipVerifyAfter("the tree holds a file of another store");
  }

  /** Copies a tree as a backup tool would: links as links, times and modes kept. */
  private static void copyTree(Path from, Path to) throws IOException {
    List<Path> dirs = new java.util.ArrayList<>();
    try (var s = Files.walk(from)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        Path t = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(t);
          dirs.add(p);
        } else {
          Files.copy(p, t, StandardCopyOption.COPY_ATTRIBUTES, java.nio.file.LinkOption.NOFOLLOW_LINKS);
          if (!Files.isSymbolicLink(p)) {
            Files.setLastModifiedTime(t, Files.getLastModifiedTime(p)); // in full: the copy keeps microseconds
          }
        }
      }
    }
    for (Path d : dirs) {
      Path t = to.resolve(from.relativize(d).toString());
      Files.setPosixFilePermissions(t, Files.getPosixFilePermissions(d));
      Files.setLastModifiedTime(t, Files.getLastModifiedTime(d));
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var s = Files.walk(dir)) {
      List<Path> all = s.sorted(java.util.Comparator.reverseOrder()).toList();
      for (Path p : all) {
        Files.delete(p);
      }
    }
  }
}
