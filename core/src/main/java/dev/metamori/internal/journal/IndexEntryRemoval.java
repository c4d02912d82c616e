package dev.metamori.internal.journal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * Removes the entries an epoch has in the maps of an {@link MvStoreIndex} (records, blocks,
 * versions, names), committing (without forcing) every {@link #CHUNK} removals so that memory
 * stays bounded. Failures of a damaged file surface as runtime exceptions, which the index
 * reports as damage.
 */
final class IndexEntryRemoval {
  /** Entries removed between two intermediate commits. */
  static final int CHUNK = 16_384;

  private final MvStoreIndex index;
  private final MVMap<Long, byte[]> epochs;
  private final MVMap<long[], Long> records;
  private final MVMap<long[], Long> blocks;
  private final MVMap<long[], Long> versions;
  private final MVMap<String, long[]> names;
  private final MVMap<long[], byte[]> offsets;

  IndexEntryRemoval(
      MvStoreIndex index,
      MVMap<Long, byte[]> epochs,
      MVMap<long[], Long> records,
      MVMap<long[], byte[]> offsets,
      MVMap<long[], Long> blocks,
      MVMap<long[], Long> versions,
      MVMap<String, long[]> names) {
    this.index = index;
    this.epochs = epochs;
    this.records = records;
    this.offsets = offsets;
    this.blocks = blocks;
    this.versions = versions;
    this.names = names;
  }

  /** Removes every entry of {@code epoch}. */
  void removeRecordsOf(long epoch) throws IOException {
    // the forward entries of state records first: the block entries lead to them
    Cursor<long[], Long> state =
        blocks.cursor(new long[] {epoch, Long.MIN_VALUE}, new long[] {epoch, -1, Long.MAX_VALUE}, false);
    List<long[]> keys = new ArrayList<>();
    while (state.hasNext()) {
      long[] key = state.next();
      keys.add(new long[] {Journal.stateKey(key[1]), key[2], epoch});
      if (keys.size() == CHUNK) {
        keys.forEach(versions::remove);
        keys.clear();
        index.commit(false);
      }
    }
    keys.forEach(versions::remove);
    List<String> named = new ArrayList<>();
    for (Map.Entry<String, long[]> e : names.entrySet()) {
      if (e.getValue()[3] == epoch) {
        named.add(e.getKey());
      }
    }
    named.forEach(names::remove);
    removeRange(records, new long[] {epoch}, new long[] {epoch, Long.MAX_VALUE});
    removeRange(offsets, new long[] {epoch}, new long[] {epoch, Long.MAX_VALUE});
    removeRange(blocks, new long[] {epoch}, new long[] {epoch, Long.MAX_VALUE, Long.MAX_VALUE});
  }

  private <V> void removeRange(MVMap<long[], V> map, long[] from, long[] to) throws IOException {
    while (true) {
      List<long[]> keys = new ArrayList<>(CHUNK);
      Cursor<long[], V> cursor = map.cursor(from, to, false);
      while (keys.size() < CHUNK && cursor.hasNext()) {
        keys.add(cursor.next());
      }
      if (keys.isEmpty()) {
        return;
      }
      keys.forEach(map::remove);
      index.commit(false);
    }
  }

  /** Removes the entries of epochs that are not in the index (left by a crash). */
  void removeOrphans() throws IOException {
    for (MVMap<long[], ?> map : List.of(records, offsets, blocks)) {
      for (long[] key = map.ceilingKey(new long[] {0}); key != null; ) {
        long epoch = key[0];
        if (!epochs.containsKey(epoch)) {
          removeRecordsOf(epoch);
        }
        if (epoch == Long.MAX_VALUE) {
          break;
        }
        key = map.ceilingKey(new long[] {epoch + 1});
      }
    }
  }
}
