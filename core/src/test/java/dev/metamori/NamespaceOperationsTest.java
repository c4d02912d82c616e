package dev.metamori;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.COPY_ATTRIBUTES;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/** Creating, linking, deleting, copying and moving, inside, into and out of the tracked root. */
class NamespaceOperationsTest extends TrackedTreeFixture {

  @Test
  void creatingDirectoriesIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.createDirectory(p("made"));
          Files.createDirectories(p("dir/x/y/z"));
          Files.createDirectory(
              p("made/locked"),
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
          Files.writeString(p("dir/x/y/z/f.txt"), "in a new directory");
        });
    assertFalse(Files.exists(real("made")));
    assertFalse(Files.exists(real("dir/x")));
  }

  @Test
  void creatingSymbolicLinksIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.createSymbolicLink(p("to-dir"), fs.getPath("dir"));
          Files.createSymbolicLink(p("dangling"), fs.getPath("nowhere"));
          Files.createSymbolicLink(p("empty/abs"), fs.getPath(outside.toString()));
          assertTrue(Files.isDirectory(real("empty/abs")));
        });
  }

  @Test
  void writingThroughASymbolicLinkJournalsTheTarget() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.writeString(p("link"), "through the link");
          assertEquals("through the link", Files.readString(real("a.txt")));
        });
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("a.txt")));
  }

  @Test
  void aLinkOutsideTheRootThatPointsIntoItIsJournaledWhenWrittenThrough() throws IOException {
    Files.createSymbolicLink(outside.resolve("into"), data.resolve("dir"));
    assertRolledBackExactly(
        () -> {
          Files.writeString(out("into/c.txt"), "via an outside link");
          Files.writeString(out("into/born.txt"), "born via an outside link");
        });
    assertArrayEquals(bytes(5000, 3), Files.readAllBytes(real("dir/c.txt")));
  }

  @Test
  void creatingHardLinksIsUndoneAndWritesThroughThemAreJournaled() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.createLink(p("dir/hard"), p("small.txt"));
          Files.writeString(p("dir/hard"), "through the hard link", StandardOpenOption.APPEND);
          assertEquals("hello\nthrough the hard link", Files.readString(real("small.txt")));
        });
    assertEquals("hello\n", Files.readString(real("small.txt")));
  }

  @Test
  void deletingFilesLinksAndDirectoriesIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.delete(p("a.txt"));
          Files.delete(p("link"));
          Files.delete(p("empty"));
          Files.delete(p("dir/sub/d.txt"));
          Files.delete(p("dir/sub"));
          assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(p("dir")));
          assertThrows(NoSuchFileException.class, () -> Files.delete(p("never")));
        });
    assertTrue(Files.isSymbolicLink(real("link")));
  }

  @Test
  void deletingAFileThatWasWrittenInTheSameEpochRestoresItsOldContents() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.write(p("b.bin"), filled(20_000, 'w'));
          Files.setPosixFilePermissions(p("b.bin"), PosixFilePermissions.fromString("rwxrwxrwx"));
          Files.delete(p("b.bin"));
          Files.writeString(p("b.bin"), "a different file with the same name");
        });
    assertArrayEquals(bytes(8192, 2), Files.readAllBytes(real("b.bin")));
  }

  @Test
  void copyingInsideTheRootIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.copy(p("a.txt"), p("dir/a-copy.txt"));
          Files.copy(p("b.bin"), p("dir/b-copy.bin"), COPY_ATTRIBUTES);
          Files.copy(p("dir"), p("dir-copy")); // a directory copy copies the directory alone
          Files.copy(p("link"), p("link-copy"), LinkOption.NOFOLLOW_LINKS);
          assertThrows(FileAlreadyExistsException.class, () -> Files.copy(p("a.txt"), p("small.txt")));
        });
  }

  @Test
  void copyingOverAnExistingFileIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.copy(p("a.txt"), p("small.txt"), REPLACE_EXISTING);
          Files.copy(p("small.txt"), p("dir/c.txt"), REPLACE_EXISTING, COPY_ATTRIBUTES);
          assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("dir/c.txt")));
        });
    assertEquals("hello\n", Files.readString(real("small.txt")));
  }

  @Test
  void copyingIntoTheRootIsUndoneAndCopyingOutIsNot() throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    Files.copy(out("o.txt"), p("dir/from-outside.txt"));
    Files.copy(p("a.txt"), out("a-out.txt"));
    Files.copy(out("o.txt"), p("small.txt"), REPLACE_EXISTING);
    cp.commit();
    cp.rollback(base);
    before.assertTreeMatches("after copies into the root");
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(outside.resolve("a-out.txt")),
        "a copy outside the tracked roots is not journaled, so it stays");
    assertEquals("outside\n", Files.readString(outside.resolve("o.txt")));
  }

  @Test
  void renamingFilesAndDirectoriesInsideTheRootIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.move(p("a.txt"), p("dir/sub/a-moved.txt"));
          Files.writeString(p("dir/sub/a-moved.txt"), "x", StandardOpenOption.APPEND);
          Files.move(p("dir"), p("empty/dir-moved"));
          Files.writeString(p("empty/dir-moved/c.txt"), "written after the move");
          Files.move(p("link"), p("link-moved"));
          assertThrows(FileAlreadyExistsException.class, () -> Files.move(p("b.bin"), p("small.txt")));
        });
  }

  @Test
  void writesBeforeAndAfterARenameOfTheirDirectoryAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.write(p("dir/c.txt"), filled(10, 1), StandardOpenOption.WRITE);
          Files.move(p("dir"), p("renamed"));
          Files.write(p("renamed/c.txt"), filled(6000, 2), StandardOpenOption.WRITE);
          Files.move(p("renamed"), p("dir"));
          Files.write(p("dir/c.txt"), filled(10, 3), StandardOpenOption.APPEND);
        });
  }

  @Test
  void atomicMovesAndMovesThatReplaceAFileAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.move(p("small.txt"), p("a.txt"), ATOMIC_MOVE);
          assertEquals("hello\n", Files.readString(real("a.txt")));
          Files.move(p("b.bin"), p("dir/c.txt"), REPLACE_EXISTING);
          Files.move(p("dir/sub/d.txt"), p("dir/sub/e.txt"), ATOMIC_MOVE);
          Files.move(p("dir/sub"), p("empty"), REPLACE_EXISTING); // replaces an empty directory
          assertTrue(Files.exists(real("empty/e.txt")));
        });
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("a.txt")));
  }

  @Test
  void movingIntoTheRootIsUndoneByRemovingWhatCameIn() throws IOException {
    Files.createDirectories(outside.resolve("tree/inner"));
    Files.writeString(outside.resolve("tree/inner/f"), "f");
    Files.writeString(outside.resolve("replacement"), "replacement");
    Files.writeString(outside.resolve("atomic"), "atomic");
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    Files.move(out("tree"), p("dir/tree"));
    Files.move(out("replacement"), p("small.txt"), REPLACE_EXISTING);
    Files.move(out("atomic"), p("b.bin"), ATOMIC_MOVE);
    assertEquals("replacement", Files.readString(real("small.txt")));
    cp.commit();
    cp.rollback(base);
    before.assertTreeMatches("after moves into the root");
    // the sources were outside the tracked roots: their removal is not journaled
    assertFalse(Files.exists(outside.resolve("tree")));
    assertFalse(Files.exists(outside.resolve("replacement")));
  }

  @Test
  void movingOutOfTheRootIsUndoneAndLeavesTheOutsideCopy() throws IOException {
    Files.writeString(outside.resolve("existing"), "existing");
    Files.writeString(outside.resolve("existing2"), "existing2");
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    Files.move(p("dir"), out("dir-out"));
    Files.move(p("a.txt"), out("existing"), REPLACE_EXISTING);
    Files.move(p("b.bin"), out("existing2"), ATOMIC_MOVE);
    Files.writeString(p("born.txt"), "born in this epoch");
    Files.move(p("born.txt"), out("born.txt"));
    assertFalse(Files.exists(real("dir")));
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(outside.resolve("existing")));
    assertArrayEquals(bytes(8192, 2), Files.readAllBytes(outside.resolve("existing2")));
    assertEquals("deep", Files.readString(outside.resolve("dir-out/sub/d.txt")));
    cp.commit();
    cp.rollback(base);
    before.assertTreeMatches("after moves out of the root");
    assertEquals("deep", Files.readString(outside.resolve("dir-out/sub/d.txt")),
        "the destination outside the tracked roots is not journaled, so it stays");
    assertEquals("born in this epoch", Files.readString(outside.resolve("born.txt")));
    try (var s = Files.list(outside)) {
      assertEquals(
          java.util.Set.of("o.txt", "dir-out", "existing", "existing2", "born.txt"),
          s.map(x -> x.getFileName().toString()).collect(java.util.stream.Collectors.toSet()),
          "a move out of the root leaves nothing else behind");
    }
  }

  @Test
  void movingAFileCreatedInTheEpochOutOfTheRootMovesIt() throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    Files.writeString(p("report.txt"), "made in this epoch");
    Files.move(p("report.txt"), out("report.txt"));
    assertEquals("made in this epoch", Files.readString(outside.resolve("report.txt")));
    assertFalse(Files.exists(real("report.txt")));
    Files.writeString(p("report2.txt"), "also made in this epoch");
    Files.writeString(out("report2.txt"), "old");
    Files.move(p("report2.txt"), out("report2.txt"), ATOMIC_MOVE);
    assertEquals("also made in this epoch", Files.readString(outside.resolve("report2.txt")));
    cp.rollback(base);
    before.assertTreeMatches("after moving new files out of the root");
    assertEquals("made in this epoch", Files.readString(outside.resolve("report.txt")));
  }

  @Test
  void movingADirectoryCreatedInTheEpochWithOlderFilesInsideOutOfTheRootIsUndone() throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    Files.createDirectory(p("box"));
    Files.move(p("a.txt"), p("box/a.txt"));
    Files.writeString(p("box/new.txt"), "new");
    Files.createDirectory(p("box/inner"));
    Files.move(p("box"), out("box"));
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(outside.resolve("box/a.txt")));
    assertEquals("new", Files.readString(outside.resolve("box/new.txt")));
    Files.createDirectory(p("empty-box"));
    Files.move(p("empty-box"), out("empty-box"));
    assertTrue(Files.isDirectory(outside.resolve("empty-box")));
    cp.rollback(base);
    before.assertTreeMatches("after moving a new directory out of the root");
  }

  @Test
  void movingAFileCreatedInTheEpochAroundTheRootIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.write(p("tmp.part"), "partial".getBytes(StandardCharsets.UTF_8));
          Files.move(p("tmp.part"), p("dir/final"), ATOMIC_MOVE);
          Files.move(p("dir/final"), p("small.txt"), ATOMIC_MOVE, REPLACE_EXISTING);
          assertEquals("partial", Files.readString(real("small.txt")));
        });
  }

  @Test
  void movingADirectoryThatHoldsTheTrackedRootOrTheStoreIsRefused() throws IOException {
    java.nio.file.Path parent = fs.getPath(tmp.toString());
    java.nio.file.Path elsewhere = fs.getPath(tmp.resolveSibling(tmp.getFileName() + "-moved").toString());
    assertThrows(java.nio.file.AccessDeniedException.class, () -> Files.move(parent, elsewhere));
    assertTrue(Files.isDirectory(data), "the tracked root stays where it is");
    assertTrue(Files.isDirectory(store), "the store stays where it is");
    assertFalse(Files.exists(elsewhere));
  }
}
