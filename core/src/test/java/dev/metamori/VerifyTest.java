package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link Checkpointer#verify()} reads the whole journal and reports every damaged record. */
class VerifyTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withTree(root -> Files.write(root.resolve("f"), new byte[64 * 1024]));

  Path store;

  /** Three epochs, each changing four blocks of f; then the store is closed for the test. */
  @BeforeEach
  void threeEpochsOfChanges() throws IOException {
    store = harness.store();
    Checkpointer cp = harness.cp();
    Path f = harness.path("f");
    for (int epoch = 1; epoch <= 3; epoch++) {
      try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
        for (int block = 0; block < 4; block++) {
          c.write(ByteBuffer.wrap(new byte[] {(byte) epoch}), block * 8192L);
        }
      }
      cp.commit();
    }
    cp.close();
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
    assertEquals(List.of(), harness.open().verify());
  }

  @Test
  void everyDamagedRecordIsReportedWithItsFileAndEpoch() throws IOException {
    harness.skipVerifyAfter("three records of epochs 2 and 3 are damaged on purpose");
    List<Path> segments = segments();
    assertEquals(3, segments.size());
    // damage the payloads of two records in epoch 2 and one in epoch 3
    flipByte(segments.get(1), 200);
    flipByte(segments.get(1), Files.size(segments.get(1)) - 60);
    flipByte(segments.get(2), 300);
    Checkpointer cp = harness.open();
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

  @Test
  void aMissingOrTruncatedSegmentIsReported() throws IOException {
    harness.skipVerifyAfter("the first segment is deleted and the third truncated on purpose");
    List<Path> segments = segments();
    Files.delete(segments.get(0));
    try (FileChannel c = FileChannel.open(segments.get(2), StandardOpenOption.WRITE)) {
      c.truncate(c.size() - 10);
    }
    List<CorruptStoreException> damage = harness.open().verify();
    assertTrue(
        damage.stream().anyMatch(d -> d.epoch() == 1 && d.getMessage().contains("missing")),
        damage::toString);
    assertTrue(damage.stream().anyMatch(d -> d.epoch() == 3), damage::toString);
    assertTrue(damage.stream().noneMatch(d -> d.epoch() == 2), damage::toString);
  }

  @Test
  void aDamagedUndoProgressFileStopsRecoveryInsteadOfGuessing() throws IOException {
    harness.skipVerifyAfter("undo.progress is overwritten with garbage while an undo is pending");
    harness.open();
    Files.write(harness.path("f"), new byte[] {1});
    harness.cp().close(); // closed without commit: the next open must undo that write
    byte[] garbage = new byte[64];
    java.util.Arrays.fill(garbage, (byte) 0x5a);
    Files.write(store.resolve("undo.progress"), garbage); // both slots written, neither valid
    CorruptStoreException e =
        org.junit.jupiter.api.Assertions.assertThrows(CorruptStoreException.class, harness::open);
    assertTrue(e.file().endsWith("undo.progress"), e.getMessage());
  }

  @Test
  void aDamagedUndoProgressFileIsHarmlessWhenNoUndoIsPending() throws IOException {
    byte[] garbage = new byte[64];
    java.util.Arrays.fill(garbage, (byte) 0x5a);
    Files.write(store.resolve("undo.progress"), garbage);
    Checkpointer cp = harness.open();
    cp.rollback(1);
    assertEquals(1, cp.currentEpoch());
  }
}
