package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every durability mode keeps the same rollback, restore-forward and recovery semantics within
 * the machine.
 */
class DurabilityTest {
  /** The mode under test: every checkpointer the extension opens in a test is opened with it. */
  private Durability mode;

  @RegisterExtension
  final StoreExtension store = StoreExtension.create().unopened().withOptions(b -> b.durability(mode));

  @ParameterizedTest
  @EnumSource(Durability.class)
  void everyModeRollsBackAndRecoversExactly(Durability durability) throws Exception {
    mode = durability;
    Path data = store.root();
    byte[] original = new byte[20_000];
    java.util.Arrays.fill(original, (byte) 7);
    Files.write(data.resolve("f"), original);
    Checkpointer cp = store.open();
    Path f = store.path("f");
    ExecutorService writers = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        done.add(
            writers.submit(
                () -> {
                  try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                    c.write(ByteBuffer.wrap(new byte[] {(byte) thread}), thread * 4096L + 100);
                  }
                  return null;
                }));
      }
      for (Future<?> d : done) {
        d.get();
      }
    } finally {
      writers.shutdown();
    }
    Files.writeString(store.path("new"), "new");
    long first = cp.commit();
    byte[] atFirst = Files.readAllBytes(data.resolve("f"));
    Files.write(f, new byte[] {1, 2, 3});
    Files.delete(store.path("new"));
    cp.rollback(0);
    assertArrayEquals(original, Files.readAllBytes(data.resolve("f")));
    assertFalse(Files.exists(data.resolve("new")));
    Files.write(f, new byte[] {9});

    Checkpointer reopened = store.reopen();
    assertEquals(0, reopened.currentEpoch());
    assertArrayEquals(original, Files.readAllBytes(data.resolve("f")), "uncommitted write undone");
    assertEquals(List.of(), reopened.verify());
    assertEquals(List.of(0L, first), reopened.epochs().stream().map(Epoch::id).collect(Collectors.toList()));
    reopened.rollback(first);
    assertArrayEquals(atFirst, Files.readAllBytes(data.resolve("f")), "epoch 1 redone after reopening");
    assertEquals("new", Files.readString(data.resolve("new")));
    assertEquals(List.of(), reopened.verify());
    assertThrows(NoSuchEpochException.class, () -> reopened.rollback(first + 1));
    reopened.rollback(0);
    assertArrayEquals(original, Files.readAllBytes(data.resolve("f")), "epoch 1 undone again");
    assertFalse(Files.exists(data.resolve("new")));

    Checkpointer again = store.reopen();
    assertEquals(0, again.currentEpoch());
    again.rollback(first);
    assertArrayEquals(atFirst, Files.readAllBytes(data.resolve("f")), "epoch 1 redone a second time");
    assertEquals(List.of(), again.verify());
  }

  /**
   * Commits and rollbacks grow the index until it is compacted (its copy renamed over it, with
   * durability NONE neither forced nor closed with a clean shutdown): the store reopens with
   * every epoch, and each one restores.
   */
  @ParameterizedTest
  @EnumSource(Durability.class)
  void theIndexCompactedInEveryModeReopensWithEveryEpoch(Durability durability) throws Exception {
    mode = durability;
    Files.writeString(store.root().resolve("f"), "start");
    Checkpointer cp = store.open();
    Path index = store.store().resolve("index.mv");
    Object inode = Files.getAttribute(index, "unix:ino");
    List<Long> epochs = new ArrayList<>(List.of(0L));
    for (int i = 1; i <= 60 && inode.equals(Files.getAttribute(index, "unix:ino")); i++) {
      Files.writeString(store.path("f"), "epoch " + i);
      long e = cp.commit();
      epochs.add(e);
      cp.rollback(epochs.get(epochs.size() - 2));
      cp.rollback(e);
    }
    assertNotEquals(inode, Files.getAttribute(index, "unix:ino"), "the index was never compacted");
    Checkpointer reopened = store.reopen();
    assertEquals(epochs, reopened.epochs().stream().map(Epoch::id).collect(Collectors.toList()));
    assertEquals(List.of(), reopened.verify());
    for (int i = epochs.size() - 1; i >= 0; i--) {
      reopened.rollback(epochs.get(i));
      assertEquals(i == 0 ? "start" : "epoch " + i, Files.readString(store.root().resolve("f")));
    }
  }

  @ParameterizedTest
  @EnumSource(Durability.class)
  void durabilityIsSetOnce(Durability durability) {
    Checkpointer.Builder builder = Checkpointer.builder(store.store()).durability(durability);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> builder.durability(Durability.NONE));
    assertEquals("durability was already set to " + durability, e.getMessage());
  }
}
