package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.BlockRecords.appendAll;
import static dev.metamori.internal.journal.BlockRecords.compressible;
import static dev.metamori.internal.journal.BlockRecords.from;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Block records framed by {@link BlockFrames}, the old bytes read straight into the frame: they
 * read back exactly whether compressed, stored raw, or not tried, and LZ4 is tried again now and
 * then after blocks that do not compress.
 */
class BlockFramesTest {
  private static final int BLOCK = BlockRecords.BLOCK;

  @TempDir Path tmp;

  private final BlockRecords records = new BlockRecords();


  @Test
  void lz4IsTriedAgainOnlyNowAndThenAfterBlocksThatDoNotCompressAndEveryBlockReadsBackExactly()
      throws IOException {
    List<byte[]> blocks = new ArrayList<>();
    for (int i = 0; i < 3 * BlockFrames.RETRY; i++) {
      blocks.add(records.incompressible());
    }
    for (int i = 0; i < 3 * BlockFrames.RETRY; i++) {
      blocks.add(compressible(i));
    }
    blocks.add(new byte[] {1, 2, 3}); // a short last block
    try (Segment s = records.create(tmp)) {
      appendAll(s, blocks, false);
    }
    try (Segment s = Segment.open(records.file)) {
      Segment.Scan scan = s.scan();
      assertEquals(blocks.size(), scan.count());
      int compressed = 0;
      int firstCompressed = -1;
      for (int i = 0; i < blocks.size(); i++) {
        long offset = scan.offsets()[i];
        int length = (int) ((i + 1 < blocks.size() ? scan.offsets()[i + 1] : scan.validEnd()) - offset);
        boolean isCompressed = (flagsAt(offset) & RecordCodec.COMPRESSED) != 0;
        if (isCompressed) {
          compressed++;
          firstCompressed = firstCompressed < 0 ? i : firstCompressed;
        }
        if (blocks.get(i).length == BLOCK) {
          assertEquals(isCompressed, length < BLOCK, "block " + i + ": frame of " + length + " bytes");
        }
        assertArrayEquals(blocks.get(i), ((UndoRecord.Block) s.read(offset, i)).data(), "block " + i);
      }
      int incompressible = 3 * BlockFrames.RETRY;
      assertTrue(firstCompressed >= incompressible, "first compressed " + firstCompressed);
      assertTrue(
          firstCompressed < incompressible + BlockFrames.RETRY,
          "compression resumes within one retry period: first compressed " + firstCompressed);
      assertEquals(3 * BlockFrames.RETRY - (firstCompressed - incompressible), compressed);
    }
  }

  @Test
  void aBlockSourceThatFailsAppendsNothing() throws IOException {
    try (Segment s = records.create(tmp)) {
      appendAll(s, List.of(records.incompressible()), false);
      long end = s.size();
      IOException failure = new IOException("read failed");
      for (int i = 0; i < 2 * BlockFrames.RETRY; i++) {
        assertThrows(
            IOException.class,
            () -> s.appendBlock(new UndoRecord.Block(5, "/r/f", 9, null), BLOCK, into -> {
              throw failure;
            }, false));
      }
      assertEquals(end, s.size());
      assertEquals(1, s.nextSeq());
      byte[] data = records.incompressible();
      s.appendBlock(new UndoRecord.Block(5, "/r/f", 1, null), BLOCK, from(data), false);
      assertArrayEquals(data, ((UndoRecord.Block) s.read(end, 1)).data());
    }
  }

  private byte flagsAt(long offset) throws IOException {
    try (FileChannel c = FileChannel.open(records.file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset + 5);
      return b.get(0);
    }
  }
}
