package dev.metamori.internal;

import dev.metamori.StoreStats;
import dev.metamori.StoreStats.EpochStats;
import dev.metamori.StoreStats.FileStats;
import dev.metamori.StoreStats.StateKind;
import dev.metamori.StoreStats.StateStats;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.ProgressListener;
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
  private final Map<String, long[]> files = new HashMap<>(); // path -> {bytes, epochs, last epoch}
  private final Map<Long, String> names = new HashMap<>(); // item -> "r:..." or "o:..."
  private final Map<String, long[]> states = new LinkedHashMap<>(); // name -> {bytes, deduped}

  private StatsCollector(Journal journal) {
    this.journal = journal;
  }

  static StoreStats collect(Journal journal, ProgressListener progress) throws IOException {
    return new StatsCollector(journal).collect(progress);
  }

  private StoreStats collect(ProgressListener progress) throws IOException {
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
    files.forEach((path, v) -> fileStats.add(new FileStats(path, v[0], v[1])));
    fileStats.sort(
        Comparator.comparingLong(FileStats::bytes).reversed().thenComparing(FileStats::path));
    List<StateStats> stateStats = new ArrayList<>();
    states.forEach(
        (key, v) ->
            stateStats.add(
                new StateStats(
                    key.substring(2),
                    key.startsWith("r:") ? StateKind.REGION : StateKind.OBJECT,
                    v[0],
                    v[1])));
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
    long[] payload = new long[2]; // raw, stored
    long[] chunkBytes = {0}; // chunk records not yet claimed by their object's manifest
    journal.forEachRecord(
        id,
        (record, frame, stored) -> {
          payload[0] += rawPayload(record);
          payload[1] += stored;
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
            state(n.item())[0] += frame;
          } else if (record instanceof UndoRecord.Page) {
            state(((UndoRecord.Page) record).item())[0] += frame;
          } else if (record instanceof UndoRecord.Chunk) {
            // an object's new chunks are written just before its manifest
            chunkBytes[0] += frame;
          } else if (record instanceof UndoRecord.Manifest) {
            UndoRecord.Manifest m = (UndoRecord.Manifest) record;
            long[] s = state(m.item());
            s[0] += frame + chunkBytes[0];
            chunkBytes[0] = 0;
            s[1] += deduped(m, id);
          }
        });
    return new EpochStats(
        id, e.bytes(), payload[0], payload[1], bytesUnder(store.resolve("trash").resolve(Long.toString(id))));
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
    long[] v = files.computeIfAbsent(path, p -> new long[] {0, 0, -1});
    v[0] += bytes;
    if (v[2] != epoch) {
      v[1]++;
      v[2] = epoch;
    }
  }

  private long[] state(long item) {
    String name = names.getOrDefault(item, "o:#" + item);
    return states.computeIfAbsent(name, n -> new long[2]);
  }

  /** Bytes of the regular files at or under {@code path}, links not followed; 0 if missing. */
  static long bytesUnder(Path path) throws IOException {
    if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      return 0;
    }
    long[] sum = {0};
    try {
      Files.walkFileTree(
          path,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              sum[0] += attrs.size();
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
              if (e instanceof NoSuchFileException) {
                return FileVisitResult.CONTINUE; // removed while walking: not there to count
              }
              throw e;
            }
          });
    } catch (NoSuchFileException e) {
      return 0;
    }
    return sum[0];
  }
}
