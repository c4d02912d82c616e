package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.util.List;

/**
 * The journal's B-tree: which epochs are committed, and where each of their records lies in
 * their segment. Everything here can be rebuilt from the segments; the index makes rollback
 * walk only the records of the epochs it undoes. Changes become visible to a later open only
 * through {@link #commit(boolean)}. Reads that find the index damaged throw {@link
 * CorruptStoreException} naming the index file.
 */
interface EpochIndex extends Closeable {

  /** The committed epoch {@code id}, or null. */
  EpochInfo epoch(long id) throws CorruptStoreException;

  /** All committed epochs, by id. */
  List<EpochInfo> epochs() throws CorruptStoreException;

  void putEpoch(EpochInfo epoch);

  /** Removes an epoch's entry (not its records: see {@link #removeRecords}). */
  void removeEpoch(long id);

  /**
   * Removes the record and block entries of {@code epoch}, committing (without forcing) every
   * few thousand removals so that memory stays bounded. Call only for an epoch that is not in
   * the index (or not yet): the intermediate commits make the removals visible.
   */
  void removeRecords(long epoch) throws IOException;

  /** Removes record and block entries of epochs that are not in the index (left by a crash). */
  void removeOrphans() throws IOException;

  /**
   * Replaces the record offsets of {@code epoch} (a compacted archive's), with no intermediate
   * commit: the caller's commit makes the change visible at once.
   */
  void replaceRecords(long epoch, long[] offsets);

  void putBlock(long epoch, long fileId, long block, long seq);

  /** Offset of record {@code seq} of {@code epoch}, or -1. */
  long recordOffset(long epoch, long seq) throws CorruptStoreException;

  /** Offsets of the epoch's records, indexed by sequence number. */
  long[] recordOffsets(long epoch) throws CorruptStoreException;

  long meta(String key, long absent) throws CorruptStoreException;

  void putMeta(String key, long value);

  void removeMeta(String key);

  /** The keys of {@code meta} that start with {@code prefix}, in order. */
  List<String> metaKeys(String prefix) throws CorruptStoreException;

  /**
   * Puts record entries of an epoch that is not in the index yet, committing (without
   * forcing) every few thousand puts so that memory stays bounded.
   */
  void putRecordsInChunks(long epoch, long[] offsets, long[] blockKeys) throws IOException;

  /** Makes every change so far visible to the next open; {@code durable} also forces it. */
  void commit(boolean durable) throws IOException;

  /** Receives index entries of state records. */
  interface StateVisitor {
    void visit(long item, long x, long epoch, long seq) throws IOException;
  }

  /**
   * Every naming of the volatile item {@code name}, one per epoch that named it (on any branch);
   * null in place of an entry found damaged.
   */
  List<NameEntry> nameVersions(String name) throws CorruptStoreException;

  /** Adds a naming of {@code name} (by the epoch of {@code entry}). */
  void putName(String name, NameEntry entry);

  /** The tracked roots last opened with, as real path strings. */
  List<String> roots() throws CorruptStoreException;

  void putRoots(List<String> roots);

  /**
   * Every naming of every volatile item, by the key of its entry ({@code name NUL epoch}, see
   * {@link MvStoreIndex#nameOf}); null in place of an entry found damaged.
   */
  java.util.Map<String, NameEntry> names() throws CorruptStoreException;

  /**
   * Every entry of {@code item} in an epoch at most {@code atMost} (the {@code versions} map),
   * in the order the map holds them: by page or part, then epoch, unless the map is damaged.
   */
  void forEachVersion(long item, long atMost, StateVisitor visitor) throws IOException;

  /** The items that {@code epoch} lists state entries of (the {@code blocks} map). */
  List<Long> stateItems(long epoch) throws CorruptStoreException;

  /** Every state entry of {@code item} that {@code epoch} lists (the {@code blocks} map). */
  void forEachStateOf(long epoch, long item, StateVisitor visitor) throws IOException;
}
