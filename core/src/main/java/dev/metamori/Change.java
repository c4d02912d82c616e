package dev.metamori;

import java.util.List;

/**
 * One difference between the states of two epochs, as reported by {@link
 * Checkpointer#diff(long, long)}.
 *
 * @param kind what changed
 * @param path for files, the path (a path string of the underlying file system) in the second
 *     epoch's state, or in the first one's for {@link Kind#DELETED}; for regions and objects,
 *     their name
 * @param previousPath for {@link Kind#MOVED}, the path in the first epoch's state; else null.
 *     Paths below a moved directory follow it unless listed themselves; so one that stayed
 *     where it was while the directory above it moved away and another took its place is
 *     {@code MOVED} with {@code previousPath} equal to {@code path}
 * @param sizeBefore a changed file's size in the first epoch's state, or -1 where not known or
 *     not applicable
 * @param sizeAfter a changed or created file's size in the second epoch's state, or -1
 * @param ranges the byte ranges that may differ (for files, at block granularity, including
 *     bytes appended or cut off: every byte outside them is equal in both states; for regions,
 *     whole pages), in ascending order; empty for creations, deletions, moves without a content
 *     change, objects, and changes of attributes only
 */
public record Change(
    Kind kind, String path, String previousPath, long sizeBefore, long sizeAfter, List<Range> ranges) {

  /** What kind of difference. */
  public enum Kind {
    /** A file, directory or link that exists in the second state only. */
    CREATED,
    /** One that exists in the first state only (a directory: with everything in it). */
    DELETED,
    /** A file or directory at another path in the second state, perhaps changed as well. */
    MOVED,
    /** A file or directory whose contents, size or attributes differ. */
    CHANGED,
    /** A memory region whose bytes differ. */
    REGION_CHANGED,
    /** A registered object whose saved state differs. */
    OBJECT_CHANGED
  }

  /**
   * {@code length} bytes from {@code offset}.
   *
   * @param offset the first byte's offset
   * @param length the number of bytes
   */
  public record Range(long offset, long length) {}

  /**
   * Copies the ranges.
   *
   * @param kind what changed
   * @param path the path, or the name of a region or object
   * @param previousPath the path in the first epoch's state of a moved file, or null
   * @param sizeBefore the size in the first epoch's state, or -1
   * @param sizeAfter the size in the second epoch's state, or -1
   * @param ranges the byte ranges that may differ
   */
  public Change {
    ranges = List.copyOf(ranges);
  }
}
