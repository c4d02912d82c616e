package dev.metamori.group;

/**
 * The group rolled back (or restored) to another global epoch since this member's last step,
 * send, receive or poll: the member's Checkpointer is at its local epoch of that global epoch.
 * Thrown once per rollback; the application re-reads its control state from its checkpointed
 * files, regions and objects and goes on.
 */
public class GroupRolledBackException extends GroupException {
  private static final long serialVersionUID = 1L;

  /** The global epoch the group is now at. */
  private final long globalEpoch;

  /**
   * Creates an exception for a rollback to {@code globalEpoch}.
   *
   * @param globalEpoch the global epoch the group is now at
   */
  public GroupRolledBackException(long globalEpoch) {
    super("the group was rolled back to global epoch " + globalEpoch
        + "; re-read the application's state from its checkpointed files, regions and objects and go on");
    this.globalEpoch = globalEpoch;
  }

  /**
   * The global epoch the group is now at.
   *
   * @return the global epoch's id
   */
  public long globalEpoch() {
    return globalEpoch;
  }
}
