package dev.metamori.demo.group;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The group demo's computation: members a, b and c in a ring (a to b to c to a). In step
 * {@code s} every member sends its value to the next member, receives the previous member's
 * value {@code u}, and moves to {@code next(value, u, s)}; it appends {@code "s,u,value"} to its
 * results file. Every member's results depend on every other's, so a lost, duplicated or
 * orphan message, or a member at the wrong epoch, changes them.
 */
final class Ring {
  static final List<String> MEMBERS = List.of("a", "b", "c");
  private static final long MODULUS = 1_000_003;

  private Ring() {}

  static String next(String member) {
    return MEMBERS.get((MEMBERS.indexOf(member) + 1) % MEMBERS.size());
  }

  static String previous(String member) {
    return MEMBERS.get((MEMBERS.indexOf(member) + MEMBERS.size() - 1) % MEMBERS.size());
  }

  static long initial(String member) {
    return MEMBERS.indexOf(member) + 1;
  }

  static long next(long value, long received, int step) {
    return (value * 31 + received * 7 + step) % MODULUS;
  }

  static String line(int step, long received, long value) {
    return String.format(Locale.ROOT, "%d,%d,%d%n", step, received, value);
  }

  /** Each member's results file after {@code steps} steps of a run in which nothing fails. */
  static Map<String, String> expected(int steps) {
    Map<String, Long> values = new TreeMap<>();
    Map<String, StringBuilder> files = new TreeMap<>();
    for (String m : MEMBERS) {
      values.put(m, initial(m));
      files.put(m, new StringBuilder());
    }
    for (int s = 1; s <= steps; s++) {
      Map<String, Long> sent = new TreeMap<>(values);
      for (String m : MEMBERS) {
        long u = sent.get(previous(m));
        long v = next(sent.get(m), u, s);
        values.put(m, v);
        files.get(m).append(line(s, u, v));
      }
    }
    Map<String, String> result = new TreeMap<>();
    files.forEach((m, text) -> result.put(m, text.toString()));
    return result;
  }

  /** The last value in a results file, or the member's initial value if it is empty. */
  static long lastValue(String member, String results) {
    List<String> lines = results.lines().toList();
    if (lines.isEmpty()) {
      return initial(member);
    }
    String last = lines.get(lines.size() - 1);
    return Long.parseLong(last.substring(last.lastIndexOf(',') + 1));
  }
}
