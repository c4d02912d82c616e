package dev.metamori.internal.journal;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * A committed epoch as the index stores it.
 *
 * @param segmentNonce nonce of the epoch's segment, or 0 if the epoch changed nothing
 * @param label the label given at commit, or null
 * @param flags {@link #HIDDEN}, {@link #ARCHIVE}
 */
public record EpochInfo(
    long id,
    long parent,
    long committedAtMillis,
    long bytes,
    long blocks,
    long files,
    long segmentNonce,
    String label,
    long flags) {

  /**
   * Pruned away: no longer listed or restorable, but still a node of the tree, kept because a
   * restore between two listed epochs passes through it (its undo and redo are needed).
   */
  public static final long HIDDEN = 1;

  /**
   * Hidden above every listed epoch: no restore passes through it any more, but its segment
   * still holds region, object or name records that listed epochs read.
   */
  public static final long ARCHIVE = 2;

  /** An archive whose segment was rewritten without its undo records. */
  public static final long COMPACTED = 4;

  EpochInfo(long id, long parent, long committedAtMillis, long bytes, long blocks, long files, long segmentNonce) {
    this(id, parent, committedAtMillis, bytes, blocks, files, segmentNonce, null, 0);
  }

  EpochInfo(
      long id, long parent, long committedAtMillis, long bytes, long blocks, long files, long segmentNonce, String label) {
    this(id, parent, committedAtMillis, bytes, blocks, files, segmentNonce, label, 0);
  }

  /** Whether the epoch is listed and restorable (not pruned). */
  public boolean visible() {
    return (flags & HIDDEN) == 0;
  }

  EpochInfo withParentAndFlags(long newParent, long newFlags) {
    return new EpochInfo(id, newParent, committedAtMillis, bytes, blocks, files, segmentNonce, label, newFlags);
  }

  /**
   * 64 bytes of fixed fields, then, for a labelled epoch, the label's length and UTF-8 bytes,
   * then an xxHash32 of all the bytes before it (format 3: MVStore does not checksum the
   * contents of its pages, so a flipped byte in a label or a time would otherwise read as valid).
   */
  byte[] encode() {
    byte[] text = label == null ? new byte[0] : label.getBytes(StandardCharsets.UTF_8);
    int length = 64 + (label == null ? 0 : 4 + text.length);
    ByteBuffer b =
        ByteBuffer.allocate(length + 4)
            .putLong(id)
            .putLong(parent)
            .putLong(committedAtMillis)
            .putLong(bytes)
            .putLong(blocks)
            .putLong(files)
            .putLong(segmentNonce)
            .putLong(flags);
    if (label != null) {
      b.putInt(text.length).put(text);
    }
    b.putInt(RecordCodec.XXHASH.hash(b.array(), 0, length, RecordCodec.CHECKSUM_SEED));
    return b.array();
  }

  /** An entry {@link #encode} wrote, its checksum checked. */
  static EpochInfo decode(byte[] bytes) {
    int length = bytes.length - 4;
    if (length < 64
        || RecordCodec.XXHASH.hash(bytes, 0, length, RecordCodec.CHECKSUM_SEED)
            != ByteBuffer.wrap(bytes).getInt(length)) {
      throw new IllegalArgumentException("an epoch entry of " + bytes.length + " bytes fails its checksum");
    }
    return decodeLegacy(java.util.Arrays.copyOf(bytes, length));
  }

  /** An entry of a format 2 index: the fields and label of {@link #encode}, without a checksum. */
  static EpochInfo decodeLegacy(byte[] bytes) {
    if (bytes.length != 64 && bytes.length < 68) {
      throw new IllegalArgumentException("an epoch entry of " + bytes.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    long id = b.getLong();
    long parent = b.getLong();
    long at = b.getLong();
    long size = b.getLong();
    long blocks = b.getLong();
    long files = b.getLong();
    long nonce = b.getLong();
    long flags = b.getLong();
    String label = null;
    if (b.hasRemaining()) {
      int n = b.getInt();
      if (n != b.remaining()) {
        throw new IllegalArgumentException("an epoch label of " + n + " bytes in " + b.remaining());
      }
      label = new String(bytes, 68, n, StandardCharsets.UTF_8);
    }
    return new EpochInfo(id, parent, at, size, blocks, files, nonce, label, flags);
  }
}
