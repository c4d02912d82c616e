package dev.metamori.internal.journal;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;

/** The sequential read of a whole segment that {@link Segment#scan} makes. */
final class SegmentScan {
  private SegmentScan() {}

  /** Reads {@code segment} whole, checking every frame; see {@link Segment#scan}. */
  static Segment.Scan read(Segment segment) throws IOException {
    FileChannel channel = segment.channel;
    long size = channel.size();
    long[] offsets = new long[16];
    byte[] types = new byte[16];
    long[] blockKeys = new long[48];
    int n = 0;
    int blocks = 0;
    long pos = Segment.HEADER_SIZE;
    boolean torn = false;
    DataInputStream in =
        new DataInputStream(
            new BufferedInputStream(Channels.newInputStream(channel.position(Segment.HEADER_SIZE)), 1 << 16));
    while (pos < size) {
      long remaining = size - pos;
      int length;
      try {
        length = remaining < 4 ? -1 : in.readInt();
      } catch (EOFException e) {
        length = -1;
      }
      if (length < RecordCodec.HEADER + RecordCodec.TRAILER
          || length > RecordCodec.MAX_FRAME
          || length > remaining) {
        torn = SegmentTail.tornAt(segment, channel, pos, size, length, n + 1);
        break;
      }
      byte[] frame = new byte[length];
      ByteBuffer.wrap(frame).putInt(length);
      in.readFully(frame, 4, length - 4);
      if (!RecordCodec.checksumOk(frame, length, segment.checksum)) {
        if ((pos + length == size || SegmentTail.zerosFrom(channel, pos + length, size))
            && !SegmentTail.frameFollows(channel, pos, size, n + 1, segment.checksum)) {
          torn = true;
          break;
        }
        throw segment.corrupt(pos, "record checksum mismatch");
      }
      ByteBuffer f = ByteBuffer.wrap(frame);
      if (f.getLong(8) != n) {
        throw segment.corrupt(pos, "record sequence " + f.getLong(8) + " where " + n + " was expected");
      }
      if (n == offsets.length) {
        offsets = java.util.Arrays.copyOf(offsets, n * 2);
        types = java.util.Arrays.copyOf(types, n * 2);
      }
      offsets[n] = pos;
      types[n] = frame[4];
      long[] keyOf;
      try {
        keyOf = SegmentLayout.keyOf(f, length);
      } catch (IllegalStateException e) {
        throw segment.corrupt(pos, e.getMessage());
      }
      if (keyOf != null) {
        if (3 * blocks + 3 > blockKeys.length) {
          blockKeys = java.util.Arrays.copyOf(blockKeys, blockKeys.length * 2);
        }
        blockKeys[3 * blocks] = keyOf[0];
        blockKeys[3 * blocks + 1] = keyOf[1];
        blockKeys[3 * blocks + 2] = n;
        blocks++;
      }
      n++;
      pos += length;
    }
    return new Segment.Scan(
        java.util.Arrays.copyOf(offsets, n),
        java.util.Arrays.copyOf(types, n),
        java.util.Arrays.copyOf(blockKeys, 3 * blocks),
        pos,
        torn);
  }
}
