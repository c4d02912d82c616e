package dev.metamori;

/**
 * What a {@link Checkpointer} forces to stable storage, and so what survives which failure.
 * The table in {@code docs/guarantees.md} gives the details and the costs.
 */
public enum Durability {
  /**
   * The default. Any death of the process (SIGKILL, JVM crash, {@code System.exit}) recovers
   * exactly to the last committed epoch: every undo record is written to the journal file
   * before the data it protects, though not forced. {@link Checkpointer#commit()} forces the
   * journal, the changed files and their directories before it returns, so committed epochs
   * also survive an OS crash or power loss; uncommitted work may not be recoverable then.
   */
  PROCESS,

  /**
   * As {@link #PROCESS}, and an OS crash or power loss also recovers exactly to the last
   * committed epoch: every undo record is forced to stable storage before the data it protects
   * is written. Concurrent writers share forces (group commit); a single writer pays one
   * {@code fdatasync} per first change of a block in an epoch.
   */
  SYSTEM,

  /**
   * Nothing is forced, not even by {@link Checkpointer#commit()}. A process death still
   * recovers exactly (the operating system keeps what was written), but an OS crash or power
   * loss can lose committed epochs and leave the tracked files in a state no epoch had. For
   * simulations and tests that need rollback only within the life of the machine.
   */
  NONE
}
