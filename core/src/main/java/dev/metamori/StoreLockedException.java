package dev.metamori;

import java.nio.file.Path;

/** The store is open in another {@link Checkpointer}, in this process or another one. */
public final class StoreLockedException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception for the locked {@code store}; {@code holder} says who holds it.
   *
   * @param store the store directory
   * @param holder who holds the store, such as a process id
   */
  public StoreLockedException(Path store, String holder) {
    super(
        "store "
            + store
            + " is locked by "
            + holder
            + ": only one Checkpointer may have a store open at a time. Close the other one,"
            + " or wait for that process to exit");
  }
}
