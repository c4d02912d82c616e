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

  /** Every region's and object's name at epoch {@code at}, with the entry of its newest naming. */
  Map<String, NameEntry> names(long at) throws CorruptStoreException {
    Set<Long> line = new HashSet<>(graph.line(at));
    Map<String, NameEntry> names = new TreeMap<>();
    for (Map.Entry<String, NameEntry> e : store.index().names().entrySet()) {
      String name = MvStoreIndex.nameOf(e.getKey());
      NameEntry v = e.getValue();
      NameEntry best = names.get(name);
      if (v != null && line.contains(v.epoch()) && (best == null || best.epoch() < v.epoch())) {
        names.put(name, v);
      }
    }
    return names;
  }

  /**
   * The volatile item called {@code name} at epoch {@code at}, as named by the newest Name
   * record on the line from the root to {@code at}; null if none.
   */
  NameEntry name(String name, long at) throws IOException {
    Set<Long> line = new HashSet<>(graph.line(at));
    NameEntry v = null;
    for (NameEntry candidate : store.index().nameVersions(name)) {
      if (candidate == null) {
        throw store.indexDamage(-1, "the index entry of " + name + " is damaged");
      }
      if (line.contains(candidate.epoch()) && (v == null || v.epoch() < candidate.epoch())) {
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
   * entry ({@code v} null if not even well-formed) must not silently hand out another item
   * (whose state would then read as empty).
   */
  private void checkName(StateReader reader, String name, NameEntry v) throws IOException {
    UndoRecord r = null;
    if (v != null && store.index().epoch(v.epoch()) != null) {
      r = reader.read(v.epoch(), v.seq());
    }
    if (!(r instanceof UndoRecord.Name n) || !v.isNamedBy(n, name)) {
      throw store.indexDamage(v != null ? v.epoch() : -1, "the index entry of " + name + " is damaged");
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
      for (Map.Entry<String, NameEntry> e : index.names().entrySet()) {
        NameEntry v = e.getValue();
        if (v != null && index.epoch(v.epoch()) == null) {
          continue; // named by the epoch being committed right now
        }
        checkName(reader, MvStoreIndex.nameOf(e.getKey()), v);
        named.add(v.item());
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
      index.putName(n.name(), NameEntry.of(n, epoch, seqs.get(i)));
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
      store.commitEvent(false, List.of(), new long[0]); // the catalogue keeps the roots too
    }
  }
}
