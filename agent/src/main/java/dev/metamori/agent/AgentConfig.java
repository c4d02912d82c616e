package dev.metamori.agent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The agent's settings: each from a system property, else from an environment variable (the
 * property wins), read before anything touches the file system.
 *
 * @param store the store directory ({@code metamori.store}, {@code METAMORI_STORE})
 * @param roots the tracked roots ({@code metamori.track}, {@code METAMORI_TRACK}; separated
 *     by commas or the platform's path separator)
 * @param commitEvery how often to commit on its own, or null for never ({@code
 *     metamori.commitEvery}, {@code METAMORI_COMMIT_EVERY}: {@code 30s}, {@code 500ms},
 *     {@code 5m}, {@code 1h} or ISO-8601 such as {@code PT30S})
 * @param exclusions globs of paths under the roots that are not tracked ({@code
 *     metamori.exclude}, {@code METAMORI_EXCLUDE}; separated by commas; see {@code
 *     Checkpointer.Builder.exclude})
 */
record AgentConfig(String store, List<String> roots, Duration commitEvery, List<String> exclusions) {
  static AgentConfig read(Function<String, String> properties, Function<String, String> environment) {
    String store = setting("metamori.store", "METAMORI_STORE", properties, environment);
    String track = setting("metamori.track", "METAMORI_TRACK", properties, environment);
    String every = setting("metamori.commitEvery", "METAMORI_COMMIT_EVERY", properties, environment);
    String exclude = setting("metamori.exclude", "METAMORI_EXCLUDE", properties, environment);
    if (store == null || store.isBlank()) {
      throw new IllegalArgumentException(
          "no store directory: set -Dmetamori.store=DIR (or the environment variable METAMORI_STORE)");
    }
    List<String> roots = new ArrayList<>();
    if (track != null) {
      for (String r : track.split("[," + java.io.File.pathSeparator + "]")) {
        if (!r.isBlank()) {
          roots.add(r.trim());
        }
      }
    }
    if (roots.isEmpty()) {
      throw new IllegalArgumentException(
          "no tracked root: set -Dmetamori.track=DIR[,DIR...] (or the environment variable METAMORI_TRACK)");
    }
    List<String> exclusions = new ArrayList<>();
    if (exclude != null) {
      for (String g : exclude.split(",")) {
        if (!g.isBlank()) {
          exclusions.add(g.trim());
        }
      }
    }
    return new AgentConfig(
        store.trim(), List.copyOf(roots), every == null ? null : duration(every), List.copyOf(exclusions));
  }

  private static String setting(
      String property, String variable, Function<String, String> properties, Function<String, String> environment) {
    String value = properties.apply(property);
    return value != null ? value : environment.apply(variable);
  }

  /** Parses {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h}, {@code 2d} or ISO-8601. */
  static Duration duration(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    try {
      if (s.startsWith("p")) {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } else if (s.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      } else {
        long n = Long.parseLong(s.substring(0, s.length() - 1));
        switch (s.charAt(s.length() - 1)) {
          case 's': d = Duration.ofSeconds(n); break;
          case 'm': d = Duration.ofMinutes(n); break;
          case 'h': d = Duration.ofHours(n); break;
          case 'd': d = Duration.ofDays(n); break;
          default: throw new NumberFormatException();
        }
      }
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "metamori.commitEvery \"" + text + "\" is not a duration: use e.g. 30s, 500ms, 5m, 1h or PT30S");
    }
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("metamori.commitEvery must be positive, not " + text);
    }
    return d;
  }
}
