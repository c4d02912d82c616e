package dev.metamori.internal.journal;

import java.util.ArrayList;
import java.util.List;

/**
 * The way of a restore from epoch {@code from} to epoch {@code target}: the epochs to undo,
 * from {@code from} up to (not including) the common ancestor, then the epochs to redo, from the
 * common ancestor's child down to {@code target}. Computed once, from a target checked once.
 */
public record Route(long from, long target, List<Long> up, List<Long> down) {
  public Route {
    up = List.copyOf(up);
    down = List.copyOf(down);
  }

  /** Every epoch the restore undoes or redoes, in that order. */
  List<Long> passed() {
    List<Long> passed = new ArrayList<>(up);
    passed.addAll(down);
    return passed;
  }
}
