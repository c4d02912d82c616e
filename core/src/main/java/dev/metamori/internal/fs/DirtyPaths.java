package dev.metamori.internal.fs;

import dev.metamori.internal.journal.UndoRecord;
import java.util.HashSet;
import java.util.Set;

/**
 * The tracked entries an epoch changed through the checkpointer, named by the journal records
 * that changed them: single entries (a file's data or attributes) and whole trees (what was
 * created, removed or renamed, with everything under it). Thread-safe.
 */
final class DirtyPaths {
  private final Set<String> entries = new HashSet<>();
  private final Set<String> trees = new HashSet<>();
  /** Inodes (device, number) with other links that a change removed a name of. */
  private final Set<java.util.List<Long>> inodes = new HashSet<>();

  synchronized void addInode(long dev, long ino) {
    inodes.add(java.util.List.of(dev, ino));
  }

  synchronized Set<java.util.List<Long>> inodes() {
    return Set.copyOf(inodes);
  }

  /** Notes the entries {@code record}, written or applied, changes. */
  synchronized void note(UndoRecord record) {
    if (record instanceof UndoRecord.Touch t) {
      entries.add(t.path());
    } else if (record instanceof UndoRecord.Block b) {
      entries.add(b.path());
    } else if (record instanceof UndoRecord.Created c) {
      trees.add(c.path());
    } else if (record instanceof UndoRecord.Trashed t) {
      trees.add(t.path());
    } else if (record instanceof UndoRecord.Moved m) {
      trees.add(m.from());
      trees.add(m.to());
    } else if (record instanceof UndoRecord.Redo r) {
      entries.add(r.path());
    } else if (record instanceof UndoRecord.RedoAttributes a) {
      entries.add(a.path());
    } else if (record instanceof UndoRecord.RedoRemoveDirectory d) {
      trees.add(d.path());
    }
  }

  /** Notes {@code path} and everything under it. */
  synchronized void addTree(String path) {
    trees.add(path);
  }

  synchronized void addAll(DirtyPaths other) {
    Set<String> e;
    Set<String> t;
    Set<java.util.List<Long>> i;
    synchronized (other) {
      e = Set.copyOf(other.entries);
      t = Set.copyOf(other.trees);
      i = Set.copyOf(other.inodes);
    }
    entries.addAll(e);
    trees.addAll(t);
    inodes.addAll(i);
  }

  synchronized boolean isEmpty() {
    return entries.isEmpty() && trees.isEmpty() && inodes.isEmpty();
  }

  /** Whether {@code path} was changed: named itself, or under a changed tree. */
  synchronized boolean contains(String path) {
    if (entries.contains(path)) {
      return true;
    }
    for (String p = path; p != null; p = parent(p)) {
      if (trees.contains(p)) {
        return true;
      }
    }
    return false;
  }

  synchronized Set<String> entries() {
    return Set.copyOf(entries);
  }

  synchronized Set<String> trees() {
    return Set.copyOf(trees);
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }
}
