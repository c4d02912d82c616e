package dev.metamori.internal.journal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * What a restore's preparation read and checked ({@link Restorer#prepare}), kept for the restore
 * of the same route so that it applies exactly those records without reading them again: the
 * records of the route's epochs and of their redo files, up to {@link #BUDGET} bytes in all.
 * The records of an epoch past the budget are not kept; the restore reads them again, and checks
 * them again, as it reads them. The restorer holds it softly: memory pressure drops it whole,
 * and the restore then reads everything again the same way.
 */
final class PreparedRoute {
  /**
   * Bytes of records kept at most (record contents, plus a fixed amount per record): 64 MiB, or
   * an eighth of the heap where that is less (they are held strongly while they are read and
   * while they are applied).
   */
  static final long BUDGET = Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8);

  private static final int PER_RECORD = 96;

  final Route route;
  private final Map<Long, UndoRecord[]> segments = new HashMap<>();
  private final Map<Long, UndoRecord[]> redo = new HashMap<>();
  /** Epochs whose redo file was read whole and complete. */
  private final java.util.Set<Long> completeRedo = new java.util.HashSet<>();
  /** Epochs whose segment records were all seen (kept or not). */
  private final java.util.Set<Long> seen = new java.util.HashSet<>();
  /** Epochs with a step that renames, creates or deletes (in their segment or redo file). */
  private final java.util.Set<Long> moving = new java.util.HashSet<>();
  private long bytes;

  PreparedRoute(Route route) {
    this.route = route;
  }

  /** The checked records of {@code epoch}'s segment, in order, or null if they were not kept. */
  UndoRecord[] segment(long epoch) {
    return segments.get(epoch);
  }

  /** The checked records of {@code epoch}'s redo file, in order, or null if they were not kept. */
  UndoRecord[] redo(long epoch) {
    return redo.get(epoch);
  }

  /** Notes that {@code epoch}'s redo file was read whole and is complete. */
  void redoComplete(long epoch) {
    completeRedo.add(epoch);
  }

  /**
   * Whether the preparation found {@code epoch}'s redo file complete: an undo of the epoch then
   * captures nothing and need not read the file again ({@link RedoCapture#open}).
   */
  boolean hasCompleteRedo(long epoch) {
    return completeRedo.contains(epoch);
  }

  /**
   * Whether every step of {@code epoch}, undone or redone, only writes blocks and attributes
   * (no rename, creation or deletion), as the preparation saw its records: such steps give the
   * same result when repeated from an earlier point, in the same order, so a power loss during
   * a run of such epochs may resume from the run's start (Restorer#follow).
   */
  boolean replayable(long epoch) {
    return seen.contains(epoch) && !moving.contains(epoch);
  }

  /** A collector of the records of {@code epoch}'s segment; {@link Collector#keep} keeps them. */
  Collector segmentOf(long epoch) {
    seen.add(epoch);
    return new Collector(segments, epoch);
  }

  /** A collector of the records of {@code epoch}'s redo file. */
  Collector redoOf(long epoch) {
    return new Collector(redo, epoch);
  }

  private static long size(UndoRecord r) {
    if (r instanceof UndoRecord.Block b) {
      return PER_RECORD + b.data().length;
    } else if (r instanceof UndoRecord.Redo x) {
      return PER_RECORD + x.data().length;
    } else if (r instanceof UndoRecord.Page p) {
      return PER_RECORD + p.data().length;
    } else if (r instanceof UndoRecord.Chunk c) {
      return PER_RECORD + c.data().length;
    }
    return PER_RECORD;
  }

  /** Collects the records of one file while the budget allows; gives up on them past it. */
  final class Collector implements Consumer<UndoRecord> {
    private final Map<Long, UndoRecord[]> into;
    private final long epoch;
    private List<UndoRecord> records = new ArrayList<>();
    private long collected;

    private Collector(Map<Long, UndoRecord[]> into, long epoch) {
      this.into = into;
      this.epoch = epoch;
    }

    @Override
    public void accept(UndoRecord r) {
      if (EpochUndo.endsBatch(r) || r instanceof UndoRecord.RedoRemoveDirectory) {
        moving.add(epoch);
      }
      if (records == null) {
        return;
      }
      collected += size(r);
      if (bytes + collected > BUDGET) {
        records = null; // read again by the restore
      } else {
        records.add(r);
      }
    }

    /** Keeps what was collected, unless it went past the budget. */
    void keep() {
      if (records != null) {
        into.put(epoch, records.toArray(new UndoRecord[0]));
        bytes += collected;
      }
    }
  }
}
