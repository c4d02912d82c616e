package dev.metamori;

/**
 * What {@link Checkpointer#restore(long, RestoreOption)} does about changes made to the tracked
 * trees behind the checkpointer's back ({@link Checkpointer#status()}), which a plain {@link
 * Checkpointer#restore(long)} refuses.
 */
public enum RestoreOption {
  /**
   * Restore over them: they are lost. The entries they touched are restored as nearly as the
   * journal allows (it never held what the outside change destroyed), entries created outside
   * stay where they are; the restore returns them all, as not exact.
   */
  OVERWRITE_OUTSIDE_CHANGES,

  /**
   * First commit them into a new epoch ({@link Checkpointer#adoptOutsideChanges()}), then
   * restore: nothing is lost, and a restore back to that epoch brings them back exactly.
   */
  ADOPT_OUTSIDE_CHANGES
}
