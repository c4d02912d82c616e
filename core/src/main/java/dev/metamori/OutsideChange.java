package dev.metamori;

import java.nio.file.Path;

/**
 * A change to a tracked tree that did not go through the checkpointer: found by comparing
 * every tracked entry with what the store recorded of it at the current epoch (and with the
 * changes made through the checkpointer since). See {@link Checkpointer#status()}.
 *
 * @param path the entry, a path of the underlying file system under a tracked root
 * @param kind what changed
 */
public record OutsideChange(Path path, Kind kind) {

  /** What changed. */
  public enum Kind {
    /** An entry appeared that the store does not know. */
    CREATED,
    /** An entry the store knows is gone. */
    DELETED,
    /** Another file, directory or link stands at the path (another type or inode). */
    REPLACED,
    /** The contents, size or times of a file or link changed. */
    MODIFIED,
    /** The permissions or owner changed. */
    ATTRIBUTES
  }

  @Override
  public String toString() {
    return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + path;
  }
}
