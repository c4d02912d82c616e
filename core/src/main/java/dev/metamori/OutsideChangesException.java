package dev.metamori;

import java.util.List;

/**
 * A restore was refused because tracked entries were changed behind the checkpointer's back:
 * undoing epochs over them would destroy those changes without a word, or mix them into the
 * restored state. Nothing was changed: the trees and the current epoch are as they were.
 * {@link #changes()} lists what was found.
 */
public final class OutsideChangesException extends CheckpointException {
  private static final long serialVersionUID = 1L;
  private static final int LISTED = 20;

  private final transient List<OutsideChange> changes;

  /**
   * Creates the exception for a restore to {@code epoch} refused because of {@code changes}.
   *
   * @param epoch the epoch the restore was asked for
   * @param changes the outside changes found
   */
  public OutsideChangesException(long epoch, List<OutsideChange> changes) {
    super(message(epoch, changes));
    this.changes = List.copyOf(changes);
  }

  private static String message(long epoch, List<OutsideChange> changes) {
    StringBuilder s =
        new StringBuilder("restore to epoch ")
            .append(epoch)
            .append(" refused: ")
            .append(changes.size())
            .append(changes.size() == 1 ? " tracked entry was" : " tracked entries were")
            .append(" changed outside the checkpointer (");
    for (int i = 0; i < Math.min(LISTED, changes.size()); i++) {
      s.append(i == 0 ? "" : ", ").append(changes.get(i));
    }
    if (changes.size() > LISTED) {
      s.append(", and ").append(changes.size() - LISTED).append(" more");
    }
    return s.append("). Nothing was changed. To keep those changes, restore with")
        .append(" RestoreOption.ADOPT_OUTSIDE_CHANGES (or commit them first with adoptOutsideChanges());")
        .append(" to restore over them, losing them, use RestoreOption.OVERWRITE_OUTSIDE_CHANGES;")
        .append(" `metamori status` lists them.")
        .toString();
  }

  /**
   * The outside changes found, in path order.
   *
   * @return the outside changes
   */
  public List<OutsideChange> changes() {
    return changes;
  }
}
