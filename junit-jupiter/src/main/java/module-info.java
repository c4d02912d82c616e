/**
 * The Metamori extension for JUnit Jupiter: a tracked directory with its {@code Checkpointer}
 * and {@code FileSystem} for a test, restored to the same baseline after every test. The module
 * exports {@code dev.metamori.junit} alone.
 */
module dev.metamori.junit {
  requires transitive dev.metamori;
  requires transitive org.junit.jupiter.api;

  exports dev.metamori.junit;
}
