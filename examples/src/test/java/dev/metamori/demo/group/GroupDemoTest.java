package dev.metamori.demo.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's group demo, end to end: three member JVMs on an embedded ZooKeeper, member b
 * killed with SIGKILL after its step 14 (the global epoch of step 12 committed, that of step 16
 * not yet) and restarted.
 */
class GroupDemoTest {

  @Test
  void theGroupRollsBackToTheNewestGlobalEpochWhenAMemberIsKilledAndFinishesWithTheResultsOfARunWithoutTheKill(
      @TempDir Path tmp) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    GroupDemo.Outcome outcome;
    try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
      outcome = GroupDemo.run(tmp.resolve("group-demo"), out);
    } finally {
      System.out.print(captured.toString(StandardCharsets.UTF_8));
    }
    String printed = captured.toString(StandardCharsets.UTF_8);

    // A global epoch is a consistent cut, not a common step: a commits between its steps, after
    // step 12; b cannot have finished step 13 then (it needs a's value of step 12, sent after
    // the commit), nor c step 14 (it needs b's value of step 13).
    // The restarted b came back at the newest global epoch from its own store, although it had
    // done 14 steps before it was killed.
    assertTrue(outcome.lastCommitted() > 0, printed);
    assertEquals(outcome.lastCommitted(), outcome.rejoinedAt(), printed);
    long[] joined = GroupDemo.numbers(outcome.lines().stream()
        .filter(l -> l.startsWith("b joined ")).reduce((first, second) -> second).orElseThrow());
    assertTrue(joined[1] <= 12, "b's step when it rejoined\n" + printed);
    // a and c were rolled back to it too, a from step 13 at least (b's step 14 needed a's value of step 13)
    long[] a = GroupDemo.numbers(outcome.rolledBack().get("a")); // global epoch, from step, to step, ...
    long[] c = GroupDemo.numbers(outcome.rolledBack().get("c"));
    assertEquals(outcome.lastCommitted(), a[0], printed);
    assertEquals(outcome.lastCommitted(), c[0], printed);
    assertEquals(12, a[2], printed);
    assertTrue(a[1] >= 13, "a undid at least one step\n" + printed);
    assertTrue(c[2] <= 13 && c[2] <= c[1], printed);
    // and every member's results are those of a run without the kill: nothing lost, duplicated
    // or orphaned, no line of an undone step left in a file
    for (String id : Ring.MEMBERS) {
      assertEquals(outcome.expected().get(id), outcome.results().get(id), id + "'s results.csv\n" + printed);
    }
    assertEquals(GroupDemo.STEPS, outcome.results().get("b").lines().count());
    assertTrue(outcome.lines().stream().anyMatch(l -> l.startsWith("a global epoch ") && l.contains("'final'")), printed);
    assertTrue(outcome.resultsMatch(), printed);
    assertTrue(printed.contains("OK: the group rolled back to global epoch " + outcome.lastCommitted()), printed);
  }
}
