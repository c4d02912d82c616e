package dev.metamori.internal;

import dev.metamori.StoreStats;
import dev.metamori.StoreStats.EpochStats;
import dev.metamori.StoreStats.FileStats;
import dev.metamori.StoreStats.StateKind;
import dev.metamori.StoreStats.StateStats;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.ProgressListener;
import dev.metamori.internal.journal.RecordVisitor;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Computes {@link StoreStats} by reading every committed record of the valid epochs once, and
 * the sizes of the store's files. The journal must not change meanwhile.
 */
final class StatsCollector {
  private final Journal journal;
  private final Map<String, FileTally> files = new HashMap<>(); // by path
  private final Map<Long, String> names = new HashMap<>(); // item -> "r:..." or "o:..."
  private final Map<String, StateTally> states = new LinkedHashMap<>(); // by name

  /** The bytes of the records of one path, and how many epochs wrote them. */
  private static final class FileTally {
    long bytes;
    long epochs;
    long lastEpoch = -1;
  }

  /** The bytes of the records of one region or object; of its chunks, those earlier epochs stored. */
  private static final class StateTally {
    long bytes;
    long deduped;
  }

  private StatsCollector(Journal journal) {
    this.journal = journal;
  }

  /**
   * Collects the store's figures; {@code pageTracking} says how each open region finds its
   * changed pages, by name.
   */
  static StoreStats collect(
      Journal journal, ProgressListener progress, Map<String, String> pageTracking)
      throws IOException {
    return new StatsCollector(journal).collect(progress, pageTracking);
  }

  private StoreStats collect(ProgressListener progress, Map<String, String> pageTracking)
      throws IOException {
    Path store = journal.store();
    List<EpochInfo> all = journal.epochs();
    long total = all.stream().mapToLong(EpochInfo::bytes).sum();
    long done = 0;
    List<EpochStats> epochs = new ArrayList<>();
    for (EpochInfo e : all) {
      epochs.add(epoch(e, store));
      done += e.bytes();
      progress.advanced(done, total);
    }
    List<FileStats> fileStats = new ArrayList<>();
    files.forEach((path, v) -> fileStats.add(new FileStats(path, v.bytes, v.epochs)));
    fileStats.sort(
        Comparator.comparingLong(FileStats::bytes).reversed().thenComparing(FileStats::path));
    List<StateStats> stateStats = new ArrayList<>();
    states.forEach(
        (key, v) ->
            stateStats.add(
                new StateStats(
                    key.substring(2),
                    key.startsWith("r:") ? StateKind.REGION : StateKind.OBJECT,
                    v.bytes,
                    v.deduped,
                    key.startsWith("r:") ? pageTracking.get(key.substring(2)) : null)));
    return new StoreStats(
        bytesUnder(store),
        bytesUnder(store.resolve("segments")),
        bytesUnder(store.resolve("index.mv")),
        bytesUnder(store.resolve("trash")),
        epochs,
        fileStats,
        stateStats);
  }

  private EpochStats epoch(EpochInfo e, Path store) throws IOException {
    long id = e.id();
    EpochRecords records = new EpochRecords(id);
    journal.forEachRecord(id, records);
    long trash = bytesUnder(store.resolve("trash").resolve(Long.toString(id)));
    return new EpochStats(id, e.bytes(), records.raw, records.stored, trash);
  }

  /** Tallies the records of one epoch: its payload sums, and the files and states they change. */
  private final class EpochRecords implements RecordVisitor {
    private final long id;
    /** Payload bytes, raw and as stored. */
    private long raw;
    private long stored;
    /** Chunk records not yet claimed by their object's manifest. */
    private long chunkBytes;

    EpochRecords(long id) {
      this.id = id;
    }

    @Override
    public void visit(UndoRecord record, int frame, int storedPayload) throws IOException {
      raw += rawPayload(record);
      stored += storedPayload;
      if (record instanceof UndoRecord.Touch) {
        file(((UndoRecord.Touch) record).path(), id, frame);
      } else if (record instanceof UndoRecord.Block) {
        file(((UndoRecord.Block) record).path(), id, frame);
      } else if (record instanceof UndoRecord.Created) {
        file(((UndoRecord.Created) record).path(), id, frame);
      } else if (record instanceof UndoRecord.Moved) {
        file(((UndoRecord.Moved) record).to(), id, frame);
      } else if (record instanceof UndoRecord.Trashed) {
        UndoRecord.Trashed t = (UndoRecord.Trashed) record;
        file(t.path(), id, frame + bytesUnder(journal.trashPath(t.trashName())));
      } else if (record instanceof UndoRecord.Name) {
        UndoRecord.Name n = (UndoRecord.Name) record;
        names.put(n.item(), n.name());
        state(n.item()).bytes += frame;
      } else if (record instanceof UndoRecord.Page) {
        state(((UndoRecord.Page) record).item()).bytes += frame;
      } else if (record instanceof UndoRecord.Chunk) {
        // an object's new chunks are written just before its manifest
        chunkBytes += frame;
      } else if (record instanceof UndoRecord.Manifest) {
        UndoRecord.Manifest m = (UndoRecord.Manifest) record;
        StateTally s = state(m.item());
        s.bytes += frame + chunkBytes;
        chunkBytes = 0;
        s.deduped += deduped(m, id);
      }
    }
  }

  private static long rawPayload(UndoRecord record) {
    if (record instanceof UndoRecord.Block) {
      return ((UndoRecord.Block) record).data().length;
    }
    if (record instanceof UndoRecord.Page) {
      return ((UndoRecord.Page) record).data().length;
    }
    if (record instanceof UndoRecord.Chunk) {
      return ((UndoRecord.Chunk) record).data().length;
    }
    return 0;
  }

  /** Lengths of the entries of {@code m} whose chunk an earlier epoch stored. */
  private static long deduped(UndoRecord.Manifest m, long epoch) {
    ByteBuffer entries = ByteBuffer.wrap(m.entries());
    long saved = 0;
    for (int at = 0; at + UndoRecord.Manifest.ENTRY <= m.entries().length; at += UndoRecord.Manifest.ENTRY) {
      long chunkEpoch = entries.getLong(at + 32);
      if (chunkEpoch < epoch) {
        saved += entries.getInt(at + 48);
      }
    }
    return saved;
  }

  private void file(String path, long epoch, long bytes) {
    FileTally v = files.computeIfAbsent(path, p -> new FileTally());
    v.bytes += bytes;
    if (v.lastEpoch != epoch) {
      v.epochs++;
      v.lastEpoch = epoch;
    }
  }

  private StateTally state(long item) {
    String name = names.getOrDefault(item, "o:#" + item);
    return states.computeIfAbsent(name, n -> new StateTally());
  }

  /** Bytes of the regular files at or under {@code path}, links not followed; 0 if missing. */
  static long bytesUnder(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    var sizes =
        new SimpleFileVisitor<Path>() {
          long sum;

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            sum += attrs.size();
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            if (e instanceof NoSuchFileException) {
              return FileVisitResult.CONTINUE; // removed while walking: not there to count
            }
            throw e;
          }
        };
    try {
      Files.walkFileTree(path, sizes);
    } catch (NoSuchFileException e) {
      return 0;
    }
    return sizes.sum;
  }
}
