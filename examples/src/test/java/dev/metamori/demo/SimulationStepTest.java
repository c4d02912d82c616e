package dev.metamori.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The demo's simulation step, tested step by step: the class's store holds the initialised
 * simulation (an 8 MiB grid, its state, an empty log) as the baseline, and every test starts from
 * it, whichever tests ran before and in whatever order.
 */
@Metamori
class SimulationStepTest {
  @Tracked static Path sim;
  @Tracked static Checkpointer cp;
  static Demo demo;
  static String initialGrid;

  @BeforeAll
  static void initialise() throws IOException {
    demo = new Demo(sim, cp);
    demo.initialise();
    initialGrid = demo.fingerprint();
  }

  @BeforeEach
  void startsFromTheInitialisedSimulation() throws IOException {
    assertEquals(initialGrid, demo.fingerprint(), "the grid as initialised");
    assertEquals(List.of(), results());
    assertEquals("", Files.readString(sim.resolve("run.log")));
  }

  @Test
  void aStableStepWritesItsResultAndALogLine() throws IOException {
    double peak = demo.step(1, 0.45);

    assertTrue(peak > 20 && peak < 520, "peak " + peak);
    assertEquals(List.of("step-001.csv"), results());
    assertEquals(1, Files.readAllLines(sim.resolve("run.log")).size());
    assertTrue(!initialGrid.equals(demo.fingerprint()), "the step changed the grid");
  }

  @Test
  void theDemosUnstableTimeStepDivergesFromTheInitialGrid() throws IOException {
    double peak = demo.step(5, 0.70);

    assertTrue(!Double.isFinite(peak) || peak > 1e6, "peak " + peak);
  }

  @Test
  void aSecondPulseInTheSameWindowAddsToTheHeatOfTheFirst() throws IOException {
    double first = demo.step(1, 0.45);
    double second = demo.step(6, 0.45); // steps 1 and 6 work on the same window

    assertTrue(second > first, first + " then " + second);
    assertEquals(List.of("step-001.csv", "step-006.csv"), results());
  }

  private static List<String> results() throws IOException {
    try (Stream<Path> files = Files.list(sim.resolve("results"))) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
