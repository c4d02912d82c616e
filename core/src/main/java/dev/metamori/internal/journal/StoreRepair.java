package dev.metamori.internal.journal;

import dev.metamori.RepairResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The entry of {@code Checkpointer.repair}: rebuilds a store's index and says what it found. */
public final class StoreRepair {
  private StoreRepair() {}

  /**
   * Rebuilds the index of the store in {@code store}, which must not be open, from its segments
   * and catalogue (see {@link JournalOpener#repair}), and says what it found.
   *
   * @throws IllegalArgumentException if {@code store} is not a store
   */
  public static RepairResult repair(Path store) throws IOException {
    StoreFiles files = new StoreFiles(store);
    if (!Files.isDirectory(files.segments) || !(Files.exists(files.catalogue()) || Files.exists(files.index()))) {
      throw new IllegalArgumentException(
          store + " is not a Metamori store (it has neither catalogue.seg nor index.mv beside segments/)");
    }
    JournalOpener.Report r = JournalOpener.repair(store.toRealPath());
    IndexRebuilder.Summary s = r.rebuilt;
    return new RepairResult(
        RepairResult.IndexState.valueOf(r.index.toUpperCase(Locale.ROOT)),
        r.detail, r.catalogue, s.segments(), s.records(), s.epochs(), s.listed(), s.labelled(), s.names(),
        s.current(), s.roots());
  }
}
