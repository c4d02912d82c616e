package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Call;
import dev.metamori.testing.PowerLossRecorder;
import dev.metamori.testing.PowerLossRecorder.Keep;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A rollback records its target durably, then undoes the working epoch from its segment. If
 * that segment was never forced, a power loss in the middle of the undo keeps the undone
 * deletions but loses the records that say so, and the store cannot finish the rollback.
 */
class PowerLossDuringRollbackTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aPowerLossWhileARollbackUndoesTheWorkingEpochLeavesTheStoreAtAnEpoch(Durability durability)
      throws IOException {
    Path store = tmp.resolve("store");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.write(root.resolve("keep.txt"), FaultWorkload.bytes(300, 1));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    Path state = tmp.resolve("state");
    PowerLossRecorder recorder =
        new PowerLossRecorder(tmp.resolve("attic")) {
          {
            syncedWhenChanged(store.resolve("index.mv"));
          }

          @Override
          public void call(Call c) throws IOException {
            // just before the deleted file is renamed back out of the trash (the store renames
            // other files of its own too: its catalogue's rewrites)
            if (c.op().startsWith("move") && c.path().startsWith(store.resolve("trash")) && !Files.exists(state)) {
              materialise(state, Keep.FORCED_ONLY, 0, root, store);
            }
          }
        };
    faulty.recorder(recorder);
    TreeSnapshot epoch1;
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString()))
            .track(faulty.getPath(root.toString()))
            .durability(durability)
            .open()) {
      Path keep = cp.fileSystem().getPath(root.resolve("keep.txt").toString());
      Files.setLastModifiedTime(keep, FileTime.fromMillis(1_000_000));
      epoch1 = TreeSnapshot.of(root);
      long e1 = cp.commit();
      Files.setLastModifiedTime(keep, FileTime.fromMillis(2_000_000));
      long e2 = cp.commit();
      Files.delete(keep);
      cp.rollback(e1);
      assertEquals(epoch1, TreeSnapshot.of(root));
      assertEquals(2, e2);
    }
    assertNotNull(Files.exists(state) ? state : null, "no power loss was simulated");
    ScratchSpace.delete(store);
    ScratchSpace.delete(root);
    PowerLossRecorder.copyTree(state.resolve("0"), root, null);
    PowerLossRecorder.copyTree(state.resolve("1"), store, null);
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      assertEquals(1, cp.currentEpoch());
      IoFaultTest.assertSame(epoch1, root, "after the power loss");
    }
  }
}
