package dev.metamori.internal.journal;

import java.nio.ByteBuffer;

/**
 * A committed epoch as the index stores it.
 *
 * @param segmentNonce nonce of the epoch's segment, or 0 if the epoch changed nothing
 */
public record EpochInfo(
    long id,
    long parent,
    long committedAtMillis,
    long bytes,
    long blocks,
    long files,
    long segmentNonce) {

  byte[] encode() {
    return ByteBuffer.allocate(56)
        .putLong(id)
        .putLong(parent)
        .putLong(committedAtMillis)
        .putLong(bytes)
        .putLong(blocks)
        .putLong(files)
        .putLong(segmentNonce)
        .array();
  }

  static EpochInfo decode(byte[] bytes) {
    if (bytes.length != 56) {
      throw new IllegalArgumentException("an epoch entry of " + bytes.length + " bytes, not 56");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    return new EpochInfo(
        b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong(), b.getLong());
  }
}
