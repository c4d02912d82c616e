package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;
import static dev.metamori.internal.journal.JournalStore.META_ROOT;

import dev.metamori.CheckpointException;
import dev.metamori.CorruptStoreException;
import dev.metamori.NoSuchEpochException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The tree of committed epochs as the index lists it, read checked: lines to the root, the
 * route of a restore, and which epochs are listed (not pruned).
 */
final class EpochGraph {
  private final JournalStore store;

  EpochGraph(JournalStore store) {
    this.store = store;
  }

  /** Every node of the tree, pruned ones (hidden, archive) too, by id; see {@link #checkPruneMarks}. */
  List<EpochInfo> all() throws CorruptStoreException {
    List<EpochInfo> all = unchecked();
    checkPruneMarks(all);
    return all;
  }

  /** Every node of the tree by id, without the check of the prune marks (for a scrub). */
  List<EpochInfo> unchecked() throws CorruptStoreException {
    List<EpochInfo> all = store.index().epochs();
    all.sort(Comparator.comparingLong(EpochInfo::id));
    return all;
  }

  /** Committed epochs that are listed (not pruned), oldest first. */
  List<EpochInfo> listed() throws CorruptStoreException {
    List<EpochInfo> all = all();
    Map<Long, EpochInfo> byId = new HashMap<>();
    for (EpochInfo e : all) {
      byId.put(e.id(), e);
    }
    List<EpochInfo> visible = new ArrayList<>();
    for (EpochInfo e : all) {
      if (e.visible()) {
        // a pruned epoch between two listed ones is skipped: the parent is the nearest listed
        EpochInfo p = byId.get(e.parent());
        while (p != null && !p.visible()) {
          p = byId.get(p.parent());
        }
        visible.add(e.withParentAndFlags(p == null ? -1 : p.id(), e.flags()));
      }
    }
    return visible;
  }

  /** The committed, listed (not pruned) epoch {@code id}, or null. */
  EpochInfo listed(long id) throws CorruptStoreException {
    EpochInfo e = store.index().epoch(id);
    if (e != null && !e.visible()) {
      all(); // a pruned epoch is reported only if a prune can have left it so
    }
    return e == null || !e.visible() ? null : e;
  }

  /**
   * The epochs from {@code id} up to the root, {@code id} first, checked: each parent has a
   * smaller id, and the line ends at the root.
   */
  List<Long> line(long id) throws CorruptStoreException {
    EpochIndex index = store.index();
    List<Long> line = new ArrayList<>();
    long root = index.meta(META_ROOT, 0);
    for (EpochInfo e = index.epoch(id); ; e = index.epoch(e.parent())) {
      if (e == null) {
        throw store.indexDamage(id, "the line of epochs from epoch " + id + " to epoch 0 is broken");
      }
      line.add(e.id());
      if (e.id() == root) {
        return line;
      }
      if (e.parent() >= e.id() || e.parent() < 0) {
        throw store.indexDamage(e.id(), "epoch " + e.id() + " has parent " + e.parent());
      }
    }
  }

  /**
   * Checks that {@code target} is a listed epoch, with sound lines from it and from the current
   * epoch to the root, and returns the route of a restore to it.
   */
  Route routeTo(long target) throws CheckpointException {
    if (target < 0) {
      throw new NoSuchEpochException(target, "epoch ids are never negative");
    }
    line(store.current);
    EpochInfo t = store.index().epoch(target);
    if (t != null && !t.visible()) {
      all(); // "pruned" only if a prune can have left it so: else the index is damaged
    }
    if (t == null || !t.visible()) {
      throw new NoSuchEpochException(
          target,
          (t == null ? "it is not in the store" : "it was pruned")
              + " (valid targets: the epochs listed by epochs())");
    }
    return route(store.current, target);
  }

  /** The route from {@code from} to {@code target}, both in the tree (not checked to be listed). */
  Route route(long from, long target) throws CorruptStoreException {
    List<Long> targetLine = line(target);
    Set<Long> onTargetLine = new HashSet<>(targetLine);
    List<Long> up = new ArrayList<>();
    for (long e : line(from)) {
      if (onTargetLine.contains(e)) {
        List<Long> down = new ArrayList<>(targetLine.subList(0, targetLine.indexOf(e)));
        Collections.reverse(down);
        return new Route(from, target, up, down);
      }
      up.add(e);
    }
    throw store.indexDamage(target, "epochs " + from + " and " + target + " share no ancestor");
  }

  /**
   * An epoch's flags are the only record that a prune hid it, and MVStore does not checksum the
   * entries of its pages: a flipped bit there must not read as a prune, or a committed epoch is
   * silently lost. So the flags are checked against what only a prune leaves: flags it writes
   * ({@code 0}, hidden, hidden archive, compacted hidden archive); the {@code root} key, which
   * every prune that hides an epoch writes; archives in a line above the rest (each one's
   * parent an archive, the top one the root); each other hidden epoch an ancestor of a listed
   * one (a prune hides only epochs a kept one's restore passes through); and the current epoch
   * listed (outside an interrupted restore, which passes through hidden ones). Any other flags
   * are damage of the index.
   */
  private void checkPruneMarks(List<EpochInfo> all) throws CorruptStoreException {
    Map<Long, EpochInfo> byId = new HashMap<>();
    boolean marked = false;
    for (EpochInfo e : all) {
      byId.put(e.id(), e);
      marked |= e.flags() != 0;
    }
    if (!marked) {
      return;
    }
    long root = store.index().meta(META_ROOT, -1);
    Set<Long> aboveListed = new HashSet<>();
    for (EpochInfo e : all) {
      if (e.visible()) {
        EpochInfo p = byId.get(e.parent());
        while (p != null && aboveListed.add(p.id())) {
          p = byId.get(p.parent());
        }
      }
    }
    boolean restoring = store.index().meta(META_ROLLBACK_TARGET, -1) >= 0;
    for (EpochInfo e : all) {
      String wrong = wrongMarks(e, byId.get(e.parent()), root, aboveListed, restoring);
      if (wrong != null) {
        throw store.indexDamage(
            e.id(),
            "the index marks committed epoch " + e.id() + " pruned (flags 0x" + Long.toHexString(e.flags())
                + ") but no prune can have left it so (" + wrong + "): the index is damaged");
      }
    }
  }

  /** Why a prune cannot have left {@code e} with its flags, or null if one can. */
  private String wrongMarks(EpochInfo e, EpochInfo parent, long root, Set<Long> aboveListed, boolean restoring) {
    long f = e.flags();
    boolean archive = (f & EpochInfo.ARCHIVE) != 0;
    if (f == 0) {
      return null;
    } else if (f != EpochInfo.HIDDEN
        && f != (EpochInfo.HIDDEN | EpochInfo.ARCHIVE)
        && f != (EpochInfo.HIDDEN | EpochInfo.ARCHIVE | EpochInfo.COMPACTED)) {
      return "flags no prune writes";
    } else if (root < 0) {
      return "no prune recorded in the index";
    } else if (archive && e.parent() >= 0 && (parent == null || (parent.flags() & EpochInfo.ARCHIVE) == 0)) {
      return "an archive below epoch " + e.parent() + ", which is not one";
    } else if (archive && e.parent() < 0 && e.id() != root) {
      return "an archive at the top of the tree, which is not its root " + root;
    } else if (!archive && !aboveListed.contains(e.id())) {
      return "no listed epoch below it";
    } else if (e.id() == store.current && !restoring) {
      return "it is the current epoch";
    }
    return null;
  }
}
