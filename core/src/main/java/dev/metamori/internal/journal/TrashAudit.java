package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.UndoRecord.TrashDigest;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The trash part of verify: checks every trash entry that a restore may bring back against its
 * checksum ({@link TrashDigests}), and reports each one that is missing, of another size or
 * different. Which entries exist depends on the current epoch: those trashed by the epochs on
 * its line (the line from the root to it), and the creations that the undo of every other epoch
 * kept; archives keep none. The scrub hands over the records it reads ({@link #segmentRecord},
 * {@link #redoRecord}); entries without a checksum are counted and logged as unchecked, not
 * reported as damage.
 */
final class TrashAudit {
  private static final System.Logger LOG = System.getLogger("dev.metamori");
  private static final int EXAMPLES = 5;

  private final JournalStore store;
  private final EpochGraph graph;
  private final Map<Long, EpochTrash> epochs = new HashMap<>();

  /** What the records of one epoch say about its trash. */
  private static final class EpochTrash {
    long trashed;
    long created;
    final List<TrashDigest> removed = new ArrayList<>();
    final Map<String, TrashDigest> kept = new LinkedHashMap<>();
  }

  TrashAudit(JournalStore store, EpochGraph graph) {
    this.store = store;
    this.graph = graph;
  }

  private EpochTrash of(long epoch) {
    return epochs.computeIfAbsent(epoch, k -> new EpochTrash());
  }

  /** Takes note of a record of {@code epoch}'s segment. */
  void segmentRecord(long epoch, UndoRecord r) {
    if (r instanceof UndoRecord.Trashed) {
      of(epoch).trashed++;
    } else if (r instanceof UndoRecord.Created) {
      of(epoch).created++;
    } else if (r instanceof TrashDigest d) {
      of(epoch).removed.add(d);
    }
  }

  /** Takes note of a record of {@code epoch}'s redo file. */
  void redoRecord(long epoch, UndoRecord r) {
    if (r instanceof TrashDigest d) {
      of(epoch).kept.put(d.trashName(), d);
    }
  }

  /** Checks the trash of the epochs {@code all}; returns the damage found. */
  List<CorruptStoreException> audit(List<EpochInfo> all) throws IOException {
    List<CorruptStoreException> damage = new ArrayList<>();
    Set<Long> line;
    try {
      line = new HashSet<>(graph.line(store.current));
    } catch (CorruptStoreException e) {
      damage.add(e);
      return damage;
    }
    TreeDigest digester = new TreeDigest();
    Map<String, Long> unchecked = new TreeMap<>();
    List<String> examples = new ArrayList<>();
    for (EpochInfo e : all) {
      EpochTrash t = epochs.get(e.id());
      if (t == null || (e.flags() & EpochInfo.ARCHIVE) != 0) {
        continue;
      }
      boolean onLine = line.contains(e.id());
      Collection<TrashDigest> digests = onLine ? t.removed : t.kept.values();
      for (TrashDigest d : digests) {
        if (d.checked()) {
          CorruptStoreException found = TrashDigests.check(store.files, digester, d, e.id(), !onLine);
          if (found != null) {
            damage.add(found);
          }
        } else if (d.state() != TrashDigest.ABSENT) {
          unchecked.merge(reason(d.state()), 1L, Long::sum);
          if (examples.size() < EXAMPLES) {
            examples.add("trash/" + d.trashName());
          }
        }
      }
      long without = (onLine ? t.trashed : t.created) - digests.size();
      if (without > 0) {
        unchecked.merge("without a checksum (written by an earlier version, or lost when an undo was interrupted)", without, Long::sum);
      }
    }
    if (!unchecked.isEmpty()) {
      long total = unchecked.values().stream().mapToLong(Long::longValue).sum();
      LOG.log(
          System.Logger.Level.INFO,
          "verify of {0}: {1} trash entries are unchecked (a restore still brings them back, but damage to"
              + " them is not detected): {2}{3}",
          store.files.store,
          total,
          unchecked.entrySet().stream()
              .map(u -> u.getValue() + " " + u.getKey())
              .collect(java.util.stream.Collectors.joining(", ")),
          examples.isEmpty() ? "" : "; for example " + String.join(", ", examples));
    }
    return damage;
  }

  private static String reason(byte state) {
    switch (state) {
      case TrashDigest.LINKED:
        return "hard-linked";
      case TrashDigest.OPEN:
        return "open for writing or mapped when removed";
      case TrashDigest.UNREADABLE:
        return "unreadable when checksummed";
      default:
        return "of unknown state " + state;
    }
  }
}
