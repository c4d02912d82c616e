package dev.metamori.group;

/**
 * Hooks on a member's view of group events, registered with {@link
 * CheckpointGroup#addListener(GroupListener)}. Called on a thread of the member's own, one call
 * at a time, in registration order: for every round decided after the listener was added, in the
 * order of the rounds and once each, even when the member saw several decided at once. A slow
 * listener delays the calls after it, not the group; do not call back into the group from them.
 */
public interface GroupListener {
  /**
   * Global epoch {@code epoch} is committed: every member's state up to its capture is durable
   * and consistent. This is the output commit: effects outside the group (messages to clients,
   * payments, writes to other systems) produced before the capture may be released. Called for
   * every global epoch committed after the listener was added, in the order of their ids, once
   * each; not for those committed while the member is fenced.
   *
   * @param epoch the global epoch committed
   */
  default void onGlobalCommit(GlobalEpoch epoch) {}

  /**
   * The group rolled back (or restored) to {@code epoch}: this member's Checkpointer is at its
   * local epoch of it, and the application's next step, send, receive or poll throws {@link
   * GroupRolledBackException}.
   *
   * @param epoch the global epoch the group is now at
   */
  default void onGroupRollback(GlobalEpoch epoch) {}

  /**
   * This member lost its ZooKeeper session: the group may decide without it, so until it has
   * rejoined (which the group does by itself once ZooKeeper is reachable, rolling the group back
   * to its current global epoch) it may not release outputs and its channels carry nothing.
   */
  default void onFenced() {}
}
