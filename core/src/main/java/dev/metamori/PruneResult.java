package dev.metamori;

import java.util.List;

/**
 * What {@link Checkpointer#prune(RetentionPolicy)} did.
 *
 * @param removedEpochs the epochs no longer listed, by id
 * @param storeBytesBefore the size of the store directory before
 * @param storeBytesAfter its size after
 */
public record PruneResult(List<Long> removedEpochs, long storeBytesBefore, long storeBytesAfter) {
  /**
   * Copies the list.
   *
   * @param removedEpochs the epochs no longer listed
   * @param storeBytesBefore the store's size before
   * @param storeBytesAfter the store's size after
   */
  public PruneResult {
    removedEpochs = List.copyOf(removedEpochs);
  }

  /**
   * Bytes the prune gave back.
   *
   * @return {@code storeBytesBefore - storeBytesAfter}
   */
  public long reclaimedBytes() {
    return storeBytesBefore - storeBytesAfter;
  }
}
