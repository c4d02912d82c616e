package dev.metamori.internal.journal;

import java.nio.ByteBuffer;

/**
 * The offsets of up to {@link #SIZE} consecutive records of a segment as one index value: their
 * count, the first offset, the differences between neighbours as unsigned variable-length
 * integers (two bytes for a 4 KiB record), and an xxHash32 of all that (MVStore does not
 * checksum what its pages hold). One entry per {@link #SIZE} records instead of one per
 * record: a commit of 655 blocks puts one entry into the index, not 655.
 */
final class OffsetRun {
  /** Records per entry. */
  static final int SIZE = 4096;

  private OffsetRun() {}

  /** Encodes {@code offsets[from, to)}, which must ascend. */
  static byte[] encode(long[] offsets, int from, int to) {
    ByteBuffer out = ByteBuffer.allocate(4 + 8 + 10 * (to - from) + 4);
    out.putInt(to - from);
    out.putLong(offsets[from]);
    for (int i = from + 1; i < to; i++) {
      long delta = offsets[i] - offsets[i - 1];
      if (delta <= 0) {
        throw new IllegalArgumentException(
            "record offsets must ascend: " + offsets[i - 1] + " then " + offsets[i]);
      }
      while ((delta & ~0x7FL) != 0) {
        out.put((byte) ((delta & 0x7F) | 0x80));
        delta >>>= 7;
      }
      out.put((byte) delta);
    }
    out.putInt(RecordCodec.XXHASH.hash(out.array(), 0, out.position(), RecordCodec.CHECKSUM_SEED));
    byte[] bytes = new byte[out.position()];
    System.arraycopy(out.array(), 0, bytes, 0, bytes.length);
    return bytes;
  }

  /**
   * Decodes an entry.
   *
   * @throws IllegalStateException if it is damaged (the index's reads report it as damage)
   */
  static long[] decode(byte[] bytes) {
    if (bytes.length < 16
        || RecordCodec.XXHASH.hash(bytes, 0, bytes.length - 4, RecordCodec.CHECKSUM_SEED)
            != ByteBuffer.wrap(bytes).getInt(bytes.length - 4)) {
      throw new IllegalStateException("a damaged entry of record offsets (checksum mismatch)");
    }
    ByteBuffer in = ByteBuffer.wrap(bytes, 0, bytes.length - 4);
    int count = in.getInt();
    if (count <= 0 || count > SIZE) {
      throw new IllegalStateException("a damaged entry of record offsets (" + count + " records)");
    }
    long[] offsets = new long[count];
    offsets[0] = in.getLong();
    for (int i = 1; i < count; i++) {
      long delta = 0;
      int shift = 0;
      byte b;
      do {
        b = in.get();
        delta |= (long) (b & 0x7F) << shift;
        shift += 7;
      } while (b < 0 && shift < 64);
      offsets[i] = offsets[i - 1] + delta;
    }
    if (in.hasRemaining()) {
      throw new IllegalStateException("a damaged entry of record offsets (trailing bytes)");
    }
    return offsets;
  }
}
