package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Epoch;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
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
}
