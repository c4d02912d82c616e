package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
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
 * NoSuchEpochException". The store here is built the same way every run (a fixed clock; segment
 * nonces are random but of fixed size), so the epochs' newest index entries lie at the same
 * offsets, give or take a byte of MVStore's chunk header; each flip below reproduced the
 * failure before the fix.
 */
class IndexDamageRegressionTest {
  private static final long NOW = 1_700_000_000_000L;

  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withOptions(b -> b.clock(Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC)));

  Path data;
  Path store;

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
    }
  }

  /**
   * Flips {@code mask} into the low byte of the flags of {@code epoch}'s newest entry at {@code
   * offset}, then: the restore to {@code epoch} and the listing of epochs must report damage of
   * index.mv (or restore exactly), never "pruned".
   */
  @ParameterizedTest(name = "flip index.mv at {1} with mask {2}: epoch {0}")
  @CsvSource({
    "4, 45560, 0xb3", // the failure seen in CI
    "4, 45560, 0x01",
    "4, 45560, 0x03",
    "4, 45560, 0x11",
    "0, 45300, 0x01",
    "1, 45365, 0x07",
    "2, 45430, 0x01",
    "3, 45495, 0x01",
    "3, 45495, 0x03",
    "5, 45625, 0x01",
  })
  void aFlippedFlagIsDamageOfTheIndexNotAPrune(long epoch, int offset, String mask) throws IOException {
    harness.skipVerifyAfter("a flags byte of epoch " + epoch + "'s entry in index.mv is flipped");
    Path index = store.resolve("index.mv");
    byte[] bytes = Files.readAllBytes(index);
    int at = flagsByteNear(bytes, epoch, offset);
    bytes[at] ^= (byte) Integer.parseInt(mask.substring(2), 16);
    Files.write(index, bytes);

    try (Checkpointer cp = harness.open()) {
      CorruptStoreException listed = assertThrows(CorruptStoreException.class, cp::epochs);
      assertNamesIndex(listed, epoch);
      assertTrue(
          cp.verify().stream().anyMatch(d -> d.file().getFileName().toString().equals("index.mv")),
          "verify() does not report the damaged index");
      try {
        cp.rollback(epoch);
        // a correct restore is acceptable too
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
      } catch (CorruptStoreException e) {
        assertNamesIndex(e, epoch);
      }
    } catch (NoSuchEpochException e) {
      throw new AssertionError("committed epoch " + epoch + " reported as gone: " + e.getMessage(), e);
    }
  }

  /**
   * The low byte of the flags of {@code epoch}'s newest entry (its id, commit time {@link #NOW}
   * and flags 0 in place) at or a few bytes from {@code offset}: MVStore's chunk headers are
   * text whose length varies by a byte or so with the time of writing.
   */
  private static int flagsByteNear(byte[] bytes, long epoch, int offset) {
    ByteBuffer b = ByteBuffer.wrap(bytes);
    for (int d = 0; d <= 16; d++) {
      for (int at : new int[] {offset + d, offset - d}) {
        int start = at - 63;
        if (start >= 0 && at < bytes.length && b.getLong(start) == epoch
            && b.getLong(start + 16) == NOW && b.getLong(start + 56) == 0) {
          return at;
        }
      }
    }
    throw new AssertionError("no entry of epoch " + epoch + " near offset " + offset + " of index.mv");
  }

  private static void assertNamesIndex(CorruptStoreException e, long epoch) {
    assertEquals("index.mv", e.file().getFileName().toString(), e.getMessage());
    assertEquals(epoch, e.epoch(), e.getMessage());
    assertTrue(e.getMessage().contains("the index is damaged"), e.getMessage());
    assertTrue(e.getMessage().contains("restore the store directory from a backup"), e.getMessage());
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
