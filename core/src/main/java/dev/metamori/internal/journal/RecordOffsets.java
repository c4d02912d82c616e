package dev.metamori.internal.journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;

/**
 * Where each record of an epoch lies in its segment, in the index: {@link OffsetRun runs} of up
 * to 4096 offsets in the {@code offsets} map, and for epochs of stores from before format 5 one
 * entry a record in the {@code records} map (read, never written). Reads throw unchecked
 * exceptions on damage; {@link MvStoreIndex} reports them as damage of the index.
 */
final class RecordOffsets {
  private final MVMap<long[], Long> records;
  private final MVMap<long[], byte[]> offsets;

  RecordOffsets(MVMap<long[], Long> records, MVMap<long[], byte[]> offsets) {
    this.records = records;
    this.offsets = offsets;
  }

  /** Puts the runs of {@code epoch}'s offsets; returns how many offsets each put held. */
  int[] put(long epoch, long[] recordOffsets) {
    int[] sizes = new int[(recordOffsets.length + OffsetRun.SIZE - 1) / OffsetRun.SIZE];
    for (int from = 0, run = 0; from < recordOffsets.length; from += OffsetRun.SIZE, run++) {
      int to = Math.min(recordOffsets.length, from + OffsetRun.SIZE);
      offsets.put(new long[] {epoch, run}, OffsetRun.encode(recordOffsets, from, to));
      sizes[run] = to - from;
    }
    return sizes;
  }

  /** Replaces every offset of {@code epoch}, in either layout, by {@code recordOffsets}. */
  void replace(long epoch, long[] recordOffsets) {
    Cursor<long[], Long> old = records.cursor(new long[] {epoch}, new long[] {epoch, Long.MAX_VALUE}, false);
    List<long[]> keys = new ArrayList<>();
    while (old.hasNext()) {
      keys.add(old.next());
    }
    keys.forEach(records::remove);
    for (long run = 0; offsets.remove(new long[] {epoch, run}) != null; run++) {}
    put(epoch, recordOffsets);
  }

  /** The offset of record {@code seq} of {@code epoch}, or -1. */
  long offset(long epoch, long seq) {
    byte[] run = offsets.get(new long[] {epoch, seq / OffsetRun.SIZE});
    if (run == null) {
      Long offset = records.get(new long[] {epoch, seq});
      return offset == null ? -1 : offset;
    }
    long[] decoded = OffsetRun.decode(run);
    int at = (int) (seq % OffsetRun.SIZE);
    return at < decoded.length ? decoded[at] : -1L;
  }

  /** The offsets of all of {@code epoch}'s records, by sequence number. */
  long[] all(long epoch) {
    if (!offsets.containsKey(new long[] {epoch, 0})) {
      return legacy(epoch);
    }
    long[] all = new long[0];
    for (long run = 0; ; run++) {
      byte[] bytes = offsets.get(new long[] {epoch, run});
      if (bytes == null) {
        return all;
      }
      if (all.length % OffsetRun.SIZE != 0) {
        throw new IllegalStateException(
            "index of epoch " + epoch + " has a short run of offsets before run " + run);
      }
      long[] decoded = OffsetRun.decode(bytes);
      all = Arrays.copyOf(all, all.length + decoded.length);
      System.arraycopy(decoded, 0, all, all.length - decoded.length, decoded.length);
    }
  }

  /** The offsets of an epoch of a store from before format 5: one entry a record. */
  private long[] legacy(long epoch) {
    long[] all = new long[64];
    int n = 0;
    Cursor<long[], Long> cursor =
        records.cursor(new long[] {epoch}, new long[] {epoch, Long.MAX_VALUE}, false);
    while (cursor.hasNext()) {
      long[] key = cursor.next();
      if (key[1] != n) {
        throw new IllegalStateException("index of epoch " + epoch + " lacks record " + n);
      }
      if (n == all.length) {
        all = Arrays.copyOf(all, n * 2);
      }
      all[n++] = cursor.getValue();
    }
    return Arrays.copyOf(all, n);
  }
}
