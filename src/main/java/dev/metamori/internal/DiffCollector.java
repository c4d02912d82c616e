package dev.metamori.internal;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import dev.metamori.Change;
import dev.metamori.Change.Kind;
import dev.metamori.NoSuchEpochException;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import dev.metamori.internal.memory.VolatileState;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes the differences between two epochs of the line from epoch 0 to the current one, by
 * replaying, oldest first, the records of the epochs between them: which paths were created,
 * removed and renamed (followed through renames of their directories), which blocks were
 * first changed, and how sizes went. Memory grows with the number of paths changed, not with
 * their bytes. Sizes after the change come from the next record of the file in a later epoch,
 * or from the file on disk when nothing later changed it.
 */
final class DiffCollector {
  /** A path changed between the two epochs, under its name in the later one. */
  private static final class Entry {
    String origin; // the path in the earlier state; null if created
    boolean touched;
    boolean file;
    boolean directory;
    long sizeBefore = -1;
    long sizeAfter = -1;
    final RangeSet<Long> ranges = TreeRangeSet.create();
  }

  private final Journal journal;
  private final FileSystem fs;
  private final Map<String, Entry> live = new TreeMap<>();
  private final List<String> deleted = new ArrayList<>();

  private DiffCollector(Journal journal, FileSystem fs) {
    this.journal = journal;
    this.fs = fs;
  }

  static List<Change> collect(
      Journal journal, VolatileState state, FileSystem fs, long from, long to) throws IOException {
    for (long id : new long[] {from, to}) {
      if (journal.epoch(id) == null) {
        throw new NoSuchEpochException(
            id, "it is not in the store (valid epochs: the ones listed by epochs())");
      }
    }
    long lo = Math.min(from, to);
    long hi = Math.max(from, to);
    DiffCollector c = new DiffCollector(journal, fs);
    List<Long> after = new ArrayList<>();
    for (EpochInfo e : journal.epochs()) {
      if (e.id() > lo && e.id() <= hi) {
        journal.forEachRecord(e.id(), (r, frame, payload) -> c.replay(r));
      } else if (e.id() > hi) {
        after.add(e.id());
      }
    }
    c.sizesAfter(after);
    List<Change> changes = c.changes(from > to);
    changes.addAll(state.diff(lo, hi));
    return changes;
  }

  private Entry entry(String path) {
    return live.computeIfAbsent(
        path,
        p -> {
          Entry e = new Entry();
          e.origin = p;
          return e;
        });
  }

  private static boolean under(String path, String dir) {
    return path.length() > dir.length() && path.startsWith(dir) && path.charAt(dir.length()) == '/';
  }

  private void replay(UndoRecord record) {
    if (record instanceof UndoRecord.Touch) {
      UndoRecord.Touch t = (UndoRecord.Touch) record;
      Entry e = entry(t.path());
      if (!e.touched && e.origin != null && t.kind() == UndoRecord.Kind.FILE) {
        e.sizeBefore = t.size();
      }
      e.touched = true;
      e.file = t.kind() == UndoRecord.Kind.FILE;
      e.directory = t.kind() == UndoRecord.Kind.DIRECTORY;
    } else if (record instanceof UndoRecord.Block) {
      UndoRecord.Block b = (UndoRecord.Block) record;
      Entry e = entry(b.path());
      if (e.origin != null && b.data().length > 0) {
        long at = b.block() * journal.blockSize();
        e.ranges.add(Range.closedOpen(at, at + b.data().length));
      }
    } else if (record instanceof UndoRecord.Created) {
      Entry e = new Entry();
      e.origin = null;
      live.put(((UndoRecord.Created) record).path(), e);
    } else if (record instanceof UndoRecord.Trashed) {
      String path = ((UndoRecord.Trashed) record).path();
      Entry gone = live.remove(path);
      if (gone == null) {
        deleted.add(path);
      } else if (gone.origin != null) {
        deleted.add(gone.origin);
      }
      for (Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Entry> m = it.next();
        if (under(m.getKey(), path)) {
          it.remove();
          String origin = m.getValue().origin;
          if (origin != null && !under(origin, gone == null || gone.origin == null ? path : gone.origin)) {
            deleted.add(origin); // moved into the directory from elsewhere, then removed with it
          }
        }
      }
    } else if (record instanceof UndoRecord.Moved) {
      UndoRecord.Moved m = (UndoRecord.Moved) record;
      Map<String, Entry> moved = new TreeMap<>();
      Entry self = live.remove(m.from());
      if (self == null) {
        self = new Entry();
        self.origin = m.from();
      }
      moved.put(m.to(), self);
      for (Iterator<Map.Entry<String, Entry>> it = live.entrySet().iterator(); it.hasNext(); ) {
        Map.Entry<String, Entry> e = it.next();
        if (under(e.getKey(), m.from())) {
          it.remove();
          moved.put(m.to() + e.getKey().substring(m.from().length()), e.getValue());
        }
      }
      // a rename over an existing path replaced it: its Trashed record came first
      live.putAll(moved);
    }
  }

  /**
   * Sizes in the later state of the files whose size may have changed, and whether the paths
   * created in between still exist there: a file created and removed again within one epoch
   * leaves only its creation in the journal. The first record of a later epoch (or of the
   * working one) that mentions a path tells: a Touch, a Trashed or a rename away means it
   * existed (a Touch gives its size), a Created means it did not; with no later mention, the
   * disk tells.
   */
  private void sizesAfter(List<Long> laterEpochs) throws IOException {
    Map<String, Entry> wanted = new HashMap<>();
    live.forEach(
        (path, e) -> {
          if (e.file || e.origin == null) {
            wanted.put(path, e);
          }
        });
    Set<String> found = new HashSet<>();
    Set<String> absent = new HashSet<>();
    for (long id : laterEpochs) {
      if (found.size() == wanted.size()) {
        break;
      }
      journal.forEachRecord(id, (r, frame, payload) -> firstMention(r, wanted, found, absent));
    }
    if (found.size() < wanted.size()) {
      journal.forEachWorkingRecord((r, frame, payload) -> firstMention(r, wanted, found, absent));
    }
    for (Map.Entry<String, Entry> w : wanted.entrySet()) {
      if (!found.contains(w.getKey())) {
        try {
          BasicFileAttributes a =
              Files.readAttributes(
                  fs.getPath(w.getKey()), BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (a.isRegularFile()) {
            w.getValue().sizeAfter = a.size();
            w.getValue().file = true;
          }
        } catch (NoSuchFileException e) {
          absent.add(w.getKey());
        }
      }
    }
    for (String path : absent) {
      if (live.get(path).origin == null) {
        live.remove(path); // created and removed again in between
      }
    }
  }

  private static void firstMention(
      UndoRecord r, Map<String, Entry> wanted, Set<String> found, Set<String> absent) {
    String path;
    if (r instanceof UndoRecord.Touch) {
      UndoRecord.Touch t = (UndoRecord.Touch) r;
      path = t.path();
      Entry e = wanted.get(path);
      if (e != null && !found.contains(path) && t.kind() == UndoRecord.Kind.FILE) {
        e.sizeAfter = t.size();
        e.file = true;
      }
    } else if (r instanceof UndoRecord.Trashed) {
      path = ((UndoRecord.Trashed) r).path();
    } else if (r instanceof UndoRecord.Moved) {
      path = ((UndoRecord.Moved) r).from();
    } else if (r instanceof UndoRecord.Created) {
      path = ((UndoRecord.Created) r).path();
      if (wanted.containsKey(path) && !found.contains(path)) {
        absent.add(path);
      }
    } else {
      return;
    }
    if (wanted.containsKey(path)) {
      found.add(path);
    }
  }

  private List<Change> changes(boolean reversed) {
    List<Change> out = new ArrayList<>();
    for (String path : deleted) {
      out.add(reversed
          ? new Change(Kind.CREATED, path, null, -1, -1, List.of())
          : new Change(Kind.DELETED, path, null, -1, -1, List.of()));
    }
    for (Map.Entry<String, Entry> m : live.entrySet()) {
      String path = m.getKey();
      Entry e = m.getValue();
      if (e.origin == null) {
        out.add(reversed
            ? new Change(Kind.DELETED, path, null, -1, -1, List.of())
            : new Change(Kind.CREATED, path, null, -1, e.sizeAfter, List.of()));
        continue;
      }
      List<Change.Range> ranges = ranges(e);
      long before = reversed ? e.sizeAfter : e.sizeBefore;
      long after = reversed ? e.sizeBefore : e.sizeAfter;
      if (!e.origin.equals(path)) {
        out.add(reversed
            ? new Change(Kind.MOVED, e.origin, path, before, after, ranges)
            : new Change(Kind.MOVED, path, e.origin, before, after, ranges));
      } else if ((e.touched && !e.directory) || !ranges.isEmpty()) {
        // a directory whose entries changed is not listed: the entries are
        out.add(new Change(Kind.CHANGED, path, null, before, after, ranges));
      }
    }
    return out;
  }

  /** Changed blocks, and what was appended or cut off, within the larger of the two sizes. */
  private static List<Change.Range> ranges(Entry e) {
    RangeSet<Long> all = TreeRangeSet.create(e.ranges);
    if (e.sizeBefore >= 0 && e.sizeAfter >= 0 && e.sizeBefore != e.sizeAfter) {
      all.add(Range.closedOpen(Math.min(e.sizeBefore, e.sizeAfter), Math.max(e.sizeBefore, e.sizeAfter)));
    }
    long end = Math.max(e.sizeBefore, e.sizeAfter);
    List<Change.Range> out = new ArrayList<>();
    for (Range<Long> r : all.asRanges()) {
      long lo = r.lowerEndpoint();
      long hi = end >= 0 ? Math.min(r.upperEndpoint(), end) : r.upperEndpoint();
      if (hi > lo) {
        out.add(new Change.Range(lo, hi - lo));
      }
    }
    return out;
  }
}
