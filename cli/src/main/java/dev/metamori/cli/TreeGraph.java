package dev.metamori.cli;

import dev.metamori.Epoch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Draws an {@link EpochTree} newest first, like {@code git log --graph --all} draws history:
 * one column per branch still to be continued, {@code *} for an epoch, {@code |} for a line
 * going on to an older epoch, and, between two epochs, {@code /} where a branch joins the
 * line of its parent (running along {@code _} past the columns in between) or a column moves
 * left to close a gap.
 *
 * <p>Epochs have one parent each, so unlike git's there are no merges to draw: a column only
 * ever ends (at the epoch that is the parent of every line reaching it) or joins another.
 * The leftmost column is reserved for the current epoch's line, so that the current epoch and
 * its ancestors are the {@code *}s in the first column; above the current epoch it stays
 * blank unless a newer branch joins it there.
 */
final class TreeGraph {
  /** The epoch each column is waiting for (the parent of the last epoch drawn in it). */
  private final List<Long> columns = new ArrayList<>();
  private final EpochTree tree;
  /** Whether column 0 is the current line and has not shown anything yet. */
  private boolean blankFirst;

  private TreeGraph(EpochTree tree) {
    this.tree = tree;
    if (tree.contains(tree.current())) {
      columns.add(tree.current());
      blankFirst = true;
    }
  }

  /**
   * The lines of the graph: for each epoch, newest first, its first line of {@code text} after
   * its {@code *}, its other lines after the lines it continues, then (except after the last
   * epoch) one line that joins or moves the columns for the next epoch. Lines carry no
   * trailing blanks.
   */
  static List<String> draw(EpochTree tree, Function<Epoch, List<String>> text) {
    return new TreeGraph(tree).draw(text);
  }

  private List<String> draw(Function<Epoch, List<String>> text) {
    List<String> lines = new ArrayList<>();
    List<Epoch> epochs = tree.newestFirst();
    for (int i = 0; i < epochs.size(); i++) {
      Epoch e = epochs.get(i);
      int c = columns.indexOf(e.id());
      if (c < 0) {
        // a branch tip: nothing newer descends from it
        columns.add(e.id());
        c = columns.size() - 1;
      }
      if (c == 0) {
        blankFirst = false;
      }
      List<String> body = text.apply(e);
      lines.add(trim(row(c, '*') + " " + body.get(0)));
      long parent = tree.parent(e.id());
      char below = parent < 0 ? ' ' : '|';
      for (String more : body.subList(1, body.size())) {
        lines.add(trim(row(c, below) + "   " + more));
      }
      String between = parent < 0 ? end(c) : continueTo(c, parent);
      if (i + 1 < epochs.size()) {
        lines.add(trim(between));
      }
    }
    return lines;
  }

  /** The columns as they stand, with {@code mark} in column {@code c}. */
  private String row(int c, char mark) {
    char[] row = blank(columns.size());
    for (int k = 0; k < columns.size(); k++) {
      row[2 * k] = k == c ? mark : line(k);
    }
    return new String(row);
  }

  /** Column {@code c} now waits for {@code parent}; if another column already does, they join. */
  private String continueTo(int c, long parent) {
    int other = -1;
    for (int k = 0; k < columns.size(); k++) {
      if (k != c && columns.get(k) == parent) {
        other = k;
      }
    }
    if (other < 0) {
      columns.set(c, parent);
      return row(-1, ' ');
    }
    int keep = Math.min(c, other);
    int gone = Math.max(c, other);
    columns.set(keep, parent);
    char[] row = blank(columns.size());
    for (int k = 0; k < gone; k++) {
      row[2 * k] = line(k);
    }
    for (int p = 2 * keep + 1; p < 2 * gone - 1; p += 2) {
      row[p] = '_';
    }
    row[2 * gone - 1] = '/';
    shiftFrom(gone, row);
    if (keep == 0) {
      // the current line shows from the row where a branch joins it
      blankFirst = false;
    }
    return new String(row);
  }

  /** Column {@code c} ends (its epoch has no parent in the store); those right of it move left. */
  private String end(int c) {
    char[] row = blank(columns.size());
    for (int k = 0; k < c; k++) {
      row[2 * k] = line(k);
    }
    shiftFrom(c, row);
    return new String(row);
  }

  /** Removes column {@code gone} and draws the columns right of it moving one place left. */
  private void shiftFrom(int gone, char[] row) {
    for (int k = gone + 1; k < columns.size(); k++) {
      row[2 * k - 1] = '/';
    }
    columns.remove(gone);
  }

  private char line(int k) {
    return k == 0 && blankFirst ? ' ' : '|';
  }

  private static char[] blank(int columns) {
    char[] row = new char[Math.max(0, 2 * columns - 1)];
    Arrays.fill(row, ' ');
    return row;
  }

  private static String trim(String s) {
    int end = s.length();
    while (end > 0 && s.charAt(end - 1) == ' ') {
      end--;
    }
    return s.substring(0, end);
  }
}
