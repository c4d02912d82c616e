package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * The checksum of the frames of a segment (or redo file, or the catalogue), which the format
 * version in its header names: xxHash32 in version 1, CRC32C in version 2 (what segments are
 * written with). Both are seeded with {@link RecordCodec#CHECKSUM_SEED}: CRC32C runs over its
 * four bytes (big-endian, "MTMR") and then over the frame, so that a frame of zeros does not
 * check. CRC32C is the JDK's intrinsic (a hardware instruction where the processor has one):
 * about a sixth of the cost of xxHash32 through lz4-java's JNI on a 4 KiB block.
 */
enum FrameChecksum {
  XXHASH32 {
    @Override
    int of(byte[] bytes, int from, int length) {
      return RecordCodec.XXHASH.hash(bytes, from, length, RecordCodec.CHECKSUM_SEED);
    }

    @Override
    int of(ByteBuffer buffer, int from, int length) {
      return RecordCodec.XXHASH.hash(buffer, from, length, RecordCodec.CHECKSUM_SEED);
    }
  },
  CRC32C {
    @Override
    int of(byte[] bytes, int from, int length) {
      java.util.zip.CRC32C crc = seeded();
      crc.update(bytes, from, length);
      return (int) crc.getValue();
    }

    @Override
    int of(ByteBuffer buffer, int from, int length) {
      java.util.zip.CRC32C crc = seeded();
      int position = buffer.position();
      int limit = buffer.limit();
      crc.update(buffer.limit(from + length).position(from));
      buffer.limit(limit).position(position);
      return (int) crc.getValue();
    }
  };

  private static final byte[] SEED = ByteBuffer.allocate(4).putInt(RecordCodec.CHECKSUM_SEED).array();

  private static java.util.zip.CRC32C seeded() {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(SEED, 0, SEED.length);
    return crc;
  }

  /** The checksum of {@code bytes[from, from + length)}. */
  abstract int of(byte[] bytes, int from, int length);

  /** The checksum of {@code buffer}'s bytes {@code [from, from + length)}; its position and limit are kept. */
  abstract int of(ByteBuffer buffer, int from, int length);

  /** The checksum of the frames of a segment of format {@code version}, or null if there is none. */
  static FrameChecksum ofVersion(int version) {
    return version == 1 ? XXHASH32 : version == 2 ? CRC32C : null;
  }

  /**
   * The checksum of the frames of segment {@code file}, whose header says format {@code version}.
   *
   * @throws CorruptStoreException naming both versions if this version of Metamori cannot read it
   */
  static FrameChecksum of(Path file, int version) throws CorruptStoreException {
    FrameChecksum checksum = ofVersion(version);
    if (checksum == null) {
      throw new CorruptStoreException(file, 0, -1, "segment format version " + version
          + " is not supported by this version of Metamori (supports 1 to " + Segment.FORMAT_VERSION + ")");
    }
    return checksum;
  }
}
