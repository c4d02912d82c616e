package dev.metamori.faults;

import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A durable commit does not force the files it changed in place: their new bytes are in the
 * epoch's after-images, and the files are forced after the commit returns. A power loss in
 * between, which loses the new bytes of the files (only what was forced survives), must reopen
 * at the committed epoch exactly; damaged after-images are reported, not half applied.
 */
class AfterImagesPowerLossTest {
  @TempDir Path tmp;

  private static void overwrite(Path file, long position, int length, int seed) throws IOException {
    try (FileChannel c = FileChannel.open(file, WRITE)) {
      c.write(ByteBuffer.wrap(FaultWorkload.bytes(length, seed)), position);
    }
  }

  /** The states of the disk just before each force of a tracked file by the deferred flush. */
  private List<Path> statesDuringTheFlush(Durability durability, List<TreeSnapshot> committed, Keep keep)
      throws IOException {
    Path store = Files.createDirectories(tmp.resolve("store"));
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.write(root.resolve("a"), FaultWorkload.bytes(20_000, 1));
    Files.write(root.resolve("b"), FaultWorkload.bytes(9_000, 2));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<Path> states = new ArrayList<>();
    PowerLossRecorder recorder =
        new PowerLossRecorder(tmp.resolve("attic")) {
          {
            syncedWhenChanged(store.resolve("index.mv"));
          }

          @Override
          public void call(Call c) throws IOException {
            if (c.op().startsWith("force") && c.path().startsWith(root.toString())
                && Thread.currentThread().getName().equals("metamori-deferred-flush")) {
              // the committed bytes of the files are not durable yet: only their after-images are
              assertTrue(unforcedChanges() > 0, "nothing unforced before " + c);
              Path state = tmp.resolve("state-" + states.size());
              materialise(state, keep, 0, root, store);
              states.add(state);
            }
          }
        };
    faulty.recorder(recorder);
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).durability(durability).open()) {
      Path a = cp.fileSystem().getPath(root.resolve("a").toString());
      Path b = cp.fileSystem().getPath(root.resolve("b").toString());
      cp.commit();
      overwrite(a, 5000, 7000, 3); // in place, across blocks
      overwrite(b, 8000, 3000, 4); // past the old end
      committed.add(TreeSnapshot.of(root));
      cp.commit();
      try (FileChannel c = FileChannel.open(a, WRITE)) {
        c.truncate(4000); // shorter than before
      }
      overwrite(b, 0, 100, 5);
      committed.add(TreeSnapshot.of(root));
      cp.commit();
    }
    return states;
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aPowerLossBeforeTheFilesOfACommitAreForcedReopensAtThatEpochExactly(Durability durability) throws IOException {
    List<TreeSnapshot> committed = new ArrayList<>();
    List<Path> states = statesDuringTheFlush(durability, committed, Keep.FORCED_ONLY);
    assertTrue(states.size() >= 2, "the deferred flush forced " + states.size() + " files");
    Path store = tmp.resolve("store");
    Path root = tmp.resolve("root");
    List<String> failures = new ArrayList<>();
    for (Path state : states) {
      ScratchSpace.delete(store);
      ScratchSpace.delete(root);
      PowerLossRecorder.copyTree(state.resolve("0"), root, null);
      PowerLossRecorder.copyTree(state.resolve("1"), store, null);
      try (Checkpointer cp = Checkpointer.builder(store).track(root).durability(durability).open()) {
        long current = cp.currentEpoch();
        TreeSnapshot expected = committed.get((int) current - 2);
        IoFaultTest.assertSame(expected, root, state + " at epoch " + current);
        assertEquals(List.of(), cp.verify(), state + ": verify");
        assertEquals(List.of(), cp.status(), state + ": outside changes");
        cp.restore(1);
        cp.restore(current);
        IoFaultTest.assertSame(expected, root, state + ", restored back and forth");
      } catch (IOException | RuntimeException | AssertionError e) {
        failures.add(state + ": " + e);
      }
    }
    assertEquals(List.of(), failures);
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS"})
  void damagedAfterImagesAreReportedAndChangeNothing(Durability durability) throws IOException {
    List<TreeSnapshot> committed = new ArrayList<>();
    List<Path> states = statesDuringTheFlush(durability, committed, Keep.FORCED_ONLY);
    Path state = states.get(states.size() - 1);
    Path store = tmp.resolve("store");
    Path root = tmp.resolve("root");
    ScratchSpace.delete(store);
    ScratchSpace.delete(root);
    PowerLossRecorder.copyTree(state.resolve("0"), root, null);
    PowerLossRecorder.copyTree(state.resolve("1"), store, null);
    Path after;
    try (var files = Files.list(store.resolve("segments"))) {
      after = files.filter(p -> p.toString().endsWith(".after")).findFirst().orElseThrow();
    }
    byte[] bytes = Files.readAllBytes(after);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(after, bytes);
    TreeSnapshot before = TreeSnapshot.of(root);
    CorruptStoreException e =
        assertThrows(CorruptStoreException.class, () -> Checkpointer.builder(store).track(root).open());
    assertTrue(e.getMessage().contains(after.getFileName().toString()), e.getMessage());
    IoFaultTest.assertSame(before, root, "after the refused open");
  }
}
