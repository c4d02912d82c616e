package dev.metamori;

import java.time.Instant;

/**
 * A committed checkpoint.
 *
 * @param id the epoch id; epoch 0 is the state of the tracked trees when the store was created
 * @param parent the epoch this one was committed on top of, or {@code -1} for epoch 0; after a
 *     {@linkplain Checkpointer#prune prune}, its nearest listed ancestor ({@code -1} for the
 *     oldest listed epoch)
 * @param committedAt when {@link Checkpointer#commit()} made the epoch durable
 * @param bytesJournaled bytes the journal holds for this epoch (compressed undo data and
 *     record headers): the cost of being able to return to the parent
 * @param blocksJournaled file blocks whose old contents were saved in this epoch
 * @param filesChanged files and directories changed in this epoch
 * @param label the label given to {@link Checkpointer#commit(String)}, or null
 */
public record Epoch(
    long id,
    long parent,
    Instant committedAt,
    long bytesJournaled,
    long blocksJournaled,
    long filesChanged,
    String label) {

  /**
   * An epoch without a label.
   *
   * @param id the epoch id
   * @param parent the parent epoch, or {@code -1}
   * @param committedAt when the epoch was made durable
   * @param bytesJournaled bytes the journal holds for this epoch
   * @param blocksJournaled file blocks saved in this epoch
   * @param filesChanged files and directories changed in this epoch
   */
  public Epoch(
      long id, long parent, Instant committedAt, long bytesJournaled, long blocksJournaled, long filesChanged) {
    this(id, parent, committedAt, bytesJournaled, blocksJournaled, filesChanged, null);
  }
}
