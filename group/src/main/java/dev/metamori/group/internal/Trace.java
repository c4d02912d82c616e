package dev.metamori.group.internal;

import java.util.function.Consumer;

/**
 * The steps of rounds as this member goes through them ("open 7", "ready 7 12", "restored 9
 * 4 3"), for the crash tests, which aim their kills at them. Nothing listens by default.
 */
public final class Trace {
  private static volatile Consumer<String> sink;

  private Trace() {}

  /** Sends every step to {@code consumer} (null: to nobody). */
  public static void to(Consumer<String> consumer) {
    sink = consumer;
  }

  static void step(String what) {
    Consumer<String> s = sink;
    if (s != null) {
      s.accept(what);
    }
  }
}
