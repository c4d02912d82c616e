package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Channels still open when the checkpointer closes or rolls back. */
class OpenChannelLifecycleTest {
  @TempDir Path tmp;

  private Path root;
  private Path store;

  private Checkpointer open() throws Exception {
    return Checkpointer.builder(store).track(root).blockSize(512).open();
  }

  private void populate() throws Exception {
    root = Files.createDirectories(tmp.resolve("root"));
    store = tmp.resolve("store");
    Files.writeString(root.resolve("a"), "original a");
    Files.writeString(root.resolve("b"), "original b");
  }

  @Test
  void closingTheCheckpointerWithADeleteOnCloseChannelOpenClosesEveryChannelAndDiscardsTheWork()
      throws Exception {
    populate();
    TreeSnapshot before = TreeSnapshot.of(root);
    Checkpointer cp = open();
    FileSystem fs = cp.fileSystem();
    FileChannel deleting =
        FileChannel.open(
            fs.getPath(root.resolve("a").toString()), StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
    FileChannel other = FileChannel.open(fs.getPath(root.resolve("b").toString()), StandardOpenOption.WRITE);
    other.write(ByteBuffer.wrap("changed".getBytes(StandardCharsets.US_ASCII)), 0);

    cp.close();

    assertFalse(deleting.isOpen(), "the DELETE_ON_CLOSE channel is still open");
    assertFalse(other.isOpen(), "a channel opened after it is still open");
    try (Checkpointer reopened = open()) {
      TreeSnapshot after = TreeSnapshot.of(root);
      assertEquals(before, after, before.describeDifferences(after));
    }
  }

  @Test
  void rollingBackWithADeleteOnCloseChannelOpenRestoresTheFile() throws Exception {
    populate();
    try (Checkpointer cp = open()) {
      FileSystem fs = cp.fileSystem();
      long start = cp.commit();
      TreeSnapshot committed = TreeSnapshot.of(root);
      FileChannel deleting =
          FileChannel.open(
              fs.getPath(root.resolve("a").toString()),
              StandardOpenOption.WRITE,
              StandardOpenOption.DELETE_ON_CLOSE);
      deleting.write(ByteBuffer.wrap("garbage".getBytes(StandardCharsets.US_ASCII)), 0);

      cp.rollback(start);

      assertFalse(deleting.isOpen());
      TreeSnapshot after = TreeSnapshot.of(root);
      assertEquals(committed, after, committed.describeDifferences(after));
      assertArrayEquals(
          "original a".getBytes(StandardCharsets.US_ASCII), Files.readAllBytes(root.resolve("a")));
    }
  }

  @Test
  void rollbackLeavesUntrackedAndReadOnlyChannelsOpenAndCloseClosesThem() throws Exception {
    populate();
    Path outside = Files.writeString(tmp.resolve("outside"), "untracked");
    try (Checkpointer cp = open()) {
      FileSystem fs = cp.fileSystem();
      FileChannel untracked = FileChannel.open(fs.getPath(outside.toString()), StandardOpenOption.WRITE);
      FileChannel reading = FileChannel.open(fs.getPath(root.resolve("a").toString()), StandardOpenOption.READ);
      Files.writeString(fs.getPath(root.resolve("a").toString()), "changed");

      cp.rollback(0);

      assertTrue(untracked.isOpen(), "rollback closed a channel on an untracked file");
      assertTrue(reading.isOpen(), "rollback closed a read-only channel");
      java.nio.ByteBuffer restored = java.nio.ByteBuffer.allocate(64);
      reading.read(restored, 0);
      assertEquals(
          "original a", new String(restored.array(), 0, restored.position(), StandardCharsets.US_ASCII),
          "a read-only channel reads the restored contents");

      cp.close();

      assertFalse(untracked.isOpen(), "close() left a channel on an untracked file open");
      assertFalse(reading.isOpen(), "close() left a read-only channel open");
    }
  }

  @Test
  void aRefusedRollbackLeavesChannelsOpen() throws Exception {
    populate();
    try (Checkpointer cp = open()) {
      FileSystem fs = cp.fileSystem();
      long first = cp.commit();
      cp.rollback(0);
      FileChannel writing = FileChannel.open(fs.getPath(root.resolve("a").toString()), StandardOpenOption.WRITE);

      assertThrows(NoSuchEpochException.class, () -> cp.rollback(first + 1));

      assertTrue(writing.isOpen(), "a rollback that threw NoSuchEpochException closed a channel");
      writing.write(ByteBuffer.wrap("still writable".getBytes(StandardCharsets.US_ASCII)), 0);
    }
  }
}
