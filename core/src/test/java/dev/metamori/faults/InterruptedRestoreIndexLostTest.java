package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A restore that an I/O error stops part way, and then the loss of {@code index.mv}: the open
 * rebuilds the index from the segments and the catalogue, which say whether a restore was under
 * way; the undo progress says how far it got, and the open finishes it. For every N-th I/O call
 * of a restore that undoes one epoch and redoes two on another branch ({@code
 * -Dmetamori.faults.stride=N}, default 3), the call fails from then on; the index is then deleted
 * and the store reopened: it must be at the epoch the restore started from or at its target,
 * with exactly that epoch's tree, list the same epochs, and verify clean.
 */
class InterruptedRestoreIndexLostTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aRestoreCutShortAndThenALostIndexEndAtOneOfTheTwoEpochs(Durability durability) throws IOException {
    long stride = Long.getLong("metamori.faults.stride", 3);
    int points = 0;
    int finished = 0;
    for (long k = 1; ; k += stride) {
      Path dir = Files.createDirectories(tmp.resolve(durability + "-" + k));
      Path store = dir.resolve("store");
      Path root = Files.createDirectories(dir.resolve("root"));
      FaultyFileSystem faulty = FaultyFileSystem.create();
      Checkpointer cp =
          Checkpointer.builder(faulty.getPath(store.toString()))
              .track(faulty.getPath(root.toString()))
              .durability(durability)
              .open();
      Map<Long, TreeSnapshot> trees = new HashMap<>();
      Path a = cp.fileSystem().getPath(root.resolve("a").toString());
      Path b = cp.fileSystem().getPath(root.resolve("b").toString());
      Files.write(a, FaultWorkload.bytes(9000, 1));
      Files.setLastModifiedTime(a, FileTime.fromMillis(1_000_000));
      trees.put(cp.commit("one"), TreeSnapshot.exact(root));
      Files.write(b, FaultWorkload.bytes(3000, 2));
      Files.write(a, FaultWorkload.bytes(5000, 3));
      trees.put(cp.commit(), TreeSnapshot.exact(root));
      Files.move(b, cp.fileSystem().getPath(root.resolve("c").toString()), StandardCopyOption.REPLACE_EXISTING);
      Files.delete(a);
      trees.put(cp.commit("three"), TreeSnapshot.exact(root));
      cp.restore(1);
      Files.write(b, FaultWorkload.bytes(7000, 4));
      trees.put(cp.commit("four"), TreeSnapshot.exact(root));
      List<Epoch> epochs = cp.epochs();
      faulty.failAt(faulty.calls() + k, Fault.IO_ERROR, true);
      try {
        cp.restore(3); // undoes 4, redoes 2 and 3
      } catch (IOException expected) {
        // stopped part way
      }
      boolean reached = faulty.firstFaulted() != null;
      faulty.disarm();
      IoFaultTest.closeQuietly(cp);
      if (!reached) {
        break; // k is past the restore's last call: every point has been tried
      }
      points++;
      String context = durability + ", a restore from 4 to 3 stopped at " + faulty.firstFaulted() + ", then index.mv lost";
      Files.delete(store.resolve("index.mv"));
      try (Checkpointer reopened = Checkpointer.builder(store).track(root).open()) {
        long at = reopened.currentEpoch();
        assertTrue(at == 3 || at == 4, context + ": reopened at epoch " + at);
        IoFaultTest.assertSame(trees.get(at), root, context + ", at epoch " + at);
        assertEquals(epochs, reopened.epochs(), context);
        assertEquals(List.of(), reopened.verify(), context);
        finished += at == 3 ? 1 : 0;
        reopened.restore(at == 3 ? 4 : 3);
        IoFaultTest.assertSame(trees.get(at == 3 ? 4L : 3L), root, context + ", restored on");
      }
      ScratchSpace.delete(dir);
    }
    System.out.printf(
        "InterruptedRestoreIndexLostTest %s: %d fault points in a restore, %d reopened at its target%n",
        durability, points, finished);
    assertTrue(points > 20, "the restore made only " + points + " of the I/O calls tried");
    assertTrue(finished > 0 && finished < points, "the restore was finished at " + finished + " of " + points + " points");
  }
}
