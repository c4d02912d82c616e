package dev.metamori;

/**
 * Hooks around commits and rollbacks, in the spirit of OpenJDK CRaC's {@code Resource}: quiesce
 * threads before the epoch is captured and let them go on once it is, rebuild derived state
 * (caches, indexes, open files) after a rollback. Registered with {@link
 * Checkpointer#addListener(CheckpointListener)}; every {@link Checkpointable} is one too.
 * Listeners are called in registration order, on the thread that commits or rolls back.
 */
public interface CheckpointListener {

  /**
   * Called before a commit captures the epoch. An exception cancels the commit (nothing is
   * captured) and reaches its caller.
   *
   * @throws Exception to cancel the commit
   */
  default void beforeCheckpoint() throws Exception {}

  /**
   * Called once the epoch is captured: files, regions and objects as they are now belong to
   * epoch {@code epoch}, which becomes durable when the commit completes. Writers may go on.
   *
   * @param epoch the captured epoch's id
   */
  default void afterCheckpoint(long epoch) {}

  /**
   * Called before a rollback changes anything.
   *
   * @param epoch the epoch about to be restored
   */
  default void beforeRestore(long epoch) {}

  /**
   * Called after files, regions and objects were restored to {@code epoch}, by a rollback (not
   * when a new process opens the store: objects restore themselves on registration).
   *
   * @param epoch the epoch restored
   */
  default void afterRestore(long epoch) {}
}
