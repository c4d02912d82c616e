package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Checkpointer#verify()} reads the whole journal and reports every damaged record. */
class VerifyTest {
  @TempDir Path tmp;
  Path data;
  Path store;

  @BeforeEach
  void threeEpochsOfChanges() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    store = tmp.resolve("store");
    Files.write(data.resolve("f"), new byte[64 * 1024]);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      FileSystem fs = cp.fileSystem();
      Path f = fs.getPath(data.resolve("f").toString());
      for (int epoch = 1; epoch <= 3; epoch++) {
        try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
          for (int block = 0; block < 4; block++) {
            c.write(ByteBuffer.wrap(new byte[] {(byte) epoch}), block * 8192L);
          }
        }
        cp.commit();
      }
    }
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> s = Files.list(store.resolve("segments"))) {
      return s.sorted().toList();
    }
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset);
      b.put(0, (byte) ~b.get(0));
      c.write(b.flip(), offset);
    }
  }

  @Test
  void aSoundStoreHasNoDamage() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      assertEquals(List.of(), cp.verify());
    }
  }

  @Test
  void everyDamagedRecordIsReportedWithItsFileAndEpoch() throws IOException {
    List<Path> segments = segments();
    assertEquals(3, segments.size());
    // damage the payloads of two records in epoch 2 and one in epoch 3
    flipByte(segments.get(1), 200);
    flipByte(segments.get(1), Files.size(segments.get(1)) - 60);
    flipByte(segments.get(2), 300);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      List<CorruptStoreException> damage = cp.verify();
      assertEquals(3, damage.size(), () -> "damage reported: " + damage);
      assertEquals(2, damage.stream().filter(d -> d.epoch() == 2).count());
      assertEquals(1, damage.stream().filter(d -> d.epoch() == 3).count());
      for (CorruptStoreException d : damage) {
        assertTrue(d.file().startsWith(store.toRealPath()), d.getMessage());
        assertTrue(d.offset() >= 0, d.getMessage());
      }
      assertEquals(3, cp.currentEpoch(), "verify changes nothing");
    }
  }

  @Test
  void aMissingOrTruncatedSegmentIsReported() throws IOException {
    List<Path> segments = segments();
    Files.delete(segments.get(0));
    try (FileChannel c = FileChannel.open(segments.get(2), StandardOpenOption.WRITE)) {
      c.truncate(c.size() - 10);
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      List<CorruptStoreException> damage = cp.verify();
      assertTrue(
          damage.stream().anyMatch(d -> d.epoch() == 1 && d.getMessage().contains("missing")),
          damage::toString);
      assertTrue(damage.stream().anyMatch(d -> d.epoch() == 3), damage::toString);
      assertTrue(damage.stream().noneMatch(d -> d.epoch() == 2), damage::toString);
    }
  }

  @Test
  void aDamagedUndoProgressFileStopsRecoveryInsteadOfGuessing() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Files.write(cp.fileSystem().getPath(data.resolve("f").toString()), new byte[] {1});
    } // closed without commit: the next open must undo that write
    byte[] garbage = new byte[64];
    java.util.Arrays.fill(garbage, (byte) 0x5a);
    Files.write(store.resolve("undo.progress"), garbage); // both slots written, neither valid
    CorruptStoreException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            CorruptStoreException.class, () -> Checkpointer.builder(store).track(data).open());
    assertTrue(e.file().endsWith("undo.progress"), e.getMessage());
  }

  @Test
  void aDamagedUndoProgressFileIsHarmlessWhenNoUndoIsPending() throws IOException {
    byte[] garbage = new byte[64];
    java.util.Arrays.fill(garbage, (byte) 0x5a);
    Files.write(store.resolve("undo.progress"), garbage);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      cp.rollback(1);
      assertEquals(1, cp.currentEpoch());
    }
  }
}
