package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_BLOCK_SIZE;
import static dev.metamori.internal.journal.JournalStore.META_CURRENT;
import static dev.metamori.internal.journal.JournalStore.META_FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_NEXT;
import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;

import dev.metamori.CheckpointException;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens (or creates) the journal of a store directory: locks it, opens the index, checks the
 * format version, the block size and the current epoch against the undo progress, and finishes
 * the file deletions and compactions of a prune a crash interrupted. Does not recover the trees.
 */
final class JournalOpener {
  private JournalOpener() {}

  static Journal open(Path dir, int requestedBlockSize, Durability durability, long nowMillis) throws IOException {
    StoreFiles files = new StoreFiles(dir);
    files.createDirectories();
    FileChannel lock = StoreLock.acquire(files);
    EpochIndex index = null;
    UndoProgress progress = null;
    try {
      Files.deleteIfExists(files.indexCopy()); // a prune's copy a crash left behind
      index = new MvStoreIndex(files.index());
      OwnerOnly.restrict(files);
      long format = index.meta(META_FORMAT, -1);
      if (format == -1) {
        int blockSize = requestedBlockSize == 0 ? 4096 : requestedBlockSize;
        index.putMeta(META_FORMAT, FORMAT);
        index.putMeta(META_BLOCK_SIZE, blockSize);
        index.putMeta(META_CURRENT, 0);
        index.putMeta(META_NEXT, 1);
        index.putEpoch(new EpochInfo(0, -1, nowMillis, 0, 0, 0, 0));
        index.commit(true);
        StoreFiles.forceDirectory(dir);
      } else if (format == JournalStore.FORMAT_WITHOUT_TRASH_DIGESTS) {
        // format 3 only adds trash checksums: mark the store, so that versions without them
        // refuse it rather than take those records for damage; its old trash stays unchecked
        index.putMeta(META_FORMAT, FORMAT);
        index.commit(true);
      } else if (format != FORMAT) {
        throw new CheckpointException(
            "store " + dir + " has format version " + format + ", which this version of Metamori (format "
                + FORMAT + ") cannot read: open it with the version that wrote it");
      }
      int blockSize = (int) index.meta(META_BLOCK_SIZE, 4096);
      if (requestedBlockSize != 0 && requestedBlockSize != blockSize) {
        throw new CheckpointException(
            "store " + dir + " was created with block size " + blockSize + ", not " + requestedBlockSize
                + ": leave the block size unset to reopen it");
      }
      checkBlockSize(files, blockSize);
      progress = new UndoProgress(files.progress());
      JournalStore store = new JournalStore(files, index, progress, blockSize, durability);
      checkCurrent(store);
      Pruner.finishDeletions(store);
      Pruner.finishCompactions(store);
      return new Journal(store, lock);
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(progress, e);
      JournalStore.closeQuietly(index, e);
      JournalStore.closeQuietly(lock, e);
      throw e;
    }
  }

  /**
   * The index's block size places every block record on undo: it must be one the builder
   * allows and the one the segments were written with (their headers are checksummed).
   */
  private static void checkBlockSize(StoreFiles files, int blockSize) throws IOException {
    Path indexFile = files.index();
    if (blockSize < 512 || blockSize > (1 << 20) || Integer.bitCount(blockSize) != 1) {
      throw new CorruptStoreException(indexFile, -1, -1, "the index records block size " + blockSize);
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(files.segments, "*.seg")) {
      for (Path file : stream) {
        if (Files.size(file) < Segment.HEADER_SIZE) {
          continue;
        }
        int segmentBlockSize;
        try (Segment s = Segment.open(file)) {
          segmentBlockSize = s.blockSize;
        } catch (CorruptStoreException damaged) {
          continue; // reported when the segment is needed
        }
        if (segmentBlockSize != blockSize) {
          throw new CorruptStoreException(
              indexFile,
              -1,
              -1,
              "the index records block size " + blockSize + " but segment " + file.getFileName()
                  + " was written with " + segmentBlockSize);
        }
        return; // one sound segment tells; CommittedSegments checks each one it uses
      }
    }
  }

  /**
   * The index lists the current epoch, the next id is above every id used, and the current
   * epoch is the one the undo progress witnessed: equal, or one the index has not committed yet
   * (a crash inside a commit), or next to it on the way of a restore in progress (a crash
   * between the index's move and the witness's).
   */
  private static void checkCurrent(JournalStore store) throws IOException {
    EpochIndex index = store.index();
    UndoProgress progress = store.progress;
    long current = store.current;
    long witness = progress.head();
    if (witness >= 0 && witness != current && index.epoch(witness) != null) {
      EpochInfo c = index.epoch(current);
      EpochInfo w = index.epoch(witness);
      boolean adjacent = c != null && (c.parent() == witness || w.parent() == current);
      boolean oneWriteApart = index.meta(META_ROLLBACK_TARGET, -1) >= 0 || progress.headMayBeStale();
      if (!adjacent || !oneWriteApart) {
        throw new CorruptStoreException(
            progress.headMayBeStale() ? progress.file() : store.files.index(),
            -1,
            current,
            "the index says the current epoch is " + current + ", but " + store.files.progress()
                + " recorded epoch " + witness + " last");
      }
    }
    if (witness >= 0 && witness != current) {
      // accepted as one write apart: bring the witness up to date, or later writes (which
      // carry it) would make the gap permanent
      progress.rewitness(current);
      if (store.forcing()) {
        progress.force();
      }
    }
    long newest = -1;
    for (EpochInfo e : index.epochs()) {
      newest = Math.max(newest, e.id());
    }
    if (newest >= store.next || index.epoch(current) == null) {
      throw store.indexDamage(
          -1,
          "the index says the current epoch is " + current + " and the next " + store.next
              + ", but its newest epoch is " + newest);
    }
  }
}
