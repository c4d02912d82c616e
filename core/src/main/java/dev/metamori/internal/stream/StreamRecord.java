package dev.metamori.internal.stream;

import java.util.UUID;

/**
 * The records of an export stream's content, in the order a receiver applies them. Paths are
 * relative to a tracked root, given by its position among the roots ({@link Entry}).
 */
public sealed interface StreamRecord {

  /** Where an entry is: the tracked root by its position, and the path below it ("" for the root). */
  record Entry(int root, String path) {
    @Override
    public String toString() {
      return "root " + root + (path.isEmpty() ? "" : " path " + path);
    }
  }

  /** An epoch's identity, the same in every store that holds it: the store that committed it first, and its id there. */
  record Identity(UUID store, long epoch) {
    @Override
    public String toString() {
      return "epoch " + epoch + " of store " + store;
    }
  }

  /** First record: what the stream holds. {@code base} is null in a full stream. */
  record Header(Identity base, Identity epoch, String label, long committedAtMillis, int roots)
      implements StreamRecord {}

  /** A directory at the epoch: created if absent; its attributes are set once everything below it is written. */
  record Directory(Entry at, long modifiedNanos, int permissions) implements StreamRecord {}

  /** A symbolic link at the epoch, created as a link (never followed). */
  record Link(Entry at, String target, long modifiedNanos) implements StreamRecord {}

  /**
   * A regular file at the epoch of {@code size} bytes, followed by its {@link Data} and a {@link
   * FileEnd}: a new file ({@code patch} false: bytes not given are zeros) or the file already
   * there with the bytes given written over it ({@code patch} true).
   */
  record File(Entry at, boolean patch, long size, long modifiedNanos, int permissions) implements StreamRecord {}

  /** Bytes of the file being written, at {@code offset}. */
  record Data(long offset, byte[] bytes) implements StreamRecord {}

  /** Ends a file's data. */
  record FileEnd() implements StreamRecord {}

  /** Removes the entry (with what is below it) at a path of the base. */
  record Delete(Entry at) implements StreamRecord {}

  /** Moves the entry at a path of the base aside, as staging slot {@code slot}, until a {@link Place}. */
  record Stage(int slot, Entry at) implements StreamRecord {}

  /** Moves staging slot {@code slot} to its path at the epoch. */
  record Place(int slot, Entry at) implements StreamRecord {}

  /**
   * A memory region of {@code size} bytes at the epoch, followed by its {@link Page}s and a
   * {@link RegionEnd}; {@code whole}: pages not given are zeros (else they are unchanged).
   */
  record Region(String name, long size, boolean whole) implements StreamRecord {}

  /** One page of the region being written. */
  record Page(long page, byte[] bytes) implements StreamRecord {}

  /** Ends a region's pages. */
  record RegionEnd() implements StreamRecord {}

  /** A registered object's saved bytes at the epoch. */
  record ObjectState(String name, byte[] bytes) implements StreamRecord {}

  /** Last record: how many came before it. */
  record End(long records) implements StreamRecord {}
}
