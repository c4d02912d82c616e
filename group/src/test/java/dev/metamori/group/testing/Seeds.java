package dev.metamori.group.testing;

import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Seeds of the group's randomised tests, as the core's tests have them: each test has its own
 * fixed default seed; {@code -Dmetamori.seed=<n>} replays one, {@code -Dmetamori.seed=random}
 * draws fresh ones. A failure names the test, the seed and the command that replays it.
 */
public final class Seeds {
  public static final String PROPERTY = "metamori.seed";

  private Seeds() {}

  /** The seed of a test whose default is {@code fixed}. */
  public static long seed(long fixed) {
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

  /** Seed {@code i} of the trials started from {@code seed}, the same in short and long runs. */
  public static long trialSeed(long seed, long i) {
    return new SplittableRandom(seed + i * 0x9E3779B97F4A7C15L).nextLong();
  }

  /** The command that replays {@code testClass} with {@code seed}. */
  public static String replay(String testClass, long seed, String... settings) {
    StringBuilder b = new StringBuilder("mvn -pl core,group test -Dsurefire.failIfNoSpecifiedTests=false -Dtest='")
        .append(testClass).append("' -D").append(PROPERTY).append('=').append(seed);
    for (String s : settings) {
      b.append(" -D").append(s);
    }
    return b.toString();
  }

  /** A test body that may throw. */
  public interface Body {
    void run() throws Exception;
  }

  /** Runs {@code body}, printing the seed, and on failure throws an error that says how to replay it. */
  public static void run(String test, long seed, Body body, String... settings) {
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
