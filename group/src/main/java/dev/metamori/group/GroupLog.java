package dev.metamori.group;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A group as a tool outside it sees it, read from ZooKeeper by {@link CheckpointGroup#log}
 * without joining.
 *
 * @param group the group's name
 * @param current the global epoch the group is at (the last committed, or the last restored
 *     to), 0 before the first
 * @param pending whether the group owes a rollback to {@code current}: a member rejoined, or a
 *     restore is under way; it runs once the whole roster is connected
 * @param connected the members connected now, sorted
 * @param epochs every global epoch, oldest first, with each member's local epoch
 */
public record GroupLog(String group, long current, boolean pending, Set<String> connected, List<GlobalEpoch> epochs) {
  /**
   * Copies the members and epochs.
   *
   * @param group the group's name
   * @param current the global epoch the group is at, or 0
   * @param pending whether the group owes a rollback to {@code current}
   * @param connected the members connected now
   * @param epochs every global epoch, oldest first
   */
  public GroupLog {
    connected = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(connected));
    epochs = List.copyOf(epochs);
  }

  /**
   * Global epoch {@code id}, or null if the group has none with that id.
   *
   * @param id the global epoch's id
   * @return the global epoch, or null
   */
  public GlobalEpoch epoch(long id) {
    for (GlobalEpoch e : epochs) {
      if (e.id() == id) {
        return e;
      }
    }
    return null;
  }
}
