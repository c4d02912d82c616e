package dev.metamori.junit;

import java.io.IOException;

/**
 * A store and the baseline its tests start from. A test's own store has the empty directory as
 * its baseline. A test class's store, shared by its tests, has what the class's {@code
 * @BeforeAll} methods left, committed before the first test. A {@code @Nested} class inside such
 * a class shares the store and has a baseline of its own on top of its enclosing class's one,
 * which is restored once the nested class is done.
 */
final class Scope implements AutoCloseable {
  private final TrackedStore store;
  private final Scope enclosing;
  private Long baseline;

  private Scope(TrackedStore store, Scope enclosing) {
    this.store = store;
    this.enclosing = enclosing;
  }

  static Scope open() throws IOException {
    return new Scope(TrackedStore.open(), null);
  }

  /** The scope of a nested class: the same store, a baseline of its own. */
  Scope nested() throws IOException {
    baseline();
    return new Scope(store, this);
  }

  TrackedStore store() {
    return store;
  }

  /**
   * The baseline, committed now if no test has run yet.
   *
   * @throws IllegalStateException if an earlier test destroyed it
   */
  long baseline() throws IOException {
    store.checkUsable();
    if (baseline == null) {
      baseline = store.commit();
    }
    return baseline;
  }

  /** After a test (its {@code @AfterEach} methods included): back to the baseline. */
  void restoreAfter(String test) throws IOException {
    store.restore(baseline(), test);
  }

  /**
   * After the test or the class: a nested class puts the store back to its enclosing class's
   * baseline, a test or the outermost class closes and deletes the store.
   */
  @Override
  public void close() throws IOException {
    if (enclosing == null) {
      store.close();
    } else {
      store.restore(enclosing.baseline(), "a @BeforeAll or @AfterAll method");
    }
  }
}
