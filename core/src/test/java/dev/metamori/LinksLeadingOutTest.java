package dev.metamori;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restores never write outside the tracked roots: symbolic links in the tree that lead out of
 * it (to a file, to a directory, dangling) are restored as links, and what they lead to keeps
 * its bytes, mode and modification time, however the links and the files around them change
 * across epochs, restored back and forth, and recovered after a close without commit.
 */
class LinksLeadingOutTest {
  private static final FileTime LONG_AGO = FileTime.fromMillis(1_000_000_000_000L);

  @RegisterExtension
  final StoreExtension store = StoreExtension.create().withTree(LinksLeadingOutTest::fill);

  @BeforeAll
  static void linksAndModes() {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX links and modes");
  }

  /** The tracked tree, and beside it (untracked) {@code outside/}: a file, a directory. */
  private static void fill(Path root) throws IOException {
    Path outside = Files.createDirectory(root.resolveSibling("outside"));
    Path secret = Files.writeString(outside.resolve("secret.txt"), "outside: not tracked, never to be written\n");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-r-----"));
    Path d = Files.createDirectory(outside.resolve("d"));
    Files.writeString(d.resolve("inner.txt"), "inside the outside directory\n");
    Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-x---"));
    for (Path p : new Path[] {secret, d.resolve("inner.txt"), d, outside}) {
      Files.setLastModifiedTime(p, LONG_AGO);
    }
    Files.writeString(root.resolve("f.txt"), "a tracked file, epoch 0\n".repeat(300));
    Files.createDirectory(root.resolve("sub"));
    Files.writeString(root.resolve("sub/g.txt"), "g, epoch 0\n");
    Files.createSymbolicLink(root.resolve("link"), secret);
    Files.createSymbolicLink(root.resolve("dlink"), d);
    Files.createSymbolicLink(root.resolve("rel"), root.getFileSystem().getPath("..", "outside", "secret.txt"));
    Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("missing.txt"));
  }

  private Path outside() {
    return store.dir().resolve("outside");
  }

  private Path p(String relative) {
    return store.path(relative);
  }

  private TreeSnapshot tree() throws IOException {
    return TreeSnapshot.of(store.root());
  }

  @Test
  void linksLeadingOutAreRestoredAsLinksAndWhatTheyLeadToIsNeverWritten(Checkpointer cp) throws IOException {
    TreeSnapshot outsideBefore = TreeSnapshot.exact(outside());
    Map<Long, TreeSnapshot> epochs = new LinkedHashMap<>();
    epochs.put(0L, tree());

    // epoch 1: a file written; a link deleted and made again with another target; a link
    // renamed; a link's own time set
    Files.writeString(p("f.txt"), "a tracked file, epoch 1\n".repeat(500));
    Files.delete(p("link"));
    Files.createSymbolicLink(p("link"), outside().resolve("d/inner.txt"));
    Files.move(p("dlink"), p("dlink2"));
    Files.getFileAttributeView(p("rel"), BasicFileAttributeView.class, NOFOLLOW_LINKS)
        .setTimes(FileTime.fromMillis(1_500_000_000_000L), null, null);
    epochs.put(cp.commit(), tree());

    // epoch 2: a written file and a directory replaced by links leading out; a link renamed
    // over another; a link copied as a link
    try (FileChannel ch = FileChannel.open(p("f.txt"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap("overwritten before being replaced".getBytes()), 100);
    }
    Files.delete(p("f.txt"));
    Files.createSymbolicLink(p("f.txt"), outside().resolve("secret.txt"));
    Files.delete(p("sub/g.txt"));
    Files.delete(p("sub"));
    Files.createSymbolicLink(p("sub"), outside().resolve("d"));
    Files.move(p("link"), p("dangling"), StandardCopyOption.REPLACE_EXISTING);
    Files.copy(p("rel"), p("rel-copy"), NOFOLLOW_LINKS);
    epochs.put(cp.commit(), tree());

    // epoch 3: the links replaced by a file and a directory again; a link replacing a link
    Files.delete(p("f.txt"));
    Files.writeString(p("f.txt"), "a tracked file again, epoch 3\n");
    Files.delete(p("sub"));
    Files.createDirectory(p("sub"));
    Files.writeString(p("sub/h.txt"), "h, epoch 3\n");
    Files.createSymbolicLink(p("tmp-link"), outside().resolve("secret.txt"));
    Files.move(p("tmp-link"), p("dlink2"), StandardCopyOption.REPLACE_EXISTING);
    Files.setPosixFilePermissions(p("f.txt"), PosixFilePermissions.fromString("rw-------"));
    epochs.put(cp.commit(), tree());
    assertOutsideUnchanged(outsideBefore, "after the epochs were made");

    long[] order = {0, 3, 1, 2, 0, 2, 3, 1, 0, 3};
    for (long n : order) {
      cp.restore(n);
      epochs.get(n).assertTreeMatches("the tree at epoch " + n);
      assertOutsideUnchanged(outsideBefore, "after the restore to epoch " + n);
    }
    assertLink("f.txt", null);
    assertLink("dlink2", outside().resolve("secret.txt"));
    cp.restore(2);
    assertLink("f.txt", outside().resolve("secret.txt"));
    assertLink("sub", outside().resolve("d"));
    assertLink("dangling", outside().resolve("d/inner.txt"));
    assertLink("rel-copy", Files.readSymbolicLink(store.root().resolve("rel")));
    cp.restore(0);
    assertLink("link", outside().resolve("secret.txt"));
    assertLink("dlink", outside().resolve("d"));
    assertLink("dangling", outside().resolve("missing.txt"));
    assertFalse(Files.exists(outside().resolve("missing.txt"), NOFOLLOW_LINKS), "a dangling link stays dangling");

    // uncommitted changes around the links, undone by the recovery of the next open
    Files.delete(p("rel"));
    Files.createSymbolicLink(p("rel"), outside().resolve("d"));
    Files.writeString(p("f.txt"), "uncommitted\n");
    Files.delete(p("dlink"));
    Files.createDirectory(p("dlink"));
    store.reopen();
    epochs.get(0L).assertTreeMatches("the tree after recovery");
    assertOutsideUnchanged(outsideBefore, "after recovery");
  }

  /**
   * A file the journal holds old bytes of, and a directory it holds changes under, replaced
   * behind the checkpointer's back by links leading out: the restore must not follow them (it
   * would write the file's old bytes, length, mode and time into the file outside, and delete or
   * overwrite files of the directory outside). It refuses, as it does for a file changed in
   * other ways outside the checkpointer; recovery skips them with a warning; nothing outside
   * changes.
   */
  @Test
  void aFileAndADirectoryReplacedByLinksBehindTheCheckpointersBackAreNotWrittenThrough(Checkpointer cp)
      throws IOException {
    Files.writeString(outside().resolve("d/g.txt"), "an outside file named as a tracked one\n".repeat(20));
    Files.writeString(outside().resolve("d/new.txt"), "an outside file named as a tracked one\n");
    Files.setLastModifiedTime(outside().resolve("d"), LONG_AGO);
    TreeSnapshot outsideBefore = TreeSnapshot.exact(outside());
    Files.writeString(p("f.txt"), "short\n"); // Touch (size) and Block records of f.txt
    Files.writeString(p("sub/g.txt"), "short\n");
    Files.writeString(p("sub/new.txt"), "created in epoch 1\n"); // undone by deleting it
    cp.commit();
    Path real = store.root().resolve("f.txt");
    Files.delete(real);
    Files.createSymbolicLink(real, outside().resolve("secret.txt"));
    Path sub = store.root().resolve("sub");
    com.google.common.io.MoreFiles.deleteRecursively(sub);
    Files.createSymbolicLink(sub, outside().resolve("d"));

    // found before the restore changes anything
    OutsideChangesException outside = assertThrows(OutsideChangesException.class, () -> cp.restore(0));
    assertEquals(
        List.of(
            new OutsideChange(real, OutsideChange.Kind.REPLACED),
            new OutsideChange(sub, OutsideChange.Kind.REPLACED)),
        outside.changes());
    // restored over on purpose: still never through the links
    CheckpointException refused =
        assertThrows(CheckpointException.class, () -> cp.restore(0, RestoreOption.OVERWRITE_OUTSIDE_CHANGES));
    assertTrue(refused.getMessage().contains("never writes through a symbolic link"), refused.getMessage());
    assertOutsideUnchanged(outsideBefore, "after the refused restore");
    assertLink("f.txt", outside().resolve("secret.txt"));
    assertLink("sub", outside().resolve("d"));

    // the next open finishes the restore as recovery, which is lenient (the state may be what
    // an OS crash left): it skips what lies behind the links, with a warning, and writes nothing
    // outside
    store.reopen();
    assertOutsideUnchanged(outsideBefore, "after recovery");
  }

  private void assertLink(String relative, Path target) throws IOException {
    Path real = store.root().resolve(relative);
    if (target == null) {
      assertFalse(Files.isSymbolicLink(real), relative + " is not a link");
      return;
    }
    assertTrue(Files.isSymbolicLink(real), relative + " is a link");
    assertEquals(target, Files.readSymbolicLink(real), relative + "'s target");
  }

  private void assertOutsideUnchanged(TreeSnapshot before, String when) throws IOException {
    before.assertTreeMatches("outside the tracked root, " + when + " (bytes, modes, times)");
  }
}
