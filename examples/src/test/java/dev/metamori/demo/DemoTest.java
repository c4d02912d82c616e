package dev.metamori.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's demo, run as the README's first command runs it, and what it says it did. */
class DemoTest {

  @Test
  void theDemoRollsBackTheBadStepRestartsAndRestoresForward(@TempDir Path tmp) throws Exception {
    Path work = tmp.resolve("demo");
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      Demo.main(new String[] {work.toString()});
    } finally {
      System.setOut(out);
    }
    String printed = captured.toString(StandardCharsets.UTF_8);
    out.print(printed);

    assertTrue(printed.contains("DIVERGED"), "the bad step is found");
    assertTrue(printed.contains("results/step-005.csv gone, run.log back to 4 lines"), printed);
    // the second JVM prints straight to the inherited stdout; its epochs 10 and 11 show here
    assertTrue(printed.contains("starting a new JVM on the same store"), printed);
    assertTrue(printed.contains("10<-9 11<-10"), printed);
    assertTrue(printed.contains("the tree as it was before the store existed (0 files)"), printed);
    assertTrue(printed.contains("restore(11): forward again to the newest epoch"), printed);
    // after restore(11) the tracked tree holds the eleven files the restarted JVM left
    List<String> results;
    try (var files = Files.list(work.resolve("sim/results"))) {
      results = files.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
    }
    assertEquals(10, results.size(), results::toString);
    assertEquals("step-010.csv", results.get(results.size() - 1));
    assertEquals(10, Files.readAllLines(work.resolve("sim/run.log")).size());
  }
}
