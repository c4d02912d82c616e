package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Frames the Block records of one segment (the same frames as {@link RecordCodec#encode}) in a
 * direct buffer it reuses, with the block's old bytes read straight into the frame: no array per
 * record, and no copy through the JDK's temporary direct buffers on the read or on the write.
 *
 * <p>LZ4 is tried only where it pays: after {@value #GIVE_UP} blocks in a row that did not
 * compress, only one block in {@value #RETRY} is tried, until one compresses again. A block
 * that is not tried is stored raw (flag bit 0 clear), like one that did not compress; the
 * checksum covers the frame either way.
 */
final class BlockFrames {
  static final int GIVE_UP = 8;
  static final int RETRY = 32;
  private static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();

  private ByteBuffer frame = ByteBuffer.allocateDirect(0);
  /** The block's bytes when compression is tried. */
  private ByteBuffer raw = ByteBuffer.allocateDirect(0);
  /** Blocks since the last one that compressed (or since the first). */
  private int notCompressed;
  /** The checksum of the segment's frames. */
  private final FrameChecksum checksum;

  BlockFrames(FrameChecksum checksum) {
    this.checksum = checksum;
  }

  /**
   * The frame of {@code header} (its data ignored) holding the {@code length} bytes {@code
   * source} reads, positioned at 0 and limited to its length; valid until the next call.
   */
  ByteBuffer encode(UndoRecord.Block header, int length, BlockSource source, long seq)
      throws IOException {
    byte[] path = RecordCodec.utf8(header.path());
    int at = RecordCodec.HEADER + 8 + RecordCodec.str(path) + 8 + 4; // where the payload starts
    int capacity = at + COMPRESSOR.maxCompressedLength(length) + RecordCodec.TRAILER;
    if (frame.capacity() < capacity) {
      frame = ByteBuffer.allocateDirect(capacity);
    }
    ByteBuffer f = frame.clear();
    f.position(RecordCodec.HEADER);
    f.putLong(header.fileId());
    RecordCodec.putString(f, path);
    f.putLong(header.block()).putInt(length);
    byte flags = 0;
    int stored = length;
    if (notCompressed < GIVE_UP || notCompressed % RETRY == 0) {
      if (raw.capacity() < length) {
        raw = ByteBuffer.allocateDirect(length);
      }
      ByteBuffer r = raw.clear().limit(length);
      source.read(r);
      int n = COMPRESSOR.compress(raw, 0, length, f, at, capacity - at - RecordCodec.TRAILER);
      if (n < length) {
        flags = RecordCodec.COMPRESSED;
        stored = n;
        notCompressed = 0;
      } else {
        f.put(at, raw, 0, length);
        notCompressed++;
      }
    } else {
      source.read(f.limit(at + length).position(at));
      notCompressed++;
    }
    int frameLength = at + stored + RecordCodec.TRAILER;
    f.clear().putInt(0, frameLength).put(4, UndoRecord.BLOCK).put(5, flags).putShort(6, (short) 0);
    f.putLong(8, seq);
    f.putInt(frameLength - RecordCodec.TRAILER, checksum.of(f, 0, frameLength - RecordCodec.TRAILER));
    return f.limit(frameLength).position(0);
  }
}
