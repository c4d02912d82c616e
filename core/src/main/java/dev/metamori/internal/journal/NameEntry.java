package dev.metamori.internal.journal;

/**
 * One naming of a volatile item (region or object) in the index: the item's id, its size, its
 * page size (0 for an object), the epoch whose Name record named it and that record's sequence
 * number in the epoch.
 *
 * <p>The index stores it as the five longs {@code {item, size, pageSize, epoch, seq}}, in that
 * order (see {@link #toArray()} and {@link #fromArray(long[])}).
 */
public record NameEntry(long item, long size, long pageSize, long epoch, long seq) {

  /** The entry that Name record {@code n}, record {@code seq} of {@code epoch}, gives. */
  static NameEntry of(UndoRecord.Name n, long epoch, long seq) {
    return new NameEntry(n.item(), n.size(), n.pageSize(), epoch, seq);
  }

  /** Whether Name record {@code n} names this entry's item {@code name}, with its sizes. */
  boolean isNamedBy(UndoRecord.Name n, String name) {
    return n.name().equals(name)
        && n.item() == item
        && n.size() == size
        && n.pageSize() == pageSize;
  }

  /** The value the names map of the index stores. */
  long[] toArray() {
    return new long[] {item, size, pageSize, epoch, seq};
  }

  /** The entry a value of the names map stores; null if the value is damaged (not five longs). */
  static NameEntry fromArray(long[] value) {
    if (value == null || value.length != 5) {
      return null;
    }
    return new NameEntry(value[0], value[1], value[2], value[3], value[4]);
  }
}
