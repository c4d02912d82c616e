package dev.metamori.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Delta debugging for model-based property tests whose runs are lists of operations that stay
 * valid when any of them is removed: a failing run is shortened by dropping ever smaller
 * chunks while it still fails, and reported with the failure of the shortest run found.
 * QuickTheories' own shrinking re-runs whole sequences and shortens them poorly.
 */
public final class Minimiser {
  private Minimiser() {}

  /**
   * Runs {@code ops} through {@code attempt} (which returns the failure, or null if the run
   * passed); if it fails, minimises it with at most {@code maxRuns} more runs and throws an
   * AssertionError naming the shortest failing run, its failure and the original failure.
   */
  public static <T> void runAndMinimise(List<T> ops, Function<List<T>, AssertionError> attempt, int maxRuns) {
    AssertionError failure = attempt.apply(ops);
    if (failure == null) {
      return;
    }
    List<T> current = new ArrayList<>(ops);
    AssertionError last = failure;
    int runs = 0;
    for (int chunk = Math.max(1, current.size() / 2); chunk >= 1 && runs < maxRuns; chunk /= 2) {
      int i = 0;
      while (i < current.size() && runs < maxRuns) {
        List<T> candidate = new ArrayList<>(current.subList(0, i));
        candidate.addAll(current.subList(Math.min(current.size(), i + chunk), current.size()));
        runs++;
        AssertionError f = candidate.isEmpty() ? null : attempt.apply(candidate);
        if (f != null) {
          current = candidate;
          last = f;
        } else {
          i += chunk;
        }
      }
    }
    throw new AssertionError(
        "a run of " + ops.size() + " operations failed; minimised (" + runs + " runs) to " + current.size()
            + ":\n  " + current + "\nits failure:\n" + last.getMessage()
            + "\nthe original failure:\n" + failure.getMessage(),
        last);
  }
}
