package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.testing.StoreExtension;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Files created in the working epoch that leave the tracked tree again (deleted, replaced or
 * moved out) while the epoch is still open: found while building the crash workload.
 */
class FilesLeavingTheTrackedTreeTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withTree(root -> Files.writeString(root.resolve("old.txt"), "old"));

  private Path root;
  private Path outside;
  private Checkpointer cp;
  private FileSystem fs;

  @BeforeEach
  void dirs() throws Exception {
    root = harness.root();
    outside = Files.createDirectories(harness.dir().resolve("outside"));
    cp = harness.cp();
    fs = cp.fileSystem();
  }

  private static Path j(FileSystem fs, Path real) {
    return fs.getPath(real.toString());
  }

  @Test
  void aFileCreatedInTheWorkingEpochMovesOutOfTheRootWithItsContent() throws Exception {
    Files.writeString(j(fs, root.resolve("new.txt")), "fresh");
    Files.move(j(fs, root.resolve("new.txt")), j(fs, outside.resolve("new.txt")));
    assertEquals("fresh", Files.readString(outside.resolve("new.txt")));
    assertFalse(Files.exists(root.resolve("new.txt")));
    cp.commit();
    cp.rollback(0);
    assertEquals("fresh", Files.readString(outside.resolve("new.txt")));
    assertFalse(Files.exists(root.resolve("new.txt")));
    assertEquals("old", Files.readString(root.resolve("old.txt")));
  }

  @Test
  void aDirectoryCreatedInTheWorkingEpochMovesOutWithWhatWasMovedIntoIt() throws Exception {
    Path dir = root.resolve("dir");
    Files.createDirectory(j(fs, dir));
    Files.writeString(j(fs, dir.resolve("new.txt")), "fresh");
    Files.move(j(fs, root.resolve("old.txt")), j(fs, dir.resolve("old.txt")));
    Files.move(j(fs, dir), j(fs, outside.resolve("dir")));
    assertEquals("fresh", Files.readString(outside.resolve("dir/new.txt")));
    assertEquals("old", Files.readString(outside.resolve("dir/old.txt")));
    assertFalse(Files.exists(dir));
    cp.rollback(0);
    assertEquals("old", Files.readString(root.resolve("old.txt")));
    assertFalse(Files.exists(dir));
  }

  @Test
  void anOlderFileDeletedFromADirectoryThatIsThenDeletedInTheEpochThatCreatedItComesBack() throws Exception {
    Path dir = root.resolve("dir");
    Files.createDirectory(j(fs, dir));
    Files.move(j(fs, root.resolve("old.txt")), j(fs, dir.resolve("old.txt")));
    Files.delete(j(fs, dir.resolve("old.txt")));
    Files.delete(j(fs, dir));
    cp.rollback(0);
    assertEquals("old", Files.readString(root.resolve("old.txt")));
    assertFalse(Files.exists(dir));
  }

  @Test
  void anOlderFileMovedThroughADirectoryThatIsThenMovedOutInTheEpochThatCreatedItComesBackOnReopen()
      throws Exception {
    Path dir = root.resolve("dir");
    Files.createDirectory(j(fs, dir));
    Files.move(j(fs, root.resolve("old.txt")), j(fs, dir.resolve("old.txt")));
    Files.move(j(fs, dir.resolve("old.txt")), j(fs, root.resolve("moved.txt")));
    Files.move(j(fs, dir), j(fs, outside.resolve("dir")));
    cp = harness.reopen();
    assertEquals(0, cp.currentEpoch());
    assertEquals("old", Files.readString(root.resolve("old.txt")));
    assertFalse(Files.exists(root.resolve("moved.txt")));
    assertFalse(Files.exists(dir));
  }

  @Test
  void aChannelOnAFileDeletedInTheEpochThatCreatedItStillWritesAfterACommit() throws Exception {
    Path file = j(fs, root.resolve("temp"));
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[3000]), 0);
      Files.delete(file);
      long e1 = cp.commit();
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      ByteBuffer back = ByteBuffer.allocate(3);
      c.read(back, 0);
      assertArrayEquals(new byte[] {1, 2, 3}, back.array());
      cp.rollback(e1);
    }
    assertFalse(Files.exists(root.resolve("temp")));
    assertEquals("old", Files.readString(root.resolve("old.txt")));
  }

  @Test
  void writesToADeletedFileNeverReachTheFileThatNowHasItsName() throws Exception {
    Path file = j(fs, root.resolve("name"));
    byte[] second = "a second file under the same name".repeat(100).getBytes(StandardCharsets.UTF_8);
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[3000]), 0);
      Files.delete(file);
      Files.write(file, second);
      long e1 = cp.commit();
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      assertArrayEquals(second, Files.readAllBytes(root.resolve("name")));
      cp.rollback(e1);
    }
    assertArrayEquals(second, Files.readAllBytes(root.resolve("name")));
  }

  @Test
  void aFileCreatedInTheEpochStaysJournaledWhenASecondLinkToItIsDeleted() throws Exception {
    Path file = j(fs, root.resolve("file"));
    Path link = j(fs, root.resolve("link"));
    byte[] zeros = new byte[3000];
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(zeros), 0);
      Files.createLink(link, file);
      Files.delete(link);
      long e1 = cp.commit();
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      cp.rollback(e1);
    }
    assertArrayEquals(zeros, Files.readAllBytes(root.resolve("file")));
  }

  @Test
  void aFileCreatedInTheEpochStaysJournaledUnderItsSecondLinkWhenItsFirstNameIsDeleted() throws Exception {
    Path file = j(fs, root.resolve("file"));
    Path link = j(fs, root.resolve("link"));
    byte[] zeros = new byte[3000];
    try (FileChannel c =
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(zeros), 0);
      Files.createLink(link, file);
      Files.delete(file);
      long e1 = cp.commit();
      Files.writeString(link, "rewritten");
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      cp.rollback(e1);
    }
    assertArrayEquals(zeros, Files.readAllBytes(root.resolve("link")));
    assertFalse(Files.exists(root.resolve("file")));
  }

  @Test
  void aFileOnTheInodeOfADeletedFileIsJournaledUnderItsOwnName() throws Exception {
    byte[] zeros = new byte[3000];
    // a freed inode number is usually handed to the next file created: try a few times
    for (int i = 0; i < 8; i++) {
      Files.write(j(fs, root.resolve("a" + i)), zeros);
      Files.delete(j(fs, root.resolve("a" + i)));
    }
    Path b = j(fs, root.resolve("b"));
    try (FileChannel c =
        FileChannel.open(b, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(zeros), 0);
      long e1 = cp.commit();
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
      cp.rollback(e1);
    }
    assertTrue(Arrays.equals(zeros, Files.readAllBytes(root.resolve("b"))));
  }
}
