package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Epoch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The shapes the log draws, on trees built from parent ids alone. */
class TreeGraphTest {
  /** Epochs 0..n-1 where epoch i has parent {@code parents[i]}. */
  static List<Epoch> epochs(long... parents) {
    List<Epoch> epochs = new ArrayList<>();
    for (int i = 0; i < parents.length; i++) {
      epochs.add(new Epoch(i, parents[i], Instant.EPOCH, 0, 0, 0));
    }
    return epochs;
  }

  /** The graph with one title line and one detail line per epoch. */
  static String draw(long current, long... parents) {
    EpochTree tree = new EpochTree(epochs(parents), current);
    List<String> lines =
        TreeGraph.draw(
            tree,
            e -> List.of(e.id() + (e.id() == current ? " @" : ""), "."));
    return String.join("\n", lines) + "\n";
  }

  @Test
  void aLineIsOneColumn() {
    assertEquals("* 2 @\n|   .\n|\n* 1\n|   .\n|\n* 0\n    .\n", draw(2, -1, 0, 1));
  }

  @Test
  void aBranchFromAnOlderEpochJoinsItsParentsLine() {
    // restore(3) from 7, then a commit: 8 is a child of 3, and 4..7 a branch
    assertEquals(
        String.join("\n",
            "* 8 @", "|   .", "|",
            "| * 7", "| |   .", "| |",
            "| * 6", "| |   .", "| |",
            "| * 5", "| |   .", "| |",
            "| * 4", "| |   .",
            "|/",
            "* 3", "|   .", "|",
            "* 2", "|   .", "|",
            "* 1", "|   .", "|",
            "* 0", "    .") + "\n",
        draw(8, -1, 0, 1, 2, 3, 4, 5, 6, 3));
  }

  @Test
  void theCurrentLineStaysInTheFirstColumnWhenNewerEpochsAreOnABranch() {
    // restore(7) back from 8: 8 is the newest, but 7 and its ancestors are the current line
    assertEquals(
        String.join("\n",
            "  * 8", "  |   .", "  |",
            "* | 7 @", "| |   .", "| |",
            "* | 6", "| |   .", "| |",
            "* | 5", "| |   .", "| |",
            "* | 4", "| |   .",
            "|/",
            "* 3", "|   .", "|",
            "* 2", "|   .", "|",
            "* 1", "|   .", "|",
            "* 0", "    .") + "\n",
        draw(7, -1, 0, 1, 2, 3, 4, 5, 6, 3));
  }

  @Test
  void newerEpochsOfTheCurrentEpochJoinItFromTheRight() {
    // restore(3) from 7 without a commit: 4..7 descend from the current epoch
    assertEquals(
        String.join("\n",
            "  * 7", "  |   .", "  |",
            "  * 6", "  |   .", "  |",
            "  * 5", "  |   .", "  |",
            "  * 4", "  |   .",
            " /",
            "* 3 @", "|   .", "|",
            "* 2", "|   .", "|",
            "* 1", "|   .", "|",
            "* 0", "    .") + "\n",
        draw(3, -1, 0, 1, 2, 3, 4, 5, 6));
  }

  @Test
  void aJoinPastAnotherColumnRunsAlongTheBottomOfTheRow() {
    // 6, 4 children of 1; 5, 3 children of 2; the current epoch is 6
    assertEquals(
        String.join("\n",
            "* 6 @", "|   .", "|",
            "| * 5", "| |   .", "| |",
            "| | * 4", "| | |   .",
            "|_|/",
            "| | * 3", "| | |   .",
            "| |/",
            "| * 2", "| |   .",
            "|/",
            "* 1", "|   .", "|",
            "* 0", "    .") + "\n",
        draw(6, -1, 0, 1, 2, 1, 2, 1));
  }

  @Test
  void columnsRightOfAJoinMoveLeft() {
    // 2, 3, 4 children of 1; 5 of 2; 6 of 3; the current epoch is 4
    assertEquals(
        String.join("\n",
            "  * 6", "  |   .", "  |",
            "  | * 5", "  | |   .", "  | |",
            "* | | 4 @", "| | |   .", "| | |",
            "| * | 3", "| | |   .",
            "|/ /",
            "| * 2", "| |   .",
            "|/",
            "* 1", "|   .", "|",
            "* 0", "    .") + "\n",
        draw(4, -1, 0, 1, 1, 1, 2, 3));
  }

  @Test
  void theCurrentLineMayStartAtTheRoot() {
    assertEquals(
        String.join("\n",
            "  * 2", "  |   .", "  |",
            "  * 1", "  |   .",
            " /",
            "* 0 @", "    .") + "\n",
        draw(0, -1, 0, 1));
  }

  @Test
  void everyLineOfARandomTreeLeadsFromAnEpochToItsParent() {
    for (long seed = 0; seed < 500; seed++) {
      Random rnd = new Random(seed);
      long[] parents = new long[1 + rnd.nextInt(30)];
      parents[0] = -1;
      for (int i = 1; i < parents.length; i++) {
        // mostly the newest epochs, sometimes any older one: long lines and many branches
        parents[i] = rnd.nextInt(4) == 0 ? rnd.nextInt(i) : Math.max(0, i - 1 - rnd.nextInt(3));
      }
      long current = rnd.nextInt(parents.length);
      String graph = draw(current, parents);
      String where = "seed " + seed + ", parents " + Arrays.toString(parents) + ", current " + current + ":\n" + graph;
      String[] rows = graph.split("\n");
      Map<Long, Integer> rowOf = new HashMap<>();
      for (int r = 0; r < rows.length; r++) {
        int star = rows[r].indexOf('*');
        if (star >= 0) {
          long id = Long.parseLong(rows[r].substring(star).replaceFirst("^[*| ]+", "").split(" ")[0]);
          rowOf.put(id, r);
          assertEquals(id == current || isAncestor(parents, id, current), star == 0, where);
        }
      }
      for (int id = 0; id < parents.length; id++) {
        int r = rowOf.get((long) id);
        int x = rows[r].indexOf('*');
        assertEquals(parents[id] < 0 ? -1 : (int) rowOf.get(parents[id]), follow(rows, r, x), "epoch " + id + ", " + where);
      }
    }
  }

  private static boolean isAncestor(long[] parents, long a, long of) {
    for (long e = parents[(int) of]; e >= 0; e = parents[(int) e]) {
      if (e == a) {
        return true;
      }
    }
    return false;
  }

  private static char at(String row, int x) {
    return x >= 0 && x < row.length() ? row.charAt(x) : ' ';
  }

  /** The row of the epoch the line leaving the star at (r, x) reaches, or -1 if it ends. */
  private static int follow(String[] rows, int r, int x) {
    for (int row = r + 1; row < rows.length; row++) {
      String s = rows[row];
      char c = at(s, x);
      if (c == '*') {
        return row;
      } else if (c == '|') {
        continue;
      } else if (at(s, x - 1) == '/') {
        // it goes on in the next row one column left, or further left along '_'
        x -= 2;
        while (at(s, x - 1) == '_') {
          x -= 2;
        }
      } else {
        return -1;
      }
    }
    return -1;
  }
}
