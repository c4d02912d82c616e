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

  /**
   * Before the test {@code id} ({@code name} in messages) that shares this store: the baseline,
   * committed if not yet.
   */
  void begin(String id, String name) throws IOException {
    store.begin(id, name);
    baseline();
  }

  /**
   * After the test {@code id} (its {@code @AfterEach} methods included): back to the baseline,
   * unless the test did not get to {@link #begin}.
   */
  void restoreAfter(String id, String name) throws IOException {
    if (!store.runs(id)) {
      return;
    }
    try {
      store.restore(baseline(), name);
    } finally {
      store.end(id);
    }
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
