package dev.metamori.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.metamori.junit.examples.PerClassExample;
import dev.metamori.junit.examples.PerTestExample;
import dev.metamori.junit.examples.Seen;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

class MetamoriExtensionTest {
  private static final Map<String, String> SEEDED =
      Map.of("seed.txt", "v1", "sub", "/", "sub/inner.txt", "inner");

  @BeforeEach
  void clear() {
    Seen.clear();
  }

  static EngineExecutionResults run(Class<?> example) {
    return EngineTestKit.engine("junit-jupiter").selectors(selectClass(example)).execute();
  }

  /** The message of every failure among the tests and containers, in order. */
  static List<String> failures(EngineExecutionResults results) {
    return results.allEvents().failed().stream()
        .map(Event::getPayload)
        .map(p -> p.orElseThrow().toString())
        .toList();
  }

  static void assertStoresDeleted() {
    assertFalse(Seen.homes().isEmpty(), "no store was seen");
    for (Path home : Seen.homes()) {
      assertFalse(Files.exists(home), home + " is left");
    }
  }

  @Test
  void aTestGetsAnEmptyTrackedDirectoryOfItsOwnByFieldAndParameter() {
    EngineExecutionResults results = run(PerTestExample.class);

    results.testEvents().assertStatistics(s -> s.started(2).succeeded(2));
    assertEquals(true, Seen.get("1.fields and parameters agree"));
    assertEquals(true, Seen.get("1.dir is of the journaling file system"));
    assertEquals(Map.of(), Seen.get("1.at start"));
    assertEquals(
        Map.of("a.txt", "one", "sub", "/", "sub/deeper", "/"),
        Seen.get("1.after the test's own restore"));
    assertEquals(Map.of(), Seen.get("2.at start"));
    assertEquals(2, Seen.homes().stream().distinct().count(), "one store per test");
    assertStoresDeleted();
  }

  @Test
  void everyTestOfAClassStartsFromWhatBeforeAllWrote() {
    EngineExecutionResults results = run(PerClassExample.class);

    results.testEvents().assertStatistics(s -> s.started(5).succeeded(4).failed(1));
    assertEquals(List.of("this test fails on purpose"), failureMessages(results));
    for (int test = 1; test <= 5; test++) {
      assertEquals(SEEDED, Seen.get(test + ".at start"), "test " + test);
    }
    assertEquals(1, Seen.homes().size());
    assertStoresDeleted();
  }

  static List<String> failureMessages(EngineExecutionResults results) {
    return results.allEvents().failed().stream()
        .map(e -> e.getPayload(org.junit.platform.engine.TestExecutionResult.class).orElseThrow())
        .map(r -> r.getThrowable().orElseThrow().getMessage())
        .toList();
  }
}
