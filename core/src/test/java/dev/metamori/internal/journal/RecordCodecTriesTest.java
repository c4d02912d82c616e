package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Payloads of a segment's records: LZ4 is given up after payloads that do not compress and
 * tried again one payload in {@link BlockFrames#RETRY}; every record reads back the same.
 */
class RecordCodecTriesTest {
  private static final Random RANDOM = new Random(17);

  private static UndoRecord.Redo redo(long step, boolean compressible) {
    byte[] data = new byte[4096];
    if (!compressible) {
      RANDOM.nextBytes(data);
    }
    return new UndoRecord.Redo(step, "/t/f", 4096 * step, 1 << 20, data);
  }

  /** Encodes {@code r} with {@code tries}, checks it reads back, and returns whether it is compressed. */
  private static boolean compressed(UndoRecord.Redo r, long seq, RecordCodec.Tries tries) {
    ByteBuffer frame = RecordCodec.encode(r, seq, tries, null, FrameChecksum.CRC32C);
    byte[] bytes = new byte[frame.remaining()];
    frame.get(bytes);
    UndoRecord.Redo back = (UndoRecord.Redo) RecordCodec.decode(bytes, 0, bytes.length);
    assertArrayEquals(r.data(), back.data(), "record " + seq);
    assertEquals(r.offset(), back.offset());
    return (bytes[5] & RecordCodec.COMPRESSED) != 0;
  }

  @Test
  void lz4IsGivenUpAfterIncompressiblePayloadsAndTriedAgainOneInRetry() {
    RecordCodec.Tries tries = new RecordCodec.Tries();
    long seq = 0;
    for (int i = 0; i < BlockFrames.GIVE_UP; i++, seq++) {
      assertEquals(false, compressed(redo(seq, false), seq, tries), "incompressible payload " + i);
    }
    // given up: a compressible payload is stored raw until the retry
    for (int missed = BlockFrames.GIVE_UP; missed % BlockFrames.RETRY != 0; missed++, seq++) {
      assertEquals(false, compressed(redo(seq, true), seq, tries), "payload " + seq + ", not tried");
    }
    assertEquals(true, compressed(redo(seq, true), seq, tries), "the retry, which compresses");
    seq++;
    assertEquals(true, compressed(redo(seq, true), seq, tries), "tried again from then on");
  }

  @Test
  void withoutTriesEveryCompressiblePayloadIsCompressed() {
    for (long seq = 0; seq < 3 * BlockFrames.RETRY; seq++) {
      boolean compressible = seq > BlockFrames.GIVE_UP;
      assertEquals(compressible, compressed(redo(seq, compressible), seq, null), "payload " + seq);
    }
  }
}
