package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.PowerLossRecorder;
import dev.metamori.testing.PowerLossRecorder.Keep;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A file overwritten and then deleted in one epoch lies in the trash with data nobody has
 * forced: the commit forces the files of the epoch by their tracked paths, and this one has
 * none any more. The commit checksums the trash entry from the page cache, so it must force the
 * entry too: after a power loss that keeps only what was forced, the entry must still match its
 * checksum (verify clean) and a restore across the epoch must be exact.
 */
class TrashPowerLossTest {
  @TempDir Path tmp;

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aTrashEntryWrittenInItsEpochIsAsItsChecksumSaysAfterAPowerLossFollowingTheCommit(Durability durability)
      throws IOException {
    Path store = tmp.resolve("store");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.write(root.resolve("doc"), FaultWorkload.bytes(3 * 4096 + 10, 1));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    PowerLossRecorder recorder =
        new PowerLossRecorder(tmp.resolve("attic")) {
          {
            syncedWhenChanged(store.resolve("index.mv"));
          }
        };
    faulty.recorder(recorder);
    Path state = tmp.resolve("state");
    TreeSnapshot epoch0 = TreeSnapshot.of(root);
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString()))
            .track(faulty.getPath(root.toString()))
            .durability(durability)
            .open()) {
      Path doc = cp.fileSystem().getPath(root.resolve("doc").toString());
      try (FileChannel c = FileChannel.open(doc, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(FaultWorkload.bytes(5000, 2)), 100);
        c.write(ByteBuffer.wrap(FaultWorkload.bytes(700, 3)), 3 * 4096 + 10); // an append
      }
      Files.delete(doc); // into the trash, its new bytes not forced
      assertEquals(1, cp.commit());
      recorder.materialise(state, Keep.FORCED_ONLY, 0, root, store);
    }
    ScratchSpace.delete(store);
    ScratchSpace.delete(root);
    PowerLossRecorder.copyTree(state.resolve("0"), root, null);
    PowerLossRecorder.copyTree(state.resolve("1"), store, null);
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      assertEquals(1, cp.currentEpoch());
      assertEquals(List.of(), cp.verify(), "after the power loss");
      cp.rollback(0);
      IoFaultTest.assertSame(epoch0, root, "after the power loss and a rollback to 0");
    }
  }
}
