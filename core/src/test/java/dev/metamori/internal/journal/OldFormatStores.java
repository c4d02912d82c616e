package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Turns a closed store of format 3 into the store that format 2 (before trash checksums) would
 * have written: every {@link UndoRecord.TrashDigest} record is taken out of the segments and
 * redo files (the records after it renumbered, the index's record offsets rewritten), and the
 * index says format 2. For stores without regions or objects (the index's state entries are
 * not rewritten).
 */
public final class OldFormatStores {
  private OldFormatStores() {}

  /** Rewrites the closed store at {@code store} as format 2; returns the records taken out. */
  public static int withoutTrashDigests(Path store) throws IOException {
    StoreFiles files = new StoreFiles(store);
    int dropped = 0;
    try (MvStoreIndex index = new MvStoreIndex(files.index())) {
      try (DirectoryStream<Path> s = Files.newDirectoryStream(files.segments, "*.{seg,redo}")) {
        for (Path file : s) {
          dropped += rewrite(file, index);
        }
      }
      index.putMeta(JournalStore.META_FORMAT, JournalStore.FORMAT_WITHOUT_TRASH_DIGESTS);
      index.commit(true);
    }
    return dropped;
  }

  private static int rewrite(Path file, MvStoreIndex index) throws IOException {
    Path copy = file.resolveSibling(file.getFileName() + ".old");
    int dropped = 0;
    long epoch;
    Segment.Scan fresh;
    try (Segment old = Segment.open(file)) {
      epoch = old.epoch;
      Segment.Scan scan = old.scan();
      try (Segment out = Segment.create(copy, old.epoch, old.nonce, old.blockSize, old.flags)) {
        for (int i = 0; i < scan.count(); i++) {
          UndoRecord r = old.read(scan.offsets()[i], i);
          if (r instanceof UndoRecord.TrashDigest) {
            dropped++;
          } else {
            out.append(r);
          }
        }
        out.force();
        fresh = out.scan();
      }
    }
    if (dropped == 0) {
      Files.delete(copy);
      return 0;
    }
    Files.move(copy, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    EpochInfo e = index.epoch(epoch);
    if (file.getFileName().toString().endsWith(".seg") && e != null) {
      for (int i = 0; i < fresh.blockKeys().length; i += 3) {
        if (fresh.blockKeys()[i] < 0) {
          throw new IllegalArgumentException("a store with state records: not supported here");
        }
      }
      index.removeRecords(epoch);
      index.putRecordsInChunks(epoch, fresh.offsets(), fresh.blockKeys());
      index.putEpoch(
          new EpochInfo(
              e.id(), e.parent(), e.committedAtMillis(), fresh.validEnd(), e.blocks(), e.files(),
              e.segmentNonce(), e.label(), e.flags()));
    }
    return dropped;
  }
}
