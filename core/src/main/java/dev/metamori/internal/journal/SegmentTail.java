package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * What follows a frame a {@linkplain Segment#scan() scan} could not read: only zeros (the space
 * a segment grew by ahead of its records, or the rest of a torn append), or a valid later frame
 * (then the unreadable one is damage, not a torn final append).
 */
final class SegmentTail {
  private SegmentTail() {}

  /**
   * What a frame length out of range ({@code length}, -1 if fewer than 4 bytes are left) read at
   * {@code pos}, where frame {@code seq - 1} would start, means: false if only zeros follow (the
   * space the segment grew by ahead of its records: the records end there), true if it is a torn
   * final append (it runs past the end of the file, only zeros follow its length, or its length
   * reads 0 with other bytes after it: a power loss kept later pages of an append written into
   * the zeros), unless a whole valid frame {@code seq} follows; anything else is damage, thrown.
   */
  static boolean tornAt(Segment segment, FileChannel channel, long pos, long size, int length, long seq)
      throws IOException {
    long remaining = size - pos;
    if ((length == 0 || remaining < 4) && zerosFrom(channel, pos, size)) {
      return false;
    }
    if (length > remaining || length == -1 || length == 0 || zerosFrom(channel, pos, size)) {
      if (frameFollows(channel, pos, size, seq, segment.checksum)) {
        throw segment.corrupt(pos, "record length " + length + " is damaged (later records follow)");
      }
      return true;
    }
    throw segment.corrupt(pos, "record length " + length + " is out of range");
  }

  /**
   * Whether a whole, valid frame with sequence number {@code seq} starts somewhere after
   * {@code from}, checked with {@code checksum}: then the damaged frame at {@code from} is not a
   * torn final append (a crash cuts only the last append short) but damage, e.g. of its length
   * field.
   */
  static boolean frameFollows(FileChannel channel, long from, long size, long seq, FrameChecksum checksum)
      throws IOException {
    if (size - from > 16L * RecordCodec.MAX_FRAME) {
      return true; // far more than one append: not a torn one
    }
    ByteBuffer rest = ByteBuffer.allocate((int) (size - from));
    while (rest.hasRemaining() && channel.read(rest, from + rest.position()) > 0) {}
    byte[] bytes = rest.array();
    int limit = rest.position();
    for (int p = 1; p + RecordCodec.HEADER + RecordCodec.TRAILER <= limit; p++) {
      int length = rest.getInt(p);
      if (length >= RecordCodec.HEADER + RecordCodec.TRAILER
          && length <= limit - p
          && rest.getLong(p + 8) == seq
          && RecordCodec.checksumOk(bytes, p, length, checksum)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the bytes of {@code [from, size)} are all zeros. */
  static boolean zerosFrom(FileChannel channel, long from, long size) throws IOException {
    ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
    for (long pos = from; pos < size; ) {
      buffer.clear();
      int n = channel.read(buffer, pos);
      if (n <= 0) {
        return true;
      }
      for (int i = 0; i < n; i++) {
        if (buffer.get(i) != 0) {
          return false;
        }
      }
      pos += n;
    }
    return true;
  }
}
