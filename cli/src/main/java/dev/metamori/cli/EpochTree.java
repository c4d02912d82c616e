package dev.metamori.cli;

import dev.metamori.Epoch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The epochs of a store as the tree their parents make, seen from the current epoch: which
 * epochs descend from which, which lie on the current epoch's line, and how far a restore has
 * to walk.
 */
final class EpochTree {
  private final List<Epoch> newestFirst;
  private final Map<Long, Epoch> byId = new HashMap<>();
  private final Map<Long, List<Long>> children = new HashMap<>();
  private final Set<Long> currentLine = new HashSet<>();
  private final long current;

  /** The tree of {@code epochs} (any order), whose current epoch is {@code current}. */
  EpochTree(List<Epoch> epochs, long current) {
    this.current = current;
    for (Epoch e : epochs) {
      byId.put(e.id(), e);
    }
    List<Epoch> sorted = new ArrayList<>(byId.values());
    // ids only grow, so a child always has a larger id than its parent: newest first by id
    // puts every epoch before its parent, which is the order the graph needs
    sorted.sort((a, b) -> Long.compare(b.id(), a.id()));
    this.newestFirst = Collections.unmodifiableList(sorted);
    for (int i = sorted.size() - 1; i >= 0; i--) {
      Epoch e = sorted.get(i);
      if (byId.containsKey(e.parent())) {
        children.computeIfAbsent(e.parent(), k -> new ArrayList<>()).add(e.id());
      }
    }
    currentLine.addAll(line(current));
  }

  /** Every epoch, newest (largest id) first; each comes before its parent. */
  List<Epoch> newestFirst() {
    return newestFirst;
  }

  /** The current epoch's id. */
  long current() {
    return current;
  }

  /** Whether the tree holds epoch {@code id}. */
  boolean contains(long id) {
    return byId.containsKey(id);
  }

  /** The parent of {@code id} if the tree holds it, else -1. */
  long parent(long id) {
    Epoch e = byId.get(id);
    return e == null || !byId.containsKey(e.parent()) ? -1 : e.parent();
  }

  /** The ids of the epochs committed on top of {@code id}, oldest first. */
  List<Long> children(long id) {
    return children.getOrDefault(id, List.of());
  }

  /** Whether {@code id} is the current epoch or one of its ancestors. */
  boolean onCurrentLine(long id) {
    return currentLine.contains(id);
  }

  /** {@code id} and its ancestors, {@code id} first; empty if the tree does not hold it. */
  List<Long> line(long id) {
    List<Long> line = new ArrayList<>();
    for (long e = contains(id) ? id : -1; e >= 0; e = parent(e)) {
      line.add(e);
    }
    return line;
  }

  /** The newest epoch that is both {@code a} or an ancestor of it and {@code b} or one of its. */
  long commonAncestor(long a, long b) {
    Set<Long> ofA = new HashSet<>(line(a));
    for (long e : line(b)) {
      if (ofA.contains(e)) {
        return e;
      }
    }
    return -1;
  }

  /** How many parent steps lead from {@code id} up to its ancestor {@code ancestor}. */
  int stepsUp(long id, long ancestor) {
    int steps = line(id).indexOf(ancestor);
    if (steps < 0) {
      throw new IllegalArgumentException(ancestor + " is not an ancestor of " + id);
    }
    return steps;
  }
}
