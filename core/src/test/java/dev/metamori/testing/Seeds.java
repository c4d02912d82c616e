package dev.metamori.testing;

import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import org.quicktheories.QuickTheory;

/**
 * Seeds of the property and corruption tests, so that a default run is the same every time and
 * any failure can be replayed.
 *
 * <p>Every randomised test has its own fixed default seed and a fixed number of trials. The
 * system property {@code metamori.seed} overrides the seed of all of them:
 *
 * <ul>
 *   <li>unset (or {@code fixed}): each test's own constant seed;
 *   <li>a number, e.g. {@code -Dmetamori.seed=-4008309207830003289}: that seed for every
 *       test, which replays the failure that printed it;
 *   <li>{@code random}: a fresh seed for each test, drawn when it starts and printed.
 * </ul>
 *
 * <p>{@code -DQT_SEED=<seed>}, QuickTheories' own property, is honoured when {@code
 * metamori.seed} is unset. A failing test throws an AssertionError whose first line names the
 * test, the seed, and the command line that replays it, e.g. {@code replay: mvn -pl core test
 * -Dtest='FileSystemProperties' -Dmetamori.seed=42 -Dmetamori.examples=150}. The {@code explore}
 * Maven profile ({@code mvn -Pexplore -pl core test -Dtest='*Properties'}) sets {@code
 * metamori.seed=random} and longer runs.
 */
public final class Seeds {
  /** The system property that sets the seed of every randomised test. */
  public static final String PROPERTY = "metamori.seed";

  /** QuickTheories' seed property, honoured when {@link #PROPERTY} is unset. */
  public static final String QT_PROPERTY = "QT_SEED";

  private Seeds() {}

  /** Whether seeds are fresh ({@code -Dmetamori.seed=random}, as the explore profile sets). */
  public static boolean exploring() {
    return "random".equalsIgnoreCase(setting());
  }

  /**
   * The seed of a test whose own default is {@code fixed}: the number {@code metamori.seed} (or
   * {@code QT_SEED}) gives, a fresh one if it says {@code random}, else {@code fixed}.
   */
  public static long seed(long fixed) {
    String s = setting();
    if (s == null || s.equalsIgnoreCase("fixed")) {
      return fixed;
    }
    if (s.equalsIgnoreCase("random")) {
      return ThreadLocalRandom.current().nextLong();
    }
    try {
      return Long.decode(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "-D" + PROPERTY + " must be a long, \"random\" or \"fixed\", not \"" + s + "\"", e);
    }
  }

  private static String setting() {
    String s = System.getProperty(PROPERTY);
    if (s == null || s.isBlank()) {
      s = System.getProperty(QT_PROPERTY);
    }
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** QuickTheories with the given seed (and its other settings as {@code qt()} gives them). */
  public static QuickTheory qt(long seed) {
    return QuickTheory.qt().withFixedSeed(seed);
  }

  /**
   * The seed {@code i} of a sequence of trials started from {@code seed}: independent of how
   * many trials run, so trial {@code i} is the same in a short and a long run.
   */
  public static long trialSeed(long seed, long i) {
    return new SplittableRandom(seed + i * 0x9E3779B97F4A7C15L).nextLong();
  }

  /**
   * The command line that replays a run of test class {@code testClass} with {@code seed};
   * {@code settings} ({@code name=value}) are the other properties the run depended on.
   */
  public static String replay(String testClass, long seed, String... settings) {
    StringBuilder b =
        new StringBuilder("mvn -pl core test -Dtest='")
            .append(testClass)
            .append("' -D")
            .append(PROPERTY)
            .append('=')
            .append(seed);
    for (String s : settings) {
      b.append(" -D").append(s);
    }
    return b.toString();
  }

  /**
   * Runs a randomised test: prints its seed, and if it fails, throws an AssertionError whose
   * message begins with the test, the seed and the command line that replays it.
   *
   * @param test the class and method, e.g. {@code "DiffTest.diffsOfRandomTrees"}
   * @param seed the seed the body uses (from {@link #seed})
   * @param body the test, e.g. {@code () -> Seeds.qt(seed).forAll(...).checkAssert(...)}
   * @param settings {@code name=value} of the other properties the run depended on (counts)
   */
  public static void run(String test, long seed, Runnable body, String... settings) {
    String testClass = test.contains(".") ? test.substring(0, test.indexOf('.')) : test;
    List<String> all = new ArrayList<>(List.of(settings));
    System.out.println(test + ": seed " + seed + (all.isEmpty() ? "" : ", " + String.join(", ", all)));
    try {
      body.run();
    } catch (AssertionError | RuntimeException e) {
      String head = failed(test, seed, testClass, settings);
      System.out.println(head);
      throw new AssertionError(head + "\n" + e.getMessage(), e);
    }
  }

  /** One trial of a randomised test, driven by a list of seeds (one per step, say). */
  @FunctionalInterface
  public interface Trial {
    void run(List<Long> seeds) throws IOException;
  }

  /**
   * Runs {@code trial} on {@code examples} lists of 1 to {@code maxLength} seeds drawn from
   * {@code seed} (no shrinking: a trial replays from its seeds), reported as {@link #run} does.
   */
  public static void runTrials(String test, long seed, int examples, int maxLength, Trial trial, String... settings) {
    run(
        test,
        seed,
        () ->
            qt(seed)
                .withExamples(examples)
                .withShrinkCycles(0)
                .forAll(lists().of(longs().all()).ofSizeBetween(1, maxLength))
                .checkAssert(
                    seeds -> {
                      try {
                        trial.run(seeds);
                      } catch (IOException e) {
                        throw new UncheckedIOException(e);
                      }
                    }),
        settings);
  }

  /** The first line of the report of a failure of {@code test} with {@code seed}. */
  public static String failed(String test, long seed, String testClass, String... settings) {
    return test + " failed with seed " + seed + "; replay: " + replay(testClass, seed, settings);
  }
}
