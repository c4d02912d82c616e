package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.DiskFullException;
import dev.metamori.Epoch;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A write of the catalogue that fails for lack of space, after the index commit of its event:
 * the operation fails with a {@link DiskFullException} and the checkpointer carries on; the next
 * event rewrites the catalogue whole, so that it still holds everything (a lost index is
 * rebuilt with every epoch, label and the current epoch).
 */
class CatalogueFullDiskTest {
  @TempDir Path tmp;

  @ParameterizedTest(name = "the catalogue's write fails in {0}")
  @ValueSource(strings = {"an empty commit", "a restore"})
  void aFailedCatalogueWriteIsMadeUpForByTheNextEvent(String when) throws IOException {
    Path store = tmp.resolve("store");
    Path root = Files.createDirectories(tmp.resolve("root"));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<Epoch> epochs;
    TreeSnapshot atOne;
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).open()) {
      Files.writeString(cp.fileSystem().getPath(root.resolve("a").toString()), "one");
      cp.commit("one");
      atOne = TreeSnapshot.exact(root);
      Files.writeString(cp.fileSystem().getPath(root.resolve("a").toString()), "two");
      cp.commit("two");
      faulty.failWhen(
          c -> c.path().getFileName().toString().equals("catalogue.seg") && c.op().startsWith("write"),
          Fault.DISK_FULL_PART_WRITTEN,
          false);
      if (when.equals("an empty commit")) {
        // the epoch is in the index when its catalogue write fails: the retry (the next commit
        // settles it first) finds it committed, and the next event rewrites the catalogue
        assertThrows(DiskFullException.class, () -> cp.commit("empty"));
        faulty.disarm();
        assertEquals(4, cp.commit("next"));
        assertEquals(3, cp.epoch("empty").id());
      } else {
        assertThrows(DiskFullException.class, () -> cp.restore(1));
        faulty.disarm();
        cp.restore(1); // finishes the restore; its event rewrites the catalogue
        atOne.assertSameAs(TreeSnapshot.exact(root), "after the restore");
        cp.commit("after");
      }
      assertTrue(faulty.faultsThrown() > 0, "the catalogue's write was tried");
      epochs = cp.epochs();
    }
    long current = epochs.get(epochs.size() - 1).id();
    Files.delete(store.resolve("index.mv"));
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      assertEquals(epochs, cp.epochs(), "the index rebuilt from the catalogue");
      assertEquals(current, cp.currentEpoch());
      assertEquals(List.of(), cp.verify());
    }
  }
}
