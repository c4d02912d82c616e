package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.NoSuchEpochException;
import dev.metamori.RetentionPolicy;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A flipped byte in the epochs map of {@code index.mv} (MVStore checksums chunk headers, not
 * page contents) once set the hidden flag of a committed epoch, and a restore to it then failed
 * with "no such epoch 4: it was pruned": an epoch lost and reported as the user's prune. Seen in
 * CorruptionProperties as "flip index.mv at 45559 with mask 0xb3: rollback to 4 failed with
 * NoSuchEpochException". That was then reported as damage of the index; now every epoch entry
 * carries a checksum, so the flip is found on open and the index rebuilt from the segments and
 * the catalogue: the epoch is listed and restores exactly. The store here is built the same way
 * every run (a fixed clock); each flip below is made in the newest copy of the epoch's entry.
 */
class IndexDamageRegressionTest {
  private static final long NOW = 1_700_000_000_000L;

  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withOptions(b -> b.clock(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC)));

  Path data;
  Path store;
  List<Epoch> epochs;

  /** Epochs 1, 2, 3, a rollback to 2, then 4 and 5: 3 is a branch, 5 the current epoch. */
  @BeforeEach
  void fiveEpochsWithABranch() throws IOException {
    data = harness.root();
    store = harness.store();
    try (Checkpointer cp = harness.cp()) {
      for (int e = 1; e <= 5; e++) {
        Files.write(cp.fileSystem().getPath(data.resolve("f" + e).toString()), new byte[] {(byte) e});
        assertEquals(e, cp.commit());
        if (e == 3) {
          cp.rollback(2);
        }
      }
      epochs = cp.epochs();
    }
  }

  /**
   * Flips {@code mask} into the low byte of the flags of {@code epoch}'s newest entry, then: the
   * open finds it and rebuilds the index, which lists every epoch as before (never "pruned"),
   * and the restore to {@code epoch} is exact.
   */
  @ParameterizedTest(name = "flip the flags of epoch {0} with mask {1}")
  @CsvSource({
    "4, 0xb3", // the failure seen in CI
    "4, 0x01",
    "4, 0x03",
    "4, 0x11",
    "0, 0x01",
    "1, 0x07",
    "2, 0x01",
    "3, 0x01",
    "3, 0x03",
    "5, 0x01",
  })
  void aFlippedFlagIsFoundOnOpenAndTheIndexRebuilt(long epoch, String mask) throws IOException {
    Path index = store.resolve("index.mv");
    byte[] bytes = Files.readAllBytes(index);
    int at = flagsByteOfNewestEntry(bytes, epoch);
    bytes[at] ^= (byte) Integer.parseInt(mask.substring(2), 16);
    Files.write(index, bytes);

    try (Checkpointer cp = harness.open()) {
      assertEquals(epochs, cp.epochs(), "the epochs of the rebuilt index");
      assertTrue(cp.verify().isEmpty(), "verify() after the rebuild");
      cp.rollback(epoch);
      assertEquals(epoch, cp.currentEpoch());
      for (int e = 1; e <= 5; e++) {
        Path f = data.resolve("f" + e);
        boolean present = e <= epoch && (e != 3 || epoch == 3);
        assertEquals(present, Files.exists(f), f + " after a restore to " + epoch);
        if (present) {
          assertArrayEquals(new byte[] {(byte) e}, Files.readAllBytes(f));
        }
      }
    } catch (NoSuchEpochException e) {
      throw new AssertionError("committed epoch " + epoch + " reported as gone: " + e.getMessage(), e);
    }
  }

  /**
   * The low byte of the flags of {@code epoch}'s newest entry (its id, commit time {@link #NOW}
   * and flags 0 in place): the last one in the file, since MVStore only appends chunks to it.
   */
  private static int flagsByteOfNewestEntry(byte[] bytes, long epoch) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    for (int start = bytes.length - 68; start >= 0; start--) {
      if (b.getLong(start) == epoch && b.getLong(start + 16) == NOW && b.getLong(start + 56) == 0) {
        return start + 63;
      }
    }
    throw new AssertionError("no entry of epoch " + epoch + " in index.mv");
  }

  /** An epoch a prune really hid is still reported as pruned, and the kept ones restore. */
  @Test
  void aPrunedEpochIsStillReportedAsPruned() throws IOException {
    try (Checkpointer cp = harness.open()) {
      Files.write(cp.fileSystem().getPath(data.resolve("f6").toString()), new byte[] {6});
      assertEquals(6, cp.commit("six"));
      Files.write(cp.fileSystem().getPath(data.resolve("f7").toString()), new byte[] {7});
      assertEquals(7, cp.commit());
      Files.write(cp.fileSystem().getPath(data.resolve("f8").toString()), new byte[] {8});
      assertEquals(8, cp.commit());
      cp.prune(RetentionPolicy.keepLabelled()); // keeps 6 and the current 8; 7 is hidden
      assertEquals(List.of(6L, 8L), cp.epochs().stream().map(Epoch::id).toList());
      NoSuchEpochException e = assertThrows(NoSuchEpochException.class, () -> cp.rollback(7));
      assertTrue(e.getMessage().contains("it was pruned"), e.getMessage());
      assertTrue(cp.verify().isEmpty());
      cp.rollback(6);
      assertTrue(Files.exists(data.resolve("f6")) && !Files.exists(data.resolve("f7")));
      cp.rollback(8);
      assertEquals(8, cp.currentEpoch());
      assertTrue(Files.exists(data.resolve("f7")) && Files.exists(data.resolve("f8")));
    }
    try (Checkpointer cp = harness.open()) {
      assertEquals(List.of(6L, 8L), cp.epochs().stream().map(Epoch::id).toList());
    }
  }
}
