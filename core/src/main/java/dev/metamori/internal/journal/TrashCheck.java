package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.UndoRecord.TrashDigest;
import java.io.IOException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Checks, before a restore changes anything, every trash entry the restore will bring back
 * against its checksum ({@link TrashDigests}): what the epochs it undoes trashed (checksums
 * just before their commit records) and what the epochs it redoes had created, kept by their
 * undo (checksums in their redo files, collected as the restore's preparation reads them).
 * Entries without a checksum are not checked.
 */
final class TrashCheck {
  private final JournalStore store;
  private final CommittedSegments segments;
  /** Per epoch, the checksums of the creations its undo kept, by trash name. */
  private final Map<Long, Map<String, TrashDigest>> kept = new HashMap<>();
  private TreeDigest digester;

  TrashCheck(JournalStore store, CommittedSegments segments) {
    this.store = store;
    this.segments = segments;
  }

  /** Takes note of a record of {@code epoch}'s redo file. */
  void redoRecord(long epoch, UndoRecord r) {
    if (r instanceof TrashDigest d) {
      kept.computeIfAbsent(epoch, k -> new LinkedHashMap<>()).put(d.trashName(), d);
    }
  }

  /** Throws the damage of the first entry of the route's trash that does not match its checksum. */
  void check(Route route) throws IOException {
    for (long id : route.up()) {
      try (Segment s = segments.open(store.index().epoch(id))) {
        if (s != null) {
          for (TrashDigest d : TrashDigests.inSegment(s, segments.recordOffsets(id))) {
            check(d, id, false);
          }
        }
      }
    }
    for (long id : route.down()) {
      for (TrashDigest d : kept.getOrDefault(id, Map.of()).values()) {
        check(d, id, true);
      }
    }
  }

  private void check(TrashDigest d, long epoch, boolean kept) throws IOException {
    if (!d.checked()) {
      return;
    }
    if (digester == null) {
      digester = new TreeDigest();
    }
    CorruptStoreException damage = TrashDigests.check(store.files, digester, d, epoch, kept);
    if (damage != null) {
      throw damage;
    }
  }
}
