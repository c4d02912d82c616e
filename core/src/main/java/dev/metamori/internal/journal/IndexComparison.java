package dev.metamori.internal.journal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * Compares an index with the one rebuilt from the segments and the catalogue, map by map, for a
 * repair to say what was wrong with an index that passed the checks of an open (which do not
 * read the offsets of records, the state entries or the names). Entries of epochs the rebuilt
 * index does not have (left by a crash) and the file-block entries that stores written before
 * this version hold (nothing reads them) are left out. Reads both files read-only.
 */
final class IndexComparison {
  private IndexComparison() {}

  /** What differs ("records: 3 entries differ; names: 1 entry differs"), or null if nothing. */
  static String differences(Path index, Path rebuilt) {
    MVStore a = null;
    MVStore b = null;
    try {
      a = new MVStore.Builder().fileName(index.toString()).readOnly().open();
      b = new MVStore.Builder().fileName(rebuilt.toString()).readOnly().open();
      Map<Long, byte[]> epochs = map(b, "epochs", LongDataType.INSTANCE, ByteArrayDataType.INSTANCE);
      Set<Long> live = new HashSet<>(epochs.keySet());
      List<String> found = new ArrayList<>();
      count(found, "epoch entries", comparable(map(a, "epochs", LongDataType.INSTANCE, ByteArrayDataType.INSTANCE)),
          comparable(epochs), k -> true);
      count(found, "record offsets", recordOffsets(a), recordOffsets(b), k -> live.contains(k[0]));
      // a file's block entries are compared no more: stores written before the index dropped
      // them still hold some, which nothing reads
      count(found, "state entries", tuples(a, "blocks"), tuples(b, "blocks"),
          k -> live.contains(k[0]) && (k.length < 2 || k[1] < 0));
      count(found, "state versions", tuples(a, "versions"), tuples(b, "versions"), k -> k.length < 3 || live.contains(k[2]));
      count(found, "names", map(a, "names", StringDataType.INSTANCE, LongTuple.INSTANCE),
          map(b, "names", StringDataType.INSTANCE, LongTuple.INSTANCE), k -> true);
      count(found, "roots", map(a, "roots", StringDataType.INSTANCE, LongDataType.INSTANCE),
          map(b, "roots", StringDataType.INSTANCE, LongDataType.INSTANCE), k -> true);
      count(found, "store keys", map(a, "meta", StringDataType.INSTANCE, LongDataType.INSTANCE),
          map(b, "meta", StringDataType.INSTANCE, LongDataType.INSTANCE), k -> true);
      return found.isEmpty() ? null : "it differs from the segments and the catalogue: " + String.join("; ", found);
    } catch (RuntimeException | AssertionError e) {
      return "it cannot be read through: " + e;
    } finally {
      if (a != null) {
        a.closeImmediately();
      }
      if (b != null) {
        b.closeImmediately();
      }
    }
  }

  /**
   * Epoch entries as compared: an archive's sizes are left out (a compaction before format 3 kept
   * the sizes of the segment it replaced); an entry that does not decode stays as its bytes.
   */
  private static Map<Long, Object> comparable(Map<Long, byte[]> epochs) {
    Map<Long, Object> all = new TreeMap<>();
    for (Map.Entry<Long, byte[]> e : epochs.entrySet()) {
      Object value = java.util.Arrays.toString(e.getValue());
      try {
        EpochInfo i = EpochInfo.decode(e.getValue());
        value = (i.flags() & EpochInfo.ARCHIVE) != 0 ? new EpochInfo(i.id(), i.parent(), i.committedAtMillis(), 0, 0, 0, i.segmentNonce(), i.label(), i.flags()) : i;
      } catch (RuntimeException damaged) {
        // compared as bytes
      }
      all.put(e.getKey(), value);
    }
    return all;
  }

  private static <K, V> Map<K, V> map(MVStore s, String name, BasicDataType<K> key, BasicDataType<V> value) {
    MVMap<K, V> m = s.openMap(name, new MVMap.Builder<K, V>().keyType(key).valueType(value));
    return m;
  }

  /** A map keyed by long tuples, with the keys as lists so that they compare by value. */
  private static Map<List<Long>, Long> tuples(MVStore s, String name) {
    Map<List<Long>, Long> byValue = new TreeMap<>(IndexComparison::compare);
    for (Map.Entry<long[], Long> e : map(s, name, LongTuple.INSTANCE, LongDataType.INSTANCE).entrySet()) {
      List<Long> key = new ArrayList<>();
      for (long k : e.getKey()) {
        key.add(k);
      }
      byValue.put(key, e.getValue());
    }
    return byValue;
  }

  /** Every record's offset by (epoch, seq), from runs (format 5) and single entries (before). */
  private static Map<List<Long>, Long> recordOffsets(MVStore s) {
    Map<List<Long>, Long> all = tuples(s, "records");
    for (Map.Entry<long[], byte[]> e :
        map(s, "offsets", LongTuple.INSTANCE, ByteArrayDataType.INSTANCE).entrySet()) {
      long[] run = OffsetRun.decode(e.getValue());
      long first = e.getKey()[1] * OffsetRun.SIZE;
      for (int i = 0; i < run.length; i++) {
        all.put(List.of(e.getKey()[0], first + i), run[i]);
      }
    }
    return all;
  }

  private static int compare(List<Long> a, List<Long> b) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = Long.compare(a.get(i), b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  private interface Kept<K> {
    boolean test(K key);
  }

  /** Adds "what: N entries differ" if entries whose keys {@code kept} accepts differ between the two maps. */
  private static <K, V> void count(List<String> found, String what, Map<K, V> a, Map<K, V> b, Kept<long[]> kept) {
    Set<Object> keys = new HashSet<>();
    int differ = 0;
    for (Map<K, V> m : List.of(a, b)) {
      for (K k : m.keySet()) {
        if (keys.add(key(k)) && keep(k, kept) && !same(a.get(k), b.get(k))) {
          differ++;
        }
      }
    }
    if (differ > 0) {
      found.add(what + ": " + differ + (differ == 1 ? " entry differs" : " entries differ"));
    }
  }

  private static Object key(Object k) {
    return k instanceof byte[] bytes ? List.of(java.util.Arrays.toString(bytes)) : k;
  }

  private static boolean keep(Object k, Kept<long[]> kept) {
    if (k instanceof List<?> list) {
      long[] key = new long[list.size()];
      for (int i = 0; i < key.length; i++) {
        key[i] = (Long) list.get(i);
      }
      return kept.test(key);
    }
    return true;
  }

  private static boolean same(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return java.util.Arrays.equals(x, y);
    }
    if (a instanceof long[] x && b instanceof long[] y) {
      return java.util.Arrays.equals(x, y);
    }
    return Objects.equals(a, b);
  }
}
