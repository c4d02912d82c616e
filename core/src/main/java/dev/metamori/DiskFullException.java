package dev.metamori;

import java.nio.file.FileSystemException;

/**
 * The disk the store is on is full ("No space left on device") or the owner's disk quota is
 * exceeded ("Disk quota exceeded"): the operation failed, and its message says what is left
 * undone and what to do. The {@link Checkpointer} stays usable: once space is freed on that
 * disk, retry the operation with the same instance. {@link #getReason()} is the system's
 * reason; {@link #neededBytes()} how many more bytes the failed step needed, where known.
 *
 * <ul>
 *   <li>A change through {@link Checkpointer#fileSystem()} whose undo could not be journaled
 *       was not made.
 *   <li>A failed {@link Checkpointer#commit()} leaves the store at the previous epoch, with
 *       the changes since still journaled; the next commit (or restore) commits that epoch
 *       first.
 *   <li>A failed {@link Checkpointer#restore(long)} leaves the tracked files partly restored;
 *       changes to them are refused until the next restore or commit finishes it.
 * </ul>
 */
public final class DiskFullException extends FileSystemException {
  private static final long serialVersionUID = 1L;

  /** The whole message. */
  private final String message;
  /** The bytes the failed step needed, or -1. */
  private final long neededBytes;

  /**
   * Creates the exception.
   *
   * @param file the file or store the failed operation concerned
   * @param reason the system's reason, such as "No space left on device"
   * @param message the whole message: what failed, what is left undone, what to do
   * @param neededBytes how many more bytes the failed step needed, or -1 if unknown
   * @param cause the error the system reported
   */
  public DiskFullException(String file, String reason, String message, long neededBytes, Throwable cause) {
    super(file, null, reason);
    this.message = message;
    this.neededBytes = neededBytes;
    initCause(cause);
  }

  /**
   * How many more bytes the step that failed needed, or -1 if that is not known.
   *
   * @return the bytes needed, or -1
   */
  public long neededBytes() {
    return neededBytes;
  }

  @Override
  public String getMessage() {
    return message;
  }
}
