package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the whole store like a scrub and returns every damage found: epochs the index marks
 * pruned though no prune can have, unreadable segment headers, records that fail their checksum
 * or cannot be decoded, records the index expects but the segment lacks, missing segments,
 * damaged redo files, and trash entries that do not match their checksums ({@link TrashAudit}).
 * Changes nothing.
 */
final class Scrubber {
  private final JournalStore store;
  private final EpochGraph graph;
  private final CommittedSegments segments;
  private final RedoFile redoFile;

  Scrubber(JournalStore store, EpochGraph graph, CommittedSegments segments, RedoFile redoFile) {
    this.store = store;
    this.graph = graph;
    this.segments = segments;
    this.redoFile = redoFile;
  }

  /** Every damage found; empty when the store is sound. */
  List<CorruptStoreException> scrub(ProgressListener listener) throws IOException {
    List<CorruptStoreException> damage = new ArrayList<>();
    List<EpochInfo> all;
    try {
      all = graph.all();
    } catch (CorruptStoreException marks) {
      damage.add(marks);
      all = graph.unchecked();
    }
    long total = 0;
    for (EpochInfo epoch : all) {
      total += epoch.bytes();
    }
    long done = 0;
    TrashAudit trash = new TrashAudit(store, graph);
    for (EpochInfo epoch : all) {
      done += epoch.bytes();
      if (epoch.segmentNonce() != 0 && scrubSegment(epoch, damage, trash)) {
        listener.advanced(done, total);
      }
    }
    listener.advanced(total, total);
    for (EpochInfo epoch : all) {
      if (Files.exists(store.files.redo(epoch.id()))) {
        try (Segment redo = redoFile.open(epoch)) {
          Segment.Scan scan = redo.scan();
          for (int i = 0; i < scan.count(); i++) {
            try {
              trash.redoRecord(epoch.id(), redo.read(scan.offsets()[i], i));
            } catch (CorruptStoreException e) {
              damage.add(e);
            }
          }
        } catch (CorruptStoreException e) {
          damage.add(e);
        }
      }
    }
    try {
      Catalogue.read(store.files);
    } catch (CorruptStoreException e) {
      damage.add(e);
    }
    for (Path file : segments.uncommitted()) {
      if (Files.size(file) < Segment.HEADER_SIZE) {
        continue;
      }
      try (Segment s = Segment.open(file)) {
        s.scan();
      } catch (CorruptStoreException e) {
        damage.add(e);
      }
    }
    damage.addAll(trash.audit(all));
    return damage;
  }

  /** Adds the damage of the epoch's segment; false if the segment or its offsets are missing. */
  private boolean scrubSegment(EpochInfo epoch, List<CorruptStoreException> damage, TrashAudit trash)
      throws IOException {
    Path file = store.files.segment(epoch.id());
    if (!Files.exists(file)) {
      damage.add(new CorruptStoreException(file, -1, epoch.id(), "the segment is missing"));
      return false;
    }
    long[] offsets;
    try {
      offsets = store.index().recordOffsets(epoch.id());
    } catch (IllegalStateException e) {
      damage.add(store.indexDamage(epoch.id(), e.getMessage()));
      return false;
    }
    try (Segment s = Segment.open(file)) {
      if (s.nonce != epoch.segmentNonce() || s.epoch != epoch.id()) {
        damage.add(s.corrupt(0, "the segment header names another epoch or incarnation"));
      }
      for (int seq = 0; seq < offsets.length; seq++) {
        try {
          UndoRecord record = s.read(offsets[seq], seq);
          trash.segmentRecord(epoch.id(), record);
          if (seq == offsets.length - 1 && !(record instanceof UndoRecord.Commit)) {
            damage.add(s.corrupt(offsets[seq], "the epoch's last record is not its commit record"));
          }
        } catch (CorruptStoreException e) {
          damage.add(segments.blameIndexIfSegmentSound(s, offsets, e)); // a sound segment: the offset is wrong
        }
      }
    } catch (CorruptStoreException e) {
      damage.add(e);
    }
    return true;
  }
}
