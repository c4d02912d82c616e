package dev.metamori;

import java.nio.file.Path;

/**
 * A store file is damaged: a record or header failed its checksum, or a structure on disk is
 * inconsistent. The damaged data is never applied; the message names the file, the byte
 * offset and, where known, the epoch that the damaged record belongs to.
 */
public final class CorruptStoreException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  private final transient Path file;
  /** The byte offset of the damage, or {@code -1}. */
  private final long offset;
  /** The epoch the damaged data belongs to, or {@code -1}. */
  private final long epoch;
  /** What is wrong. */
  private final String detail;

  /**
   * Creates an exception for damage found in {@code file} at byte {@code offset}.
   *
   * @param epoch the epoch the damaged data belongs to, or {@code -1} if unknown
   * @param file the damaged file
   * @param offset the byte offset of the damage, or {@code -1} if the whole file is unreadable
   * @param detail what is wrong
   */
  public CorruptStoreException(Path file, long offset, long epoch, String detail) {
    this(file, offset, epoch, detail, null);
  }

  /**
   * As {@link #CorruptStoreException(Path, long, long, String)}, with a cause.
   *
   * @param file the damaged file
   * @param offset the byte offset of the damage, or {@code -1}
   * @param epoch the epoch the damaged data belongs to, or {@code -1}
   * @param detail what is wrong
   * @param cause the error that revealed the damage
   */
  public CorruptStoreException(Path file, long offset, long epoch, String detail, Throwable cause) {
    super(
        "corrupt store: "
            + file
            + (offset >= 0 ? " at offset " + offset : "")
            + (epoch >= 0 ? " (epoch " + epoch + ")" : "")
            + ": "
            + detail
            + (file != null && file.getFileName() != null && file.getFileName().toString().equals("index.mv")
                ? ". Nothing was changed; the index can be rebuilt from the segments with"
                    + " Checkpointer.repair(store) (metamori repair), or run verify() to list every damaged record."
                : ". The damaged record was not applied; restore the store directory from a backup"
                    + " or run verify() to list every damaged record."),
        cause);
    this.file = file;
    this.offset = offset;
    this.epoch = epoch;
    this.detail = detail;
  }

  /**
   * What is wrong, without the file, offset and advice of {@link #getMessage()}.
   *
   * @return what is wrong
   */
  public String detail() {
    return detail;
  }

  /**
   * The damaged file.
   *
   * @return the damaged file
   */
  public Path file() {
    return file;
  }

  /**
   * Byte offset of the damage in {@link #file()}, or {@code -1} if the whole file is unreadable.
   *
   * @return the byte offset, or {@code -1}
   */
  public long offset() {
    return offset;
  }

  /**
   * The epoch whose data is damaged, or {@code -1} if unknown.
   *
   * @return the epoch, or {@code -1}
   */
  public long epoch() {
    return epoch;
  }
}
