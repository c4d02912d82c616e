package dev.metamori.group.internal;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds of this module's randomised tests, by the convention of the core's tests: a fixed
 * default seed per test; {@code -Dmetamori.seed=N} replays seed N; {@code
 * -Dmetamori.seed=random} draws a fresh one. A failure names the seed and the command that
 * replays it.
 */
final class TestSeeds {
  static final String PROPERTY = "metamori.seed";

  private TestSeeds() {}

  static long seed(long fixed) {
    String s = System.getProperty(PROPERTY);
    if (s == null || s.isBlank() || s.trim().equalsIgnoreCase("fixed")) {
      return fixed;
    }
    if (s.trim().equalsIgnoreCase("random")) {
      return ThreadLocalRandom.current().nextLong();
    }
    try {
      return Long.decode(s.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("-D" + PROPERTY + " must be a long, \"random\" or \"fixed\", not \"" + s + "\"", e);
    }
  }

  /** Seed of trial {@code i} of a run from {@code seed}, the same however many trials run. */
  static long trialSeed(long seed, long i) {
    return new SplittableRandom(seed + i * 0x9E3779B97F4A7C15L).nextLong();
  }

  static String replay(String testClass, long seed, String... settings) {
    StringBuilder b = new StringBuilder("mvn -pl group test -Dtest='").append(testClass).append("' -D")
        .append(PROPERTY).append('=').append(seed);
    for (String s : settings) {
      b.append(" -D").append(s);
    }
    return b.toString();
  }

  interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}; a failure becomes an AssertionError that begins with the seed and the replay command. */
  static void run(String test, long seed, Body body, String... settings) {
    String testClass = test.contains(".") ? test.substring(0, test.indexOf('.')) : test;
    System.out.println(test + ": seed " + seed + (settings.length == 0 ? "" : ", " + String.join(", ", settings)));
    try {
      body.run();
    } catch (Throwable e) {
      String head = test + " failed with seed " + seed + "; replay: " + replay(testClass, seed, settings);
      System.out.println(head);
      throw new AssertionError(head + "\n" + e, e);
    }
  }
}
