package dev.metamori.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.metamori.junit.examples.BeforeAllParameterExample;
import dev.metamori.junit.examples.ConcurrentExample;
import dev.metamori.junit.examples.MisuseExample;
import dev.metamori.junit.examples.NestedExample;
import dev.metamori.junit.examples.OutsideChangeExample;
import dev.metamori.junit.examples.PerClassExample;
import dev.metamori.junit.examples.PerClassInstanceExample;
import dev.metamori.junit.examples.PerTestExample;
import dev.metamori.junit.examples.Seen;
import dev.metamori.junit.examples.StateExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Runs the example test classes of {@code dev.metamori.junit.examples} through the JUnit
 * Platform's test kit, and checks what they saw at the start of each test, how each test ended,
 * and that no store is left behind.
 */
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

  /** A @BeforeAll parameter, and an instance field under PER_CLASS, ask for the class store. */
  @ParameterizedTest
  @ValueSource(classes = {BeforeAllParameterExample.class, PerClassInstanceExample.class})
  void askingAtClassLevelGivesOneStoreForTheClass(Class<?> example) {
    EngineExecutionResults results = run(example);

    results.testEvents().assertStatistics(s -> s.started(2).succeeded(2));
    assertEquals(Map.of("seed.txt", "v1"), Seen.get("1.at start"));
    assertEquals(Map.of("seed.txt", "v1"), Seen.get("2.at start"));
    assertEquals(1, Seen.homes().stream().distinct().count(), "one store for the class");
    assertStoresDeleted();
  }

  @Test
  void aChangeBehindTheCheckpointersBackFailsTheTest() {
    EngineExecutionResults results = run(OutsideChangeExample.class);

    List<String> messages = failureMessages(results);
    results.testEvents().assertStatistics(s -> s.started(4).succeeded(1).failed(3));
    String created = messages.get(0);
    assertTrue(
        created.startsWith("test createsBehindTheCheckpointersBack() changed the tracked directory"),
        created);
    assertTrue(created.contains("made") && created.contains("other.txt"), created);
    assertTrue(created.contains("bypass the journal"), created);
    assertTrue(created.endsWith("The entries created that way were deleted."), created);
    assertEquals(Map.of("seed.txt", "v1"), Seen.get("2.at start"), "created entries are gone");

    String changed = messages.get(1);
    assertTrue(changed.contains("seed.txt"), changed);
    assertTrue(changed.endsWith("cannot go back to its baseline."), changed);
    assertEquals("the tracked directory lost its baseline: " + changed, messages.get(2));
    assertFalse(Seen.has("4.ran"), "a test that cannot start from the baseline does not run");
    assertStoresDeleted();
  }

  @Test
  void regionsAndObjectsGoBackToTheBaselineToo() {
    EngineExecutionResults results = run(StateExample.class);

    results.testEvents().assertStatistics(s -> s.started(2).succeeded(2));
    assertEquals("42 baseline", Seen.get("1.at start"));
    assertEquals("42 0 baseline", Seen.get("2.at start"));
    assertStoresDeleted();
  }

  @Test
  void aNestedClassAddsToTheBaselineAndTakesItsAdditionsAwayWhenDone() {
    EngineExecutionResults results = run(NestedExample.class);

    results.testEvents().assertStatistics(s -> s.started(3).succeeded(3));
    assertEquals(Map.of("outer.txt", "outer"), Seen.get("outer.at start"));
    Map<String, String> inner = Map.of("outer.txt", "outer", "inner.txt", "inner");
    assertEquals(inner, Seen.get("inner.1.at start"));
    assertEquals(inner, Seen.get("inner.2.at start"));
    assertEquals(Map.of("outer.txt", "outer"), Seen.get("outer.after all"));
    assertStoresDeleted();
  }

  @Test
  void misuseFailsWithAMessageThatSaysWhatToDo() {
    EngineExecutionResults results = run(MisuseExample.class);

    results.testEvents().assertStatistics(s -> s.started(2).failed(2));
    List<String> messages = failureMessages(results);
    assertTrue(
        messages.get(0).contains("has type java.lang.String; @Tracked gives a java.nio.file.Path"),
        messages.get(0));
    assertTrue(messages.get(1).contains("was closed by the test"), messages.get(1));
    assertStoresDeleted();
  }

  @Test
  void twoTestsOfAClassStoreAtTheSameTimeAreRefused() {
    EngineExecutionResults results =
        EngineTestKit.engine("junit-jupiter")
            .configurationParameter("junit.jupiter.execution.parallel.enabled", "true")
            .configurationParameter("junit.jupiter.execution.parallel.mode.default", "concurrent")
            .configurationParameter("junit.jupiter.execution.parallel.config.strategy", "fixed")
            .configurationParameter("junit.jupiter.execution.parallel.config.fixed.parallelism", "2")
            .selectors(selectClass(ConcurrentExample.class))
            .execute();

    results.testEvents().assertStatistics(s -> s.started(2).succeeded(1).failed(1));
    assertEquals(true, Seen.get("other failed meanwhile"));
    String message = failureMessages(results).get(0);
    assertTrue(message.contains("ran at the same time on the store of their class"), message);
    assertTrue(message.contains("@Execution(ExecutionMode.SAME_THREAD)"), message);
  }

  /** The message of every failure among the tests and containers, in order. */
  static List<String> failureMessages(EngineExecutionResults results) {
    return results.allEvents().failed().stream()
        .map(e -> e.getPayload(TestExecutionResult.class).orElseThrow())
        .map(r -> r.getThrowable().orElseThrow().getMessage())
        .toList();
  }
}
