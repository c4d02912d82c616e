package dev.metamori.testing;

import dev.metamori.Epoch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/**
 * The epochs of a store as a tree, for oracles that check {@code epochs()} and workloads that
 * pick restore targets: which way a restore goes (only undo, only redo, or both), and targets
 * chosen so that redo is exercised, not only undo.
 */
public final class EpochTree {
  /** Which journal passes a restore from one epoch to another needs. */
  public enum Direction {
    /** Already there. */
    STAY,
    /** To an ancestor: undo only. */
    BACK,
    /** To a descendant: redo only. */
    FORWARD,
    /** To another branch: undo up to the common ancestor, then redo down. */
    ACROSS
  }

  private final Map<Long, Long> parents = new HashMap<>();
  private final List<Long> ids = new ArrayList<>();

  /** The tree that {@code epochs} (as {@code Checkpointer.epochs()} lists them) form. */
  public EpochTree(List<Epoch> epochs) {
    for (Epoch e : epochs) {
      parents.put(e.id(), e.parent());
      ids.add(e.id());
    }
  }

  /** How a restore from {@code from} to {@code to} goes. */
  public Direction direction(long from, long to) {
    if (from == to) {
      return Direction.STAY;
    }
    if (isAncestor(to, from)) {
      return Direction.BACK;
    }
    return isAncestor(from, to) ? Direction.FORWARD : Direction.ACROSS;
  }

  private boolean isAncestor(long ancestor, long of) {
    for (Long e = parents.get(of); e != null && e >= 0; e = parents.get(e)) {
      if (e == ancestor) {
        return true;
      }
    }
    return false;
  }

  /**
   * A restore target for a store at {@code current}, never one of {@code excluded}: a third of
   * the time any epoch, otherwise one that needs redo (a descendant of {@code current} or an
   * epoch on another branch) when there is one, else an ancestor.
   */
  public long pickTarget(Random random, long current, long... excluded) {
    List<Long> any = new ArrayList<>();
    List<Long> redo = new ArrayList<>();
    for (long id : ids) {
      boolean skip = false;
      for (long x : excluded) {
        skip |= x == id;
      }
      if (skip) {
        continue;
      }
      any.add(id);
      Direction d = direction(current, id);
      if (d == Direction.FORWARD || d == Direction.ACROSS) {
        redo.add(id);
      }
    }
    if (any.isEmpty()) {
      throw new IllegalArgumentException("no epoch to restore but " + List.of(excluded));
    }
    List<Long> from = redo.isEmpty() || random.nextInt(3) == 0 ? any : redo;
    return from.get(random.nextInt(from.size()));
  }

  /**
   * Null if the store lists exactly the epochs {@code parents} names (epoch id to its parent,
   * epoch 0 to -1), oldest first, each with that parent; otherwise what differs.
   */
  public static String differences(List<Epoch> listed, Map<Long, Long> parents) {
    Map<Long, Long> actual = new TreeMap<>();
    List<Long> order = new ArrayList<>();
    for (Epoch e : listed) {
      actual.put(e.id(), e.parent());
      order.add(e.id());
    }
    List<Long> sorted = new ArrayList<>(order);
    sorted.sort(null);
    if (!sorted.equals(order)) {
      return "epochs() is not oldest first: " + order;
    }
    Map<Long, Long> expected = new TreeMap<>(parents);
    return expected.equals(actual) ? null : "epochs() (id=parent) " + actual + ", the oracle " + expected;
  }
}
