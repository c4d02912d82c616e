package dev.metamori;

import java.util.List;

/**
 * What a store holds and where its bytes go, from {@link Checkpointer#stats()}.
 *
 * @param totalBytes bytes of every file under the store directory
 * @param segmentBytes bytes of the segment files (the journal's records), the working epoch's
 *     included
 * @param indexBytes bytes of the index file
 * @param trashBytes bytes of the files and directories taken out of the tracked trees and kept
 *     so that a rollback can put them back
 * @param epochs the valid epochs, oldest first
 * @param files the tracked paths that committed undo records name, the most costly first
 * @param states the memory regions and registered objects that committed epochs hold, by name
 */
public record StoreStats(
    long totalBytes,
    long segmentBytes,
    long indexBytes,
    long trashBytes,
    List<EpochStats> epochs,
    List<FileStats> files,
    List<StateStats> states) {

  /**
   * Copies the lists.
   *
   * @param totalBytes bytes of every file under the store directory
   * @param segmentBytes bytes of the segment files
   * @param indexBytes bytes of the index file
   * @param trashBytes bytes kept in the trash
   * @param epochs the valid epochs, oldest first
   * @param files the tracked paths, the most costly first
   * @param states the memory regions and registered objects, by name
   */
  public StoreStats {
    epochs = List.copyOf(epochs);
    files = List.copyOf(files);
    states = List.copyOf(states);
  }

  /**
   * Payload bytes of every epoch before compression.
   *
   * @return the bytes before compression
   */
  public long payloadBytes() {
    return epochs.stream().mapToLong(EpochStats::payloadBytes).sum();
  }

  /**
   * Payload bytes of every epoch as stored.
   *
   * @return the bytes as stored
   */
  public long storedPayloadBytes() {
    return epochs.stream().mapToLong(EpochStats::storedPayloadBytes).sum();
  }

  /**
   * Payload bytes before compression over payload bytes as stored, for the whole store: 2.0
   * means the saved blocks, pages and chunks take half their size; 1.0 when there are none.
   *
   * @return the compression ratio
   */
  public double compressionRatio() {
    return ratio(payloadBytes(), storedPayloadBytes());
  }

  /**
   * Bytes that chunk dedupe saved for every registered object.
   *
   * @return the bytes dedupe saved
   */
  public long dedupeSavedBytes() {
    return states.stream().mapToLong(StateStats::dedupeSavedBytes).sum();
  }

  static double ratio(long raw, long stored) {
    return stored == 0 ? 1.0 : (double) raw / stored;
  }

  /**
   * The bytes of one epoch.
   *
   * @param id the epoch's id
   * @param bytesJournaled bytes of the epoch's segment, as {@link Epoch#bytesJournaled()}
   * @param payloadBytes bytes of the file blocks, region pages and object chunks the epoch
   *     saved, before compression
   * @param storedPayloadBytes the same payloads as stored in the segment, LZ4-compressed where
   *     that was shorter
   * @param trashBytes bytes of the files and directories the epoch moved into the store's trash
   */
  public record EpochStats(
      long id, long bytesJournaled, long payloadBytes, long storedPayloadBytes, long trashBytes) {

    /**
     * {@link #payloadBytes()} over {@link #storedPayloadBytes()}; 1.0 when there are none.
     *
     * @return the compression ratio
     */
    public double compressionRatio() {
      return ratio(payloadBytes, storedPayloadBytes);
    }
  }

  /**
   * The undo data held for one tracked path across the valid epochs.
   *
   * @param path the path string the records name (for a rename, the name it was given)
   * @param bytes bytes of its undo records (old blocks, old attributes, creations, renames) plus
   *     the bytes of its deleted or replaced copies kept in the trash
   * @param epochs how many epochs hold undo data for it
   */
  public record FileStats(String path, long bytes, long epochs) {}

  /** What a {@link StateStats} describes. */
  public enum StateKind {
    /** A {@link MemoryRegion}. */
    REGION,
    /** A registered {@link Checkpointable}. */
    OBJECT
  }

  /**
   * The journaled state of one memory region or registered object across the valid epochs.
   *
   * @param name the name given to {@link Checkpointer#region} or {@link Checkpointer#register}
   * @param kind a region or an object
   * @param bytesJournaled bytes of its records: pages of a region; chunks and manifests of an
   *     object
   * @param dedupeSavedBytes for an object, the bytes its saved states did not store again
   *     because an earlier epoch had stored the same chunk (the sum of the lengths of its
   *     manifest entries that point into an earlier epoch); 0 for a region
   * @param pageTracking for a region this process has open, how its commits find the changed
   *     pages: {@code "write-protect"} (the kernel marks the pages written since the last commit:
   *     Linux 6.7 or later, Java 22 or later with native access enabled for Metamori), or {@code
   *     "hash-scan"} (every page is hashed and compared) followed by the reason in parentheses;
   *     null for an object or a region not open in this process
   */
  public record StateStats(
      String name, StateKind kind, long bytesJournaled, long dedupeSavedBytes, String pageTracking) {}
}
