package dev.metamori.faults;

import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Call;
import dev.metamori.testing.PowerLossRecorder;
import dev.metamori.testing.PowerLossRecorder.Keep;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A rollback across two committed epochs: a power loss while they are undone (each one's redo
 * saved first) leaves a state recovery must finish. The store must reopen at the rollback's
 * target with every epoch still listed, with the trees exactly there in {@code SYSTEM} ({@code
 * PROCESS} forces no undo step, so the file the rollback was restoring may be left part way),
 * and, in {@code SYSTEM}, restoring forward to each undone epoch must redo it exactly.
 */
class PowerLossInMultiEpochRollbackTest {
  @TempDir Path tmp;

  private static void overwrite(Path file, int seed) throws IOException {
    try (FileChannel c = FileChannel.open(file, WRITE)) {
      c.write(ByteBuffer.wrap(FaultWorkload.bytes(2000, seed)), 100);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aPowerLossDuringARollbackAcrossTwoEpochsLeavesTheStoreAtItsTarget(Durability durability) throws IOException {
    Path store = Files.createDirectories(tmp.resolve("store"));
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.write(root.resolve("f"), FaultWorkload.bytes(5000, 1));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<Path> states = new ArrayList<>();
    List<String> contexts = new ArrayList<>();
    boolean[] rollingBack = {false};
    faulty.recorder(
        new PowerLossRecorder(tmp.resolve("attic")) {
          {
            syncedWhenChanged(store.resolve("index.mv"));
          }

          @Override
          public void call(Call c) throws IOException {
            if (rollingBack[0] && PowerLossProperties.changes(c)) {
              for (int k = -1; k < unforcedDirectoryOperations(); k++) {
                Path state = tmp.resolve("state-" + states.size());
                String lost = materialise(state, k < 0 ? Keep.FORCED_ONLY : Keep.DIRECTORY_PREFIX, 0, k, root, store);
                states.add(state);
                contexts.add("power loss before " + c + " (" + durability + "): " + lost);
              }
            }
          }
        });
    TreeSnapshot epoch1;
    TreeSnapshot epoch2;
    TreeSnapshot epoch3;
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).durability(durability).open()) {
      Path f = cp.fileSystem().getPath(root.resolve("f").toString());
      epoch1 = TreeSnapshot.of(root);
      long e1 = cp.commit();
      overwrite(f, 2);
      epoch2 = TreeSnapshot.of(root);
      cp.commit();
      overwrite(f, 3);
      epoch3 = TreeSnapshot.of(root);
      cp.commit();
      rollingBack[0] = true;
      cp.rollback(e1);
      rollingBack[0] = false;
      assertEquals(epoch1, TreeSnapshot.of(root));
    }
    assertTrue(states.size() > 0);
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < states.size(); i++) {
      Path state = states.get(i);
      ScratchSpace.delete(store);
      ScratchSpace.delete(root);
      PowerLossRecorder.copyTree(state.resolve("0"), root, null);
      PowerLossRecorder.copyTree(state.resolve("1"), store, null);
      try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
        assertEquals(1, cp.currentEpoch(), contexts.get(i));
        assertEquals(List.of(0L, 1L, 2L, 3L), cp.epochs().stream().map(Epoch::id).collect(Collectors.toList()), contexts.get(i));
        if (durability == Durability.SYSTEM) {
          IoFaultTest.assertSame(epoch1, root, contexts.get(i));
          cp.restore(3);
          IoFaultTest.assertSame(epoch3, root, contexts.get(i) + ", then restore forward to 3");
          cp.restore(2);
          IoFaultTest.assertSame(epoch2, root, contexts.get(i) + ", then back to 2");
          cp.restore(1);
          IoFaultTest.assertSame(epoch1, root, contexts.get(i) + ", then back to 1");
        }
      } catch (IOException | RuntimeException e) {
        failures.add(contexts.get(i) + ": " + e);
      }
    }
    assertEquals(List.of(), failures);
  }
}
