package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Channels still open when the checkpointer closes or rolls back. */
class OpenChannelLifecycleTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create()
          .withTree(
              root -> {
                Files.writeString(root.resolve("a"), "original a");
                Files.writeString(root.resolve("b"), "original b");
              })
          .withOptions(b -> b.blockSize(512));

  private Path root;
  private Checkpointer cp;

  @BeforeEach
  void open() {
    root = harness.root();
    cp = harness.cp();
  }

  @Test
  void closingTheCheckpointerWithADeleteOnCloseChannelOpenClosesEveryChannelAndDiscardsTheWork()
      throws Exception {
    TreeSnapshot before = TreeSnapshot.of(root);
    FileChannel deleting =
        FileChannel.open(
            harness.path("a"), StandardOpenOption.WRITE, StandardOpenOption.DELETE_ON_CLOSE);
    FileChannel other = FileChannel.open(harness.path("b"), StandardOpenOption.WRITE);
    other.write(ByteBuffer.wrap("changed".getBytes(StandardCharsets.US_ASCII)), 0);

    cp.close();

    assertFalse(deleting.isOpen(), "the DELETE_ON_CLOSE channel is still open");
    assertFalse(other.isOpen(), "a channel opened after it is still open");
    harness.open();
    TreeSnapshot after = TreeSnapshot.of(root);
    assertEquals(before, after, before.describeDifferences(after));
  }

  @Test
  void rollingBackWithADeleteOnCloseChannelOpenRestoresTheFile() throws Exception {
    long start = cp.commit();
    TreeSnapshot committed = TreeSnapshot.of(root);
    FileChannel deleting =
        FileChannel.open(
            harness.path("a"),
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

  @Test
  void rollbackLeavesUntrackedAndReadOnlyChannelsOpenAndCloseClosesThem() throws Exception {
    Path outside = Files.writeString(harness.dir().resolve("outside"), "untracked");
    FileChannel untracked = FileChannel.open(harness.fs().getPath(outside.toString()), StandardOpenOption.WRITE);
    FileChannel reading = FileChannel.open(harness.path("a"), StandardOpenOption.READ);
    Files.writeString(harness.path("a"), "changed");

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

  @Test
  void aRefusedRollbackLeavesChannelsOpen() throws Exception {
    long first = cp.commit();
    cp.rollback(0);
    FileChannel writing = FileChannel.open(harness.path("a"), StandardOpenOption.WRITE);

    assertThrows(NoSuchEpochException.class, () -> cp.rollback(first + 1));

    assertTrue(writing.isOpen(), "a rollback that threw NoSuchEpochException closed a channel");
    writing.write(ByteBuffer.wrap("still writable".getBytes(StandardCharsets.US_ASCII)), 0);
  }
}
