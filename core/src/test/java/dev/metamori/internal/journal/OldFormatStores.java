package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a closed store of the current format into the store that format 2 (before trash
 * checksums and the catalogue) would have written: every {@link UndoRecord.TrashDigest} and
 * {@link UndoRecord.Label} record is taken out of the segments and redo files (the records after
 * it renumbered, the index's record offsets rewritten), the epoch entries lose their checksums,
 * the catalogue is deleted, and the index says format 2. For stores without regions or objects
 * (the index's state entries are not rewritten). Or ({@link #withXxHashFrames}) turns its
 * segments into those segment format 1 wrote.
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
      index.putMeta(JournalStore.META_FORMAT, 2);
      index.removeMeta(JournalStore.META_CATALOGUE);
      index.commit(true);
    }
    org.h2.mvstore.MVStore mv = new org.h2.mvstore.MVStore.Builder().fileName(files.index().toString()).open();
    try {
      org.h2.mvstore.MVMap<Long, byte[]> entries =
          mv.openMap(
              "epochs",
              new org.h2.mvstore.MVMap.Builder<Long, byte[]>()
                  .keyType(org.h2.mvstore.type.LongDataType.INSTANCE)
                  .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
      for (long id : java.util.List.copyOf(entries.keySet())) {
        byte[] e = entries.get(id);
        entries.put(id, java.util.Arrays.copyOf(e, e.length - 4)); // format 2: no checksum
      }
      mv.commit();
    } finally {
      mv.close();
    }
    Files.deleteIfExists(files.catalogue());
    return dropped;
  }

  /**
   * Rewrites the segments, redo files and catalogue of the closed store at {@code store} as
   * segment format 1 wrote them: each whole frame's checksum xxHash32 instead of CRC32C, the
   * header's version 1 (and its checksum redone); nothing else moves. Returns the files rewritten.
   */
  public static int withXxHashFrames(Path store) throws IOException {
    StoreFiles files = new StoreFiles(store);
    List<Path> all = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(files.segments, "*.{seg,redo}")) {
      s.forEach(all::add);
    }
    if (Files.exists(files.catalogue())) {
      all.add(files.catalogue());
    }
    for (Path file : all) {
      Segment.Scan scan;
      try (Segment s = Segment.open(file)) {
        if (s.checksum != FrameChecksum.CRC32C) {
          throw new IllegalArgumentException(file + " is not of segment format 2");
        }
        scan = s.scan();
      }
      try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        for (long offset : scan.offsets()) {
          ByteBuffer length = ByteBuffer.allocate(4);
          c.read(length, offset);
          ByteBuffer frame = ByteBuffer.allocate(length.getInt(0));
          c.read(frame, offset);
          int sum = FrameChecksum.XXHASH32.of(frame.array(), 0, frame.capacity() - RecordCodec.TRAILER);
          c.write(ByteBuffer.allocate(4).putInt(0, sum), offset + frame.capacity() - RecordCodec.TRAILER);
        }
        ByteBuffer header = ByteBuffer.allocate(Segment.HEADER_SIZE);
        c.read(header, 0);
        header.putInt(8, 1);
        header.putInt(
            Segment.HEADER_SIZE - 4, FrameChecksum.XXHASH32.of(header.array(), 0, Segment.HEADER_SIZE - 4));
        c.write(header.flip(), 0);
        c.force(false);
      }
    }
    return all.size();
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
          if (r instanceof UndoRecord.TrashDigest || r instanceof UndoRecord.Label) {
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
