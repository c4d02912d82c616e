package dev.metamori.group;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A global checkpoint of a group: one local epoch per member, forming a consistent cut.
 *
 * @param id the global epoch's id: the number of the round that committed it; ids grow with
 *     every round, so they have gaps where rounds aborted or rolled back
 * @param parent the global epoch the group was at when this one was committed, or {@code 0}
 *     for the first; following parents gives the tree of global epochs (a commit after a
 *     restore to an older global epoch starts a branch)
 * @param label the label given to {@link CheckpointGroup#commit(String)}, or null
 * @param localEpochs each member's local epoch (an id of its own {@link
 *     dev.metamori.Checkpointer}), by member id, sorted
 */
public record GlobalEpoch(long id, long parent, String label, Map<String, Long> localEpochs) {
  /**
   * Checks the id and copies the map.
   *
   * @param id the global epoch's id, positive
   * @param parent the parent global epoch, or {@code 0}
   * @param label the label, or null
   * @param localEpochs each member's local epoch, by member id
   */
  public GlobalEpoch {
    if (id <= 0) {
      throw new IllegalArgumentException("global epoch ids are positive, was " + id);
    }
    localEpochs = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(Objects.requireNonNull(localEpochs)));
  }

  /**
   * {@code member}'s local epoch in this global epoch.
   *
   * @param member a member's id
   * @return the member's local epoch
   * @throws IllegalArgumentException if {@code member} is not in the group's roster
   */
  public long localEpoch(String member) {
    Long e = localEpochs.get(member);
    if (e == null) {
      throw new IllegalArgumentException(
          "member '" + member + "' is not in global epoch " + id + ", whose members are " + localEpochs.keySet());
    }
    return e;
  }
}
