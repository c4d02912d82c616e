package dev.metamori.group;

/**
 * One step of the application, between two safe points: while any step of this member is
 * open, no capture or restore of the member runs (they wait for it to close), except while the
 * application is blocked in a {@link GroupChannel#receive()} or {@link GroupChannel#poll}, which
 * is a safe point too. Keep steps short: a long step delays every global commit and rollback.
 *
 * <pre>{@code
 * while (running) {
 *   try (GroupStep step = group.step()) {
 *     work(); // read and write checkpointed files, regions and objects; send and receive
 *   } catch (GroupRolledBackException e) {
 *     reloadControlState(); // the Checkpointer is at this member's local epoch of e.globalEpoch()
 *   }
 * }
 * }</pre>
 */
public interface GroupStep extends AutoCloseable {
  /** Ends the step: a capture or restore waiting for it may run. Idempotent. */
  @Override
  void close();
}
