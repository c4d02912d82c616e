package dev.metamori.internal;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What the epochs on one side of a diff did, from their common ancestor (the base) down to one
 * of the two epochs: their records replayed oldest first. Each path changed on the way is an
 * {@link Entry} that knows its path at the base ({@code origin}, null for a path created on
 * the way) and at the end, followed through renames of it and of its directories. Memory grows
 * with the number of paths changed, not with their bytes.
 */
final class DiffSide {

  /** A file, directory or link changed on the way. */
  static final class Entry {
    /** The path at the base; null if created on the way. */
    String origin;
    /** The path at the end of the side; null once removed. */
    String path;
    boolean touched;
    boolean file;
    boolean directory;
    /** Size at the base, from the first Touch on the way; -1 if unknown. */
    long sizeAtBase = -1;
    /** Size at the end, found once the side is replayed; -1 if unknown or not a file. */
    long size = -1;
    /** Blocks changed on the way, as byte ranges of the base's contents. */
    final RangeSet<Long> blocks = TreeRangeSet.create();
    /** The last epoch that wrote, created or touched it, and the record's sequence number. */
    long lastEpoch = -1;
    long lastStep = -1;
    /** Whether that record is its creation (else a Touch or a Block). */
    boolean lastCreated;
    /** The path that creation named. */
    String createdAs;
    /** The path at the end of {@link #lastEpoch}. */
    String pathAtLast;

    boolean alive() {
      return path != null;
    }
  }

  private final int blockSize;
  /** Entries alive at the end, by their path there. */
  final TreeMap<String, Entry> live = new TreeMap<>();
  /** Entries that existed at the base (alive or not), by their path at the base. */
  final Map<String, Entry> byOrigin = new HashMap<>();

  private final Map<Entry, Boolean> changedInEpoch = new IdentityHashMap<>();
  /** The sequence number of the next record replayed, in the epoch being replayed. */
  private long nextSeq;

  DiffSide(int blockSize) {
    this.blockSize = blockSize;
  }

  /** Replays committed epochs, oldest first: each one's records in order. */
  static DiffSide replay(Journal journal, List<Long> epochs) throws IOException {
    DiffSide side = new DiffSide(journal.blockSize());
    for (long epoch : epochs) {
      journal.forEachRecord(epoch, (r, frame, payload) -> side.replay(r, epoch));
      side.endEpoch();
    }
    return side;
  }

  /** Descendants of {@code dir} in a path-keyed sorted map: '0' follows '/'. */
  static <V> SortedMap<String, V> under(TreeMap<String, V> map, String dir) {
    return map.subMap(dir + "/", dir + "0");
  }

  static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  /**
   * The base path of what is at {@code path} now, for a path no entry holds: the nearest
   * ancestor entry's origin plus the rest, or the path itself if no ancestor moved.
   */
  private String originOf(String path) {
    for (String dir = parent(path); dir != null; dir = parent(dir)) {
      Entry e = live.get(dir);
      if (e != null) {
        return e.origin == null ? null : e.origin + path.substring(dir.length());
      }
    }
    return path;
  }

  private Entry entry(String path) {
    Entry e = live.get(path);
    if (e == null) {
      e = new Entry();
      e.path = path;
      claimOrigin(e, originOf(path));
      live.put(path, e);
    }
    return e;
  }

  /**
   * Gives {@code e} the base path {@code origin}, unless another entry already stands for it
   * (then what is here now arrived some way the journal does not show, e.g. created and removed
   * within one epoch: it is new).
   */
  private void claimOrigin(Entry e, String origin) {
    if (origin != null && byOrigin.putIfAbsent(origin, e) == null) {
      e.origin = origin;
    }
  }

  private void last(Entry e, long epoch, long seq, boolean created) {
    e.lastEpoch = epoch;
    e.lastStep = seq;
    e.lastCreated = created;
    changedInEpoch.put(e, Boolean.TRUE);
  }

  private void endEpoch() {
    for (Entry e : changedInEpoch.keySet()) {
      e.pathAtLast = e.path;
    }
    changedInEpoch.clear();
    nextSeq = 0;
  }

  /** Replays the next record of {@code epoch}. */
  void replay(UndoRecord record, long epoch) {
    long seq = nextSeq++;
    if (record instanceof UndoRecord.Touch t) {
      Entry e = entry(t.path());
      if (!e.touched && e.origin != null && t.kind() == UndoRecord.Kind.FILE && e.lastEpoch < 0) {
        e.sizeAtBase = t.size();
      }
      e.touched = true;
      e.file = t.kind() == UndoRecord.Kind.FILE;
      e.directory = t.kind() == UndoRecord.Kind.DIRECTORY;
      last(e, epoch, seq, false);
    } else if (record instanceof UndoRecord.Block b) {
      Entry e = entry(b.path());
      if (e.origin != null && b.data().length > 0) {
        long at = b.block() * blockSize;
        e.blocks.add(Range.closedOpen(at, at + b.data().length));
      }
      last(e, epoch, seq, false);
    } else if (record instanceof UndoRecord.Created c) {
      dropStale(c.path());
      Entry e = new Entry();
      e.path = c.path();
      e.createdAs = c.path();
      live.put(c.path(), e);
      last(e, epoch, seq, true);
    } else if (record instanceof UndoRecord.Trashed t) {
      remove(t.path());
    } else if (record instanceof UndoRecord.Moved m) {
      move(m.from(), m.to());
    }
  }

  private void remove(String path) {
    Entry gone = live.remove(path);
    if (gone == null) {
      String origin = originOf(path);
      if (origin != null && !byOrigin.containsKey(origin)) {
        gone = new Entry();
        gone.origin = origin;
        byOrigin.put(origin, gone);
      }
    }
    if (gone != null) {
      gone.path = null;
    }
    SortedMap<String, Entry> below = under(live, path);
    for (Entry e : below.values()) {
      e.path = null;
    }
    below.clear();
  }

  /**
   * Forgets what the replay has at and below {@code path}, where a creation or a rename now puts
   * something: it was created and removed again within one epoch, which leaves no record.
   */
  private void dropStale(String path) {
    Entry e = live.remove(path);
    if (e != null) {
      e.path = null;
    }
    SortedMap<String, Entry> below = under(live, path);
    for (Entry x : below.values()) {
      x.path = null;
    }
    below.clear();
  }

  private void move(String from, String to) {
    Entry self = live.remove(from);
    if (self == null) {
      self = new Entry();
      claimOrigin(self, originOf(from));
    }
    SortedMap<String, Entry> below = under(live, from);
    // copied: a TreeMap's removals reuse its entry objects
    Map<String, Entry> moved = new TreeMap<>(below);
    below.clear();
    // a rename over an existing path replaced it: its Trashed record came first
    dropStale(to);
    self.path = to;
    live.put(to, self);
    for (Map.Entry<String, Entry> m : moved.entrySet()) {
      String path = to + m.getKey().substring(from.length());
      m.getValue().path = path;
      live.put(path, m.getValue());
    }
  }

  /**
   * The fate of what was at {@code origin} at the base: its entry, or one standing for an
   * unchanged path below a moved or removed directory (or for an unchanged path).
   */
  Entry fate(String origin) {
    Entry e = byOrigin.get(origin);
    if (e != null) {
      return e;
    }
    Entry derived = new Entry();
    derived.origin = origin;
    derived.path = origin;
    for (String dir = parent(origin); dir != null; dir = parent(dir)) {
      Entry d = byOrigin.get(dir);
      if (d != null) {
        derived.path = d.alive() ? d.path + origin.substring(dir.length()) : null;
        break;
      }
    }
    return derived;
  }
}
