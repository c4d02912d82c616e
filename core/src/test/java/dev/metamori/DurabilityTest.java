package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every durability mode keeps the same rollback, restore-forward and recovery semantics within
 * the machine.
 */
class DurabilityTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(Durability.class)
  void everyModeRollsBackAndRecoversExactly(Durability durability) throws Exception {
    Path data = Files.createDirectory(tmp.resolve("data"));
    Path store = tmp.resolve("store");
    byte[] original = new byte[20_000];
    java.util.Arrays.fill(original, (byte) 7);
    Files.write(data.resolve("f"), original);
    long first;
    byte[] atFirst;
    try (Checkpointer cp = Checkpointer.builder(store).track(data).durability(durability).open()) {
      FileSystem fs = cp.fileSystem();
      Path f = fs.getPath(data.resolve("f").toString());
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
      Files.writeString(fs.getPath(data.resolve("new").toString()), "new");
      first = cp.commit();
      atFirst = Files.readAllBytes(data.resolve("f"));
      Files.write(f, new byte[] {1, 2, 3});
      Files.delete(fs.getPath(data.resolve("new").toString()));
      cp.rollback(0);
      assertArrayEquals(original, Files.readAllBytes(data.resolve("f")));
      assertFalse(Files.exists(data.resolve("new")));
      Files.write(f, new byte[] {9});
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(data).durability(durability).open()) {
      assertEquals(0, cp.currentEpoch());
      assertArrayEquals(original, Files.readAllBytes(data.resolve("f")), "uncommitted write undone");
      assertEquals(List.of(), cp.verify());
      assertEquals(List.of(0L, first), cp.epochs().stream().map(Epoch::id).collect(Collectors.toList()));
      cp.rollback(first);
      assertArrayEquals(atFirst, Files.readAllBytes(data.resolve("f")), "epoch 1 redone after reopening");
      assertEquals("new", Files.readString(data.resolve("new")));
      assertEquals(List.of(), cp.verify());
      assertThrows(NoSuchEpochException.class, () -> cp.rollback(first + 1));
      cp.rollback(0);
      assertArrayEquals(original, Files.readAllBytes(data.resolve("f")), "epoch 1 undone again");
      assertFalse(Files.exists(data.resolve("new")));
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(data).durability(durability).open()) {
      assertEquals(0, cp.currentEpoch());
      cp.rollback(first);
      assertArrayEquals(atFirst, Files.readAllBytes(data.resolve("f")), "epoch 1 redone a second time");
      assertEquals(List.of(), cp.verify());
    }
  }

  @ParameterizedTest
  @EnumSource(Durability.class)
  void durabilityIsSetOnce(Durability durability) {
    Checkpointer.Builder builder = Checkpointer.builder(tmp).durability(durability);
    IllegalStateException e =
        assertThrows(IllegalStateException.class, () -> builder.durability(Durability.NONE));
    assertEquals("durability was already set to " + durability, e.getMessage());
  }
}
