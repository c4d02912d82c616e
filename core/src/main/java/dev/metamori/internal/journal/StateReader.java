package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads state records (region pages, object chunks and manifests, names) of committed epochs,
 * keeping the segments it opened open until closed.
 */
public final class StateReader implements Closeable {
  private final JournalStore store;
  private final EpochGraph graph;
  private final CommittedSegments segments;
  private final Map<Long, Set<Long>> lines = new HashMap<>();
  private final Map<Long, Segment> open =
      new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, Segment> eldest) {
          if (size() > 32) {
            try {
              eldest.getValue().close();
            } catch (IOException ignored) {
              // read-only: nothing to lose
            }
            return true;
          }
          return false;
        }
      };

  StateReader(JournalStore store, EpochGraph graph, CommittedSegments segments) {
    this.store = store;
    this.graph = graph;
    this.segments = segments;
  }

  /** The index file, to blame where a record read does not match what the index says. */
  public Path indexFile() {
    return store.files.index();
  }

  /** Record {@code seq} of committed epoch {@code epoch}. */
  public UndoRecord read(long epoch, long seq) throws IOException {
    Segment s = segment(epoch);
    if (s == null) {
      throw store.indexDamage(
          epoch, "the index names record " + seq + " of epoch " + epoch + ", which has no segment");
    }
    long offset = store.index().recordOffset(epoch, seq);
    if (offset < 0) {
      throw store.indexDamage(epoch, "the index lacks the offset of record " + seq);
    }
    try {
      return s.read(offset, seq);
    } catch (CorruptStoreException damage) {
      throw segments.blameIndexIfSegmentSound(s, segments.recordOffsets(epoch), damage);
    }
  }

  /** The epochs on the line from the root to {@code at}, cached for the life of this reader. */
  private Set<Long> lineOf(long at) throws CorruptStoreException {
    Set<Long> line = lines.get(at);
    if (line == null) {
      line = new HashSet<>(graph.line(at));
      lines.put(at, line);
    }
    return line;
  }

  /** The segment of committed epoch {@code epoch}, kept open; null if it has none. */
  private Segment segment(long epoch) throws IOException {
    Segment s = open.get(epoch);
    if (s == null) {
      EpochInfo info = store.index().epoch(epoch);
      s = info == null ? null : segments.open(info);
      if (s != null) {
        open.put(epoch, s);
      }
    }
    return s;
  }

  /** The last entry seen in one pass over an item's versions, to check their order. */
  private static final class Last {
    long x = Long.MIN_VALUE;
    long epoch = Long.MIN_VALUE;
  }

  /** Entries counted and mixed, to compare two passes over the same versions. */
  private static final class Tally {
    long entries;
    long digest;
  }

  /**
   * The newest version of each page or part of {@code item} at epoch {@code at} (the newest on
   * the line from the root to {@code at}; other branches' versions are skipped), from one pass
   * over the item's {@code versions} entries, checked against the entries each epoch of the
   * line lists for itself in {@code blocks}, another map: all the item's entries must come in
   * strictly ascending order, and those of the line must be, as a set, exactly those that the
   * epochs on the line list. MVStore checksums chunk headers, not page contents, so a flipped
   * key or value in a leaf reads as valid; it could make a lookup by key step over the newest
   * version to an older one, or move a version to another page or part. Checked this way it
   * is reported as damage of the index instead. Costs one sequential pass over the item's
   * entries in each map, and no lookups by key.
   */
  public StateVersions versionsAt(long item, long at) throws IOException {
    Set<Long> line = lineOf(at);
    StateVersions.Builder versions = new StateVersions.Builder();
    Last last = new Last();
    store.index().forEachVersion(
        item,
        at,
        (i, x, e, seq) -> {
          if (x < last.x || (x == last.x && e <= last.epoch)) {
            throw damagedVersions(item, "an entry of page or part " + x + " at epoch " + e + " is out of order");
          }
          last.x = x;
          last.epoch = e;
          if (line.contains(e) && !versions.add(x, e, seq)) {
            throw damagedVersions(item, "an entry of page or part " + x + " at epoch " + e + " is out of order");
          }
        });
    Tally listed = new Tally();
    for (long e : line) {
      store.index().forEachStateOf(
          e,
          item,
          (i, x, epoch, seq) -> {
            listed.entries++;
            listed.digest += StateVersions.mix(x, epoch, seq);
          });
    }
    if (listed.entries != versions.entries) {
      throw damagedVersions(
          item, "the index holds " + versions.entries + " versions but its epochs list " + listed.entries);
    }
    if (listed.digest != versions.digest) {
      throw damagedVersions(item, "the index's versions differ from those its epochs list");
    }
    return versions.build();
  }

  private CorruptStoreException damagedVersions(long item, String detail) {
    return store.indexDamage(-1, "item " + item + ": " + detail);
  }

  /**
   * The state records (item, page or part, epoch, sequence number) of the committed epochs on
   * the way between {@code a} and {@code b} (those after their common ancestor, on either
   * line), read from their segments: a page or part not among them is the same at both. The
   * segments are checksummed and the source of truth; the index's list of an epoch's state
   * records is not consulted, so that a damaged entry there cannot hide a page that a restore
   * must restore. Costs a scan of those segments, which a restore reads anyway.
   */
  public void forEachStateRecordBetween(long a, long b, EpochIndex.StateVisitor visitor) throws IOException {
    Set<Long> lineA = lineOf(a);
    Set<Long> lineB = lineOf(b);
    List<Long> way = new ArrayList<>();
    lineA.stream().filter(e -> !lineB.contains(e)).forEach(way::add);
    lineB.stream().filter(e -> !lineA.contains(e)).forEach(way::add);
    for (long e : way) {
      Segment s = segment(e);
      if (s == null) {
        continue;
      }
      Segment.Scan scan = s.scan();
      if (!CommittedSegments.endsInCommit(scan)) {
        throw s.corrupt(scan.validEnd(), "the committed epoch's segment does not end with its commit record");
      }
      long[] keys = scan.blockKeys();
      for (int i = 0; i < keys.length; i += 3) {
        if (keys[i] < 0) {
          visitor.visit(Journal.stateKey(keys[i]), keys[i + 1], e, keys[i + 2]);
        }
      }
    }
  }

  /** {@link #forEachStateRecordBetween} the current epoch and the restore target. */
  public void forEachStateRecordAfter(long target, EpochIndex.StateVisitor visitor) throws IOException {
    forEachStateRecordBetween(store.current, target, visitor);
  }

  @Override
  public void close() throws IOException {
    for (Segment s : open.values()) {
      s.close();
    }
    open.clear();
  }
}
