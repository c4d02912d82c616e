package dev.metamori.internal;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import dev.metamori.Change;
import dev.metamori.Change.Kind;
import dev.metamori.NoSuchEpochException;
import dev.metamori.internal.DiffSide.Entry;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import dev.metamori.internal.memory.VolatileState;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes the differences between any two epochs of the tree. Both are reached from their
 * common ancestor (the base): each side's epochs are replayed oldest first ({@link DiffSide}),
 * and the two fates of every path changed on either side are composed. Bytes can differ only
 * in blocks one of the sides changed or beyond the base's size, so the ranges are those, at
 * block granularity.
 *
 * <p>A file's size at the base is in the first Touch record on either side. Its size at the end
 * of a side, when that side changed it, is its size at the end of the last epoch {@code e} that
 * changed it, found where that state was saved: in {@code e}'s redo file (written when {@code
 * e} was first undone, so every epoch off the current line has one) or, for a file {@code e}
 * created, the trash entry its undo keeps it in; else ({@code e} is on the current line and was
 * never undone) in the first record of a later epoch of the current line (or of the working
 * epoch) that mentions it, followed through renames, or on the disk.
 */
final class DiffCollector {
  private final Journal journal;
  private final FileSystem fs;

  private DiffCollector(Journal journal, FileSystem fs) {
    this.journal = journal;
    this.fs = fs;
  }

  static List<Change> collect(
      Journal journal, VolatileState state, FileSystem fs, long from, long to) throws IOException {
    return collectWithDirectories(journal, state, fs, from, to).changes();
  }

  /**
   * The changes, and the directories (by their paths at {@code to}) whose attributes either side
   * changed: those of the directories whose entries changed, which the changes do not list.
   */
  record Detailed(List<Change> changes, Set<String> touchedDirectories) {}

  static Detailed collectWithDirectories(
      Journal journal, VolatileState state, FileSystem fs, long from, long to) throws IOException {
    for (long id : new long[] {from, to}) {
      if (journal.epoch(id) == null) {
        throw new NoSuchEpochException(
            id, "it is not in the store (valid epochs: the ones listed by epochs())");
      }
    }
    List<Long> lineFrom = journal.line(from);
    List<Long> lineTo = journal.line(to);
    Set<Long> onLineTo = new HashSet<>(lineTo);
    long base = lineFrom.stream().filter(onLineTo::contains).findFirst().orElse(0L);
    DiffSide a = DiffSide.replay(journal, below(lineFrom, base));
    DiffSide b = DiffSide.replay(journal, below(lineTo, base));
    DiffCollector c = new DiffCollector(journal, fs);
    Map<String, Entry> atBase = c.resolveSizes(List.of(a, b), base);
    List<Change> changes = compose(a, b, atBase);
    changes.addAll(state.diff(from, to));
    Set<String> directories = new TreeSet<>();
    for (DiffSide side : List.of(a, b)) {
      for (Entry e : side.byOrigin.values()) {
        Entry atTo = e.directory && e.touched ? b.fate(e.origin) : null;
        if (atTo != null && atTo.alive()) {
          directories.add(atTo.path);
        }
      }
    }
    for (Entry e : b.live.values()) {
      if (e.directory && e.touched && e.alive()) {
        directories.add(e.path);
      }
    }
    return new Detailed(changes, directories);
  }

  /** The epochs of {@code line} (newest first) after {@code base}, oldest first. */
  private static List<Long> below(List<Long> line, long base) {
    List<Long> out = new ArrayList<>(line.subList(0, line.indexOf(base)));
    Collections.reverse(out);
    return out;
  }

  // ---- sizes at the end of each side ----

  /**
   * Finds the sizes at the end of each side of the files it changed or created, and returns
   * what is known of the base state of the files a side removed that neither side changed
   * (their size where the other side still has them).
   */
  private Map<String, Entry> resolveSizes(List<DiffSide> sides, long base) throws IOException {
    Set<Long> currentLine = new HashSet<>(journal.line(journal.currentEpoch()));
    Map<Long, List<Entry>> byEpoch = new TreeMap<>();
    for (DiffSide side : sides) {
      for (Entry e : side.live.values()) {
        if (e.lastEpoch >= 0 && (e.lastCreated || e.file)) {
          byEpoch.computeIfAbsent(e.lastEpoch, k -> new ArrayList<>()).add(e);
        }
      }
    }
    List<Entry> onCurrentLine = new ArrayList<>();
    Map<String, Entry> atBase = new HashMap<>();
    if (currentLine.contains(base)) {
      // off the current line the base state of an untouched file is in no record of the way
      for (DiffSide side : sides) {
        DiffSide other = side == sides.get(0) ? sides.get(1) : sides.get(0);
        for (Entry e : side.byOrigin.values()) {
          if (!e.alive() && e.sizeAtBase < 0 && other.fate(e.origin).alive()
              && other.fate(e.origin).sizeAtBase < 0 && !atBase.containsKey(e.origin)) {
            Entry probe = new Entry();
            probe.origin = e.origin;
            probe.path = e.origin;
            probe.pathAtLast = e.origin;
            probe.lastEpoch = base;
            atBase.put(e.origin, probe);
            onCurrentLine.add(probe);
          }
        }
      }
    }
    for (Map.Entry<Long, List<Entry>> group : byEpoch.entrySet()) {
      long epoch = group.getKey();
      fromEpoch(epoch, group.getValue(), !currentLine.contains(epoch), onCurrentLine);
    }
    if (!onCurrentLine.isEmpty()) {
      fromCurrentLine(onCurrentLine);
    }
    return atBase;
  }

  /**
   * Sizes at the end of {@code epoch} of the files it changed last, from its redo file, and (if
   * it is {@code undone}) of those it created, from the trash entries its undo kept them in;
   * adds to {@code later} those that must be found after it on the current line.
   */
  private void fromEpoch(long epoch, List<Entry> entries, boolean undone, List<Entry> later)
      throws IOException {
    Map<Long, List<Entry>> bySteps = new HashMap<>();
    List<Entry> created = new ArrayList<>();
    for (Entry e : entries) {
      if (e.lastCreated && undone) {
        created.add(e);
      } else if (e.lastCreated) {
        later.add(e);
      } else {
        bySteps.computeIfAbsent(e.lastStep, k -> new ArrayList<>()).add(e);
      }
    }
    if (bySteps.isEmpty() && created.isEmpty()) {
      return;
    }
    Set<Entry> found = Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    Map<String, Long> recreated = new HashMap<>();
    journal.forEachRedoRecord(
        epoch,
        r -> {
          if (r instanceof UndoRecord.Redo redo) {
            for (Entry e : bySteps.getOrDefault(redo.step(), List.of())) {
              e.size = redo.size();
              e.file = true;
              found.add(e);
            }
          } else if (r instanceof UndoRecord.RedoRemoveDirectory d) {
            recreated.merge(d.path(), d.step(), Math::max);
          }
        });
    for (Entry e : created) {
      if (recreated.getOrDefault(e.createdAs, -1L) > e.lastStep) {
        // the undo had to make a directory of that name again for a later step: the one
        // created was removed within the epoch (which leaves no record)
        e.path = null;
      } else {
        // the undo of the creation keeps the object, as the epoch left it, in the trash
        settle(e, attributes(journal.keptPath(epoch, e.lastStep)));
      }
    }
    for (List<Entry> stepEntries : bySteps.values()) {
      for (Entry e : stepEntries) {
        // an undone epoch without the step's redo saw no file there to keep
        if (!found.contains(e) && !undone) {
          later.add(e);
        }
      }
    }
  }

  /**
   * Sizes at the end of epochs of the current line: the first later record (of the line or of
   * the working epoch) that mentions the path tells (a Touch its size, a Trashed the trash
   * entry, a Created that it was gone; a rename moves the question along); else the disk.
   */
  private void fromCurrentLine(List<Entry> wanted) throws IOException {
    List<Long> line = journal.line(journal.currentEpoch());
    Collections.reverse(line);
    Map<Long, Integer> position = new HashMap<>();
    for (int i = 0; i < line.size(); i++) {
      position.put(line.get(i), i);
    }
    wanted.sort(Comparator.comparingInt(e -> position.get(e.lastEpoch)));
    TreeMap<String, List<Entry>> pending = new TreeMap<>();
    int next = 0;
    for (int i = position.get(wanted.get(0).lastEpoch) + 1; i <= line.size(); i++) {
      while (next < wanted.size() && position.get(wanted.get(next).lastEpoch) < i) {
        Entry e = wanted.get(next++);
        pending.computeIfAbsent(e.pathAtLast, k -> new ArrayList<>()).add(e);
      }
      if (pending.isEmpty() && next == wanted.size()) {
        return;
      }
      List<IOException> failure = new ArrayList<>();
      if (i < line.size()) {
        journal.forEachRecord(line.get(i), (r, frame, payload) -> mention(r, pending, failure));
      } else {
        journal.forEachWorkingRecord((r, frame, payload) -> mention(r, pending, failure));
      }
      if (!failure.isEmpty()) {
        throw failure.get(0);
      }
    }
    for (Map.Entry<String, List<Entry>> p : pending.entrySet()) {
      BasicFileAttributes a = attributes(fs.getPath(p.getKey()));
      for (Entry e : p.getValue()) {
        settle(e, a);
      }
    }
  }

  private void mention(UndoRecord r, TreeMap<String, List<Entry>> pending, List<IOException> failure) {
    if (pending.isEmpty()) {
      return;
    }
    if (r instanceof UndoRecord.Touch t) {
      for (Entry e : pending.getOrDefault(t.path(), List.of())) {
        e.file = t.kind() == UndoRecord.Kind.FILE;
        e.directory = t.kind() == UndoRecord.Kind.DIRECTORY;
        e.size = e.file ? t.size() : -1;
      }
      pending.remove(t.path());
    } else if (r instanceof UndoRecord.Created c) {
      for (List<Entry> gone : take(pending, c.path()).values()) {
        for (Entry e : gone) {
          e.path = null; // created again: it was not there
        }
      }
    } else if (r instanceof UndoRecord.Trashed t) {
      for (Map.Entry<String, List<Entry>> m : take(pending, t.path()).entrySet()) {
        String rest = m.getKey().substring(t.path().length());
        try {
          BasicFileAttributes a = attributes(journal.trashPath(t.trashName() + rest));
          for (Entry e : m.getValue()) {
            settle(e, a);
          }
        } catch (IOException ex) {
          failure.add(ex);
        }
      }
    } else if (r instanceof UndoRecord.Moved m) {
      for (List<Entry> gone : take(pending, m.to()).values()) {
        for (Entry e : gone) {
          e.path = null; // renamed onto: it was not there (a replaced one was trashed first)
        }
      }
      for (Map.Entry<String, List<Entry>> x : take(pending, m.from()).entrySet()) {
        String to = m.to() + x.getKey().substring(m.from().length());
        pending.computeIfAbsent(to, k -> new ArrayList<>()).addAll(x.getValue());
      }
    }
  }

  /** Removes and returns the entries pending at {@code path} and below it. */
  private static Map<String, List<Entry>> take(TreeMap<String, List<Entry>> pending, String path) {
    Map<String, List<Entry>> out = new TreeMap<>();
    List<Entry> self = pending.remove(path);
    if (self != null) {
      out.put(path, self);
    }
    SortedMap<String, List<Entry>> below = DiffSide.under(pending, path);
    out.putAll(below);
    below.clear();
    return out;
  }

  /** Sets what the attributes of the object at the end of its side say; null: it was gone. */
  private static void settle(Entry e, BasicFileAttributes a) {
    if (a == null) {
      e.path = null;
    } else if (a.isRegularFile()) {
      e.file = true;
      e.directory = false;
      e.size = a.size();
    } else {
      e.file = false;
      e.directory = a.isDirectory();
      e.size = -1;
    }
  }

  private static BasicFileAttributes attributes(Path path) throws IOException {
    try {
      return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  // ---- composition ----

  private static List<Change> compose(DiffSide a, DiffSide b, Map<String, Entry> atBase) {
    List<Change> out = new ArrayList<>();
    List<Change> samePath = new ArrayList<>();
    Set<String> origins = new TreeSet<>(a.byOrigin.keySet());
    origins.addAll(b.byOrigin.keySet());
    for (String origin : origins) {
      Entry x = a.fate(origin);
      Entry y = b.fate(origin);
      if (!x.alive() && !y.alive()) {
        continue;
      }
      Entry probe = atBase.get(origin);
      boolean directory = x.directory || y.directory || (probe != null && probe.directory);
      long base =
          x.sizeAtBase >= 0 ? x.sizeAtBase : y.sizeAtBase >= 0 ? y.sizeAtBase : probe != null ? probe.size : -1;
      long sizeA = directory ? -1 : endSize(x, base);
      long sizeB = directory ? -1 : endSize(y, base);
      if (!y.alive()) {
        out.add(new Change(Kind.DELETED, x.path, null, -1, -1, List.of()));
      } else if (!x.alive()) {
        out.add(new Change(Kind.CREATED, y.path, null, -1, sizeB, List.of()));
      } else {
        List<Change.Range> ranges = ranges(x, y, base, sizeA, sizeB);
        if (!x.path.equals(y.path)) {
          out.add(new Change(Kind.MOVED, y.path, x.path, sizeA, sizeB, ranges));
        } else {
          // a directory whose entries changed is not listed: the entries are
          boolean changed = ((x.touched || y.touched) && !directory) || !ranges.isEmpty();
          samePath.add(new Change(changed ? Kind.CHANGED : null, y.path, null, sizeA, sizeB, ranges));
        }
      }
    }
    out.addAll(stayed(out, samePath, b));
    for (Entry e : a.live.values()) {
      if (e.origin == null && e.alive()) {
        out.add(new Change(Kind.DELETED, e.path, null, -1, -1, List.of()));
      }
    }
    for (Entry e : b.live.values()) {
      if (e.origin == null && e.alive()) {
        out.add(new Change(Kind.CREATED, e.path, null, -1, e.file ? e.size : -1, List.of()));
      }
    }
    return out;
  }

  /**
   * The changes of the paths at the same place in both states ({@code kind} null if unchanged):
   * a reader follows a path through the moves and creations reported for the directories above
   * it, so one that stayed while a directory above it moved away and another took its place is
   * reported as {@link Kind#MOVED} with itself as previous path.
   */
  private static List<Change> stayed(List<Change> reported, List<Change> samePath, DiffSide b) {
    Map<String, String> movedFrom = new HashMap<>();
    Set<String> created = new HashSet<>();
    for (Change c : reported) {
      if (c.kind() == Kind.MOVED) {
        movedFrom.put(c.path(), c.previousPath());
      } else if (c.kind() == Kind.CREATED) {
        created.add(c.path());
      }
    }
    for (Entry e : b.live.values()) {
      if (e.origin == null && e.alive()) {
        created.add(e.path);
      }
    }
    List<Change> out = new ArrayList<>();
    for (Change c : samePath) {
      String implied = c.path();
      for (String dir = DiffSide.parent(c.path()); dir != null; dir = DiffSide.parent(dir)) {
        if (created.contains(dir)) {
          implied = null;
          break;
        }
        String from = movedFrom.get(dir);
        if (from != null) {
          implied = from + c.path().substring(dir.length());
          break;
        }
      }
      if (!c.path().equals(implied)) {
        out.add(new Change(Kind.MOVED, c.path(), c.path(), c.sizeBefore(), c.sizeAfter(), c.ranges()));
      } else if (c.kind() != null) {
        out.add(c);
      }
    }
    return out;
  }

  /** The size at the end of a side: the base's unless the side changed the file. */
  private static long endSize(Entry e, long base) {
    return e.lastEpoch >= 0 && e.file ? e.size : base;
  }

  /**
   * The blocks either side changed, and the bytes each side appended or cut off, and those
   * between the two end sizes, within the larger end size.
   */
  private static List<Change.Range> ranges(Entry x, Entry y, long base, long sizeA, long sizeB) {
    RangeSet<Long> all = TreeRangeSet.create(x.blocks);
    all.addAll(y.blocks);
    for (long size : new long[] {x.lastEpoch >= 0 ? sizeA : -1, y.lastEpoch >= 0 ? sizeB : -1}) {
      if (size >= 0 && base >= 0 && size != base) {
        all.add(Range.closedOpen(Math.min(size, base), Math.max(size, base)));
      }
    }
    if (sizeA >= 0 && sizeB >= 0 && sizeA != sizeB) {
      all.add(Range.closedOpen(Math.min(sizeA, sizeB), Math.max(sizeA, sizeB)));
    }
    long end = Math.max(sizeA, sizeB);
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
