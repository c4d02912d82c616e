package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.StoreCopies;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A durable commit forces the undo progress's witness of the new epoch beside the segment's
 * commit record, so a power loss may keep the witness and not the record: the witness then
 * names an epoch that neither the index nor a segment commits. That commit was cut short, as
 * one whose witness was lost too: the store opens at the epoch before it and undoes it, whether
 * the index is sound or has to be rebuilt from the segments (a rebuild once took such a segment
 * for a committed one that had lost its commit record to damage, and refused to open).
 */
class CommitWitnessTest {
  private static final byte[] ONE = filled(3 * 4096 + 17, (byte) 1);
  private static final byte[] TWO = filled(2 * 4096, (byte) 2);

  private Durability durability = Durability.PROCESS;

  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().unopened().withOptions(b -> b.durability(durability));

  private static byte[] filled(int length, byte value) {
    byte[] b = new byte[length];
    Arrays.fill(b, value);
    return b;
  }

  @ParameterizedTest(name = "{0}, index lost: {1}")
  @CsvSource({"PROCESS, false", "PROCESS, true", "SYSTEM, false", "SYSTEM, true"})
  void aWitnessOfACommitWhoseRecordWasLostOpensAtTheEpochBefore(Durability mode, boolean indexLost) throws IOException {
    durability = mode;
    Path store = harness.store();
    Path cut = harness.dir().resolve("cut");
    try (Checkpointer cp = harness.open()) {
      Path f = harness.path("f");
      Files.write(f, ONE);
      assertEquals(1, cp.commit());
      Files.write(f, TWO);
      // what the disk holds when epoch 2's commit begins: its segment without a commit record
      StoreCopies.copy(store, cut);
      assertEquals(2, cp.commit());
    }
    StoreCopies.replace(cut, store);
    try (UndoProgress progress = new UndoProgress(new StoreFiles(store).progress())) {
      assertEquals(1, progress.head());
      progress.head(2); // the witness reached the disk, the commit record did not
      progress.force();
    }
    if (indexLost) {
      Files.delete(store.resolve("index.mv"));
    }
    try (Checkpointer cp = harness.open()) {
      assertEquals(1, cp.currentEpoch());
      assertEquals(List.of(0L, 1L), cp.epochs().stream().map(Epoch::id).toList());
      assertArrayEquals(ONE, Files.readAllBytes(harness.root().resolve("f")));
      assertEquals(2, cp.commit()); // the id of the commit cut short is used again
    }
    try (UndoProgress progress = new UndoProgress(new StoreFiles(store).progress())) {
      assertEquals(2, progress.head());
    }
  }
}
