package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.META_NEXT_ITEM;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The catalogue of the store: the names of the volatile items (regions and objects) as of any
 * epoch, each checked against the Name record it was indexed from, the ids of new items, and the
 * tracked roots.
 */
final class StateCatalogue {
  private final JournalStore store;
  private final EpochGraph graph;
  private final CommittedSegments segments;
  private long nextItem;

  StateCatalogue(JournalStore store, EpochGraph graph, CommittedSegments segments) {
    this.store = store;
    this.graph = graph;
    this.segments = segments;
  }

  StateReader reader() {
    return new StateReader(store, graph, segments);
  }

  /** Every region's and object's name at epoch {@code at} with {id, size, page size, epoch that named it, seq}. */
  Map<String, long[]> names(long at) throws CorruptStoreException {
    Set<Long> line = new HashSet<>(graph.line(at));
    Map<String, long[]> names = new TreeMap<>();
    for (Map.Entry<String, long[]> e : store.index().names().entrySet()) {
      String name = MvStoreIndex.nameOf(e.getKey());
      long[] v = e.getValue();
      long[] best = names.get(name);
      if (v.length == 5 && line.contains(v[3]) && (best == null || best[3] < v[3])) {
        names.put(name, v);
      }
    }
    return names;
  }

  /**
   * The volatile item called {@code name} at epoch {@code at}, as named by the newest Name
   * record on the line from the root to {@code at}: {id, size, pageSize, epoch, seq}; null if
   * none.
   */
  long[] name(String name, long at) throws IOException {
    Set<Long> line = new HashSet<>(graph.line(at));
    long[] v = null;
    for (long[] candidate : store.index().nameVersions(name)) {
      if (candidate.length != 5) {
        throw store.indexDamage(-1, "the index entry of " + name + " is damaged");
      }
      if (line.contains(candidate[3]) && (v == null || v[3] < candidate[3])) {
        v = candidate;
      }
    }
    if (v == null) {
      checkNoItemUnnamed();
      return null;
    }
    try (StateReader reader = reader()) {
      checkName(reader, name, v);
    }
    return v;
  }

  /**
   * The names entry {@code name → v} against the Name record it was made from: a damaged
   * entry must not silently hand out another item (whose state would then read as empty).
   */
  private void checkName(StateReader reader, String name, long[] v) throws IOException {
    UndoRecord r = null;
    if (v.length == 5 && store.index().epoch(v[3]) != null) {
      r = reader.read(v[3], v[4]);
    }
    if (!(r instanceof UndoRecord.Name n)
        || !n.name().equals(name)
        || n.item() != v[0]
        || n.size() != v[1]
        || n.pageSize() != v[2]) {
      throw store.indexDamage(v.length == 5 ? v[3] : -1, "the index entry of " + name + " is damaged");
    }
  }

  /**
   * A name the index does not list is taken for a new region or object, which starts empty:
   * so its absence is checked too. Every item that a committed epoch lists state entries of
   * must be named by an entry that matches its Name record; an entry lost, or moved to another
   * name, by a flipped byte is reported, not taken for an empty item. The epochs' own entries
   * are asked rather than the versions map, because damage to MVStore's layout was seen to
   * empty the names and versions maps together. Costs one record read per item and a few
   * lookups per committed epoch, once per name the store does not hold yet.
   */
  private void checkNoItemUnnamed() throws IOException {
    EpochIndex index = store.index();
    Set<Long> named = new HashSet<>();
    try (StateReader reader = reader()) {
      for (Map.Entry<String, long[]> e : index.names().entrySet()) {
        long[] v = e.getValue();
        if (v.length == 5 && index.epoch(v[3]) == null) {
          continue; // named by the epoch being committed right now
        }
        checkName(reader, MvStoreIndex.nameOf(e.getKey()), v);
        named.add(v[0]);
      }
    }
    for (EpochInfo epoch : index.epochs()) {
      for (long item : index.stateItems(epoch.id())) {
        if (!named.contains(item)) {
          throw store.indexDamage(
              epoch.id(), "epoch " + epoch.id() + " holds state of item " + item + " but the index has no name for it");
        }
      }
    }
  }

  /** A fresh id for a volatile item (region or object), fixed by the next commit. */
  synchronized long newItem() throws CorruptStoreException {
    long item = Math.max(nextItem, store.index().meta(META_NEXT_ITEM, 0));
    nextItem = item + 1;
    return item;
  }

  /** Indexes the names a committed epoch's Name records give (at sequence numbers {@code seqs}). */
  void putNames(long epoch, List<UndoRecord.Name> names, List<Long> seqs) throws CorruptStoreException {
    EpochIndex index = store.index();
    for (int i = 0; i < names.size(); i++) {
      UndoRecord.Name n = names.get(i);
      index.putName(n.name(), new long[] {n.item(), n.size(), n.pageSize(), epoch, seqs.get(i)});
      index.putMeta(META_NEXT_ITEM, Math.max(index.meta(META_NEXT_ITEM, 0), n.item() + 1));
    }
  }

  /** The tracked roots the store was last opened with (real path strings). */
  List<String> roots() throws CorruptStoreException {
    return store.index().roots();
  }

  /** Records the tracked roots, so that the store can be reopened without naming them. */
  void recordRoots(List<String> roots) throws IOException {
    if (!roots.equals(store.index().roots())) {
      store.index().putRoots(roots);
      store.index().commit(store.forcing());
    }
  }
}
