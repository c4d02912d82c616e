package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Gives back the space of {@code index.mv}. The index never reuses the space of old MVStore
 * chunks (a SIGKILL was seen to leave an index that reopened many commits old when it did), so
 * every index commit appends a chunk of the pages it changed: about 14 KiB for a small commit.
 * A compaction copies every map into {@code index.mv.new}, forces it, renames it over {@code
 * index.mv} and forces the directory: a crash leaves either file whole, and a leftover copy is
 * deleted on open. It runs after every prune, and after a commit or a restore once the file has
 * grown past {@link #FACTOR} times its size after the last compaction (plus {@link #SLACK}):
 * the index then stays within a small multiple of what it holds, at the cost of one copy of it
 * every so many commits.
 */
final class IndexCompaction {
  /** Compact once the file is this many times its size after the last compaction... */
  static final long FACTOR = 2;
  /** ...plus this many bytes. */
  static final long SLACK = 128 << 10;

  private static final System.Logger LOG = System.getLogger("dev.metamori");

  private IndexCompaction() {}

  /**
   * Compacts the index if it has grown past {@link #FACTOR} times its compacted size plus {@link
   * #SLACK}. A copy that cannot be written (a full disk) is given up with a warning: the index is
   * still whole, only larger.
   */
  static void compactIfGrown(JournalStore store) throws IOException {
    long size;
    try {
      size = Files.size(store.files.index());
    } catch (IOException e) {
      // what called this is done and durable: a compaction it cannot even size is left for later
      LOG.log(System.Logger.Level.WARNING, "store {0}: the index could not be compacted: {1}", store.files.store, e);
      return;
    }
    if (size > FACTOR * store.indexCompactedBytes + SLACK) {
      compact(store, true);
    }
  }

  /** Rewrites the index into a forced copy renamed over it, and opens the copy in its place. */
  static void compact(JournalStore store) throws IOException {
    compact(store, false);
  }

  private static void compact(JournalStore store, boolean mayGiveUp) throws IOException {
    if (!(store.index() instanceof MvStoreIndex current)) {
      return;
    }
    Path file = store.files.index();
    Path copy = store.files.indexCopy();
    try {
      current.copyTo(copy, store.forcing()); // with Durability.NONE nothing is forced, this neither
    } catch (IOException e) {
      try {
        Files.deleteIfExists(copy);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      if (!mayGiveUp) {
        throw e;
      }
      LOG.log(System.Logger.Level.WARNING, "store {0}: the index could not be compacted: {1}", store.files.store, e);
      store.indexCompactedBytes = Files.size(file); // not again before it has doubled
      return;
    }
    current.close();
    try {
      Files.move(copy, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (store.forcing()) {
        StoreFiles.forceDirectory(store.files.store);
      }
    } finally {
      // the copy if it is in place, else the index as it was
      store.replaceIndex(new MvStoreIndex(file));
    }
    store.indexCompactedBytes = Files.size(file);
  }
}
