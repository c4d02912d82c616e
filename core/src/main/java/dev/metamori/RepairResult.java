package dev.metamori;

import java.util.List;

/**
 * What {@link Checkpointer#repair(java.nio.file.Path)} found and did: the state {@code
 * index.mv} was in, and what the index rebuilt from the segments and the catalogue holds.
 *
 * @param index what {@code index.mv} was before the repair
 * @param problem why it could not be used as it was, or null if it was sound
 * @param catalogueProblem why the catalogue had to be rewritten from the index first (it lacked
 *     the index's last event, or was missing or damaged), or null if it was sound
 * @param segments segments read (those of committed epochs)
 * @param records records read in them
 * @param epochs epochs in the rebuilt index, pruned ones that restores still pass through included
 * @param listedEpochs epochs {@link Checkpointer#epochs()} lists
 * @param labelledEpochs listed epochs with a label
 * @param names namings of regions and objects (one per epoch that named one)
 * @param currentEpoch the current epoch
 * @param roots the tracked roots the store records (real path strings)
 */
public record RepairResult(
    IndexState index,
    String problem,
    String catalogueProblem,
    int segments,
    long records,
    int epochs,
    int listedEpochs,
    int labelledEpochs,
    int names,
    long currentEpoch,
    List<String> roots) {

  /** The state {@code index.mv} was found in. */
  public enum IndexState {
    /** It agreed with the segments and the catalogue (it was rebuilt anyway). */
    SOUND,
    /** There was none. */
    MISSING,
    /** It could not be read, or contradicted itself, the segments or the catalogue. */
    DAMAGED,
    /** It was an older copy: it lacked commits, restores, prunes or other changes. */
    STALE
  }

  /**
   * Copies the list of roots.
   *
   * @param index what {@code index.mv} was before the repair
   * @param problem why it could not be used, or null
   * @param catalogueProblem why the catalogue was rewritten, or null
   * @param segments segments read
   * @param records records read
   * @param epochs epochs in the rebuilt index
   * @param listedEpochs epochs listed
   * @param labelledEpochs listed epochs with a label
   * @param names namings of regions and objects
   * @param currentEpoch the current epoch
   * @param roots the tracked roots
   */
  public RepairResult {
    roots = List.copyOf(roots);
  }
}
