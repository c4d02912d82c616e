package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.BlockRecords.appendAll;
import static dev.metamori.internal.journal.BlockRecords.compressible;
import static dev.metamori.internal.journal.BlockRecords.from;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.CorruptStoreException;
import dev.metamori.DiskFullException;
import dev.metamori.testing.FaultyFileSystem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment grows ahead of its Block records with zeros: every reader takes the zeros for the
 * end of the records, damage among them is still reported, a rewind cuts them off, and the
 * records read back exactly.
 */
class SegmentGrowthTest {
  private static final int BLOCK = BlockRecords.BLOCK;

  @TempDir Path tmp;

  private final BlockRecords records = new BlockRecords();


  @Test
  void blockRecordsAreWrittenIntoZerosTheSegmentGrewByAndAScanStopsAtThem() throws IOException {
    List<byte[]> blocks = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      blocks.add(i % 3 == 0 ? compressible(i) : records.incompressible());
    }
    try (Segment s = records.create(tmp)) {
      s.append(new UndoRecord.Touch(5, "/r/f", UndoRecord.Kind.FILE, 40 * BLOCK, 0, -1, null, null));
      long end = appendAll(s, blocks, true);
      assertEquals(end, s.size());
      assertTrue(Files.size(records.file) > end, "grown ahead: " + Files.size(records.file) + " bytes for records ending at " + end);
      assertEquals(0, Files.size(records.file) % 4096);
    }
    try (Segment s = Segment.open(records.file)) {
      Segment.Scan scan = s.scan();
      assertFalse(scan.tornTail(), "the zeros are the end of the records, not a torn one");
      assertEquals(41, scan.count());
      assertEquals(s.size(), scan.validEnd());
      for (int i = 0; i < blocks.size(); i++) {
        UndoRecord.Block b = (UndoRecord.Block) s.read(scan.offsets()[i + 1], i + 1);
        assertArrayEquals(blocks.get(i), b.data(), "block " + i);
        assertEquals(i, b.block());
        assertEquals("/r/f", b.path());
      }
    }
  }

  @Test
  void aRewindCutsTheZerosOffAndAppendsGoOnFromThere() throws IOException {
    try (Segment s = records.create(tmp)) {
      appendAll(s, List.of(records.incompressible(), records.incompressible()), true);
      long end = s.size();
      s.rewind(2, end);
      assertEquals(end, Files.size(records.file));
      s.append(new UndoRecord.Commit(0, 1));
      assertEquals(s.size(), Files.size(records.file));
    }
    try (Segment s = Segment.open(records.file)) {
      Segment.Scan scan = s.scan();
      assertEquals(3, scan.count());
      assertEquals(UndoRecord.COMMIT, scan.types()[2]);
      assertEquals(Files.size(records.file), scan.validEnd());
    }
  }

  @Test
  void aZeroTailCutAnywhereStillEndsTheRecords() throws IOException {
    long end;
    try (Segment s = records.create(tmp)) {
      end = appendAll(s, List.of(records.incompressible(), compressible(1), records.incompressible()), true);
    }
    long size = Files.size(records.file);
    for (long cut : new long[] {size - 1, end + 4096, end + 5, end + 3, end + 1, end}) {
      try (FileChannel c = FileChannel.open(records.file, StandardOpenOption.WRITE)) {
        c.truncate(cut);
      }
      try (Segment s = Segment.open(records.file)) {
        Segment.Scan scan = s.scan();
        assertFalse(scan.tornTail(), "cut at " + cut);
        assertEquals(3, scan.count(), "cut at " + cut);
        assertEquals(end, scan.validEnd(), "cut at " + cut);
      }
    }
  }

  @Test
  void aTornLastRecordFollowedByZerosIsATornTail() throws IOException {
    long[] ends = new long[3];
    try (Segment s = records.create(tmp)) {
      for (int i = 0; i < 3; i++) {
        byte[] data = records.incompressible();
        ends[i] = s.appendBlock(new UndoRecord.Block(5, "/r/f", i, null), BLOCK, from(data), true);
      }
    }
    // a power loss kept the first sectors of the last frame only: the rest reads as the zeros
    zero(ends[1] + 1024, ends[2]);
    try (Segment s = Segment.open(records.file)) {
      Segment.Scan scan = s.scan();
      assertTrue(scan.tornTail());
      assertEquals(2, scan.count());
      assertEquals(ends[1], scan.validEnd());
    }
  }

  @Test
  void aStrayByteAmongTheZerosIsATornTailButARecordAfterZerosIsDamage() throws IOException {
    long[] ends = new long[3];
    try (Segment s = records.create(tmp)) {
      for (int i = 0; i < 3; i++) {
        ends[i] = s.appendBlock(new UndoRecord.Block(5, "/r/f", i, null), BLOCK, from(records.incompressible()), true);
      }
    }
    long size = Files.size(records.file);
    // what a power loss can leave: some pages of an append into the zeros and not others
    for (long at : new long[] {ends[2] + 4, ends[2] + 100, size - 1}) {
      write(at, (byte) 0x5a);
      try (Segment s = Segment.open(records.file)) {
        Segment.Scan scan = s.scan();
        assertTrue(scan.tornTail(), "byte at " + at);
        assertEquals(3, scan.count(), "byte at " + at);
      }
      write(at, (byte) 0);
    }
    // the second record's start zeroed: the third, whole and valid, shows it is damage
    zero(ends[0], ends[0] + 8);
    try (Segment s = Segment.open(records.file)) {
      CorruptStoreException e = assertThrows(CorruptStoreException.class, s::scan);
      assertTrue(e.getMessage().contains("later records follow"), e.getMessage());
      assertTrue(e.getMessage().contains("offset " + ends[0]), e.getMessage());
    }
  }

  @Test
  void aFullDiskWhileGrowingCutsTheZerosOffAndTheFrameIsAppendedWithoutThem() throws IOException {
    FaultyFileSystem faulty = FaultyFileSystem.create();
    Path dir = Files.createDirectories(tmp.resolve("store").resolve("segments"));
    Path at = faulty.getPath(dir.resolve("1.seg").toString());
    List<byte[]> blocks = new ArrayList<>();
    try (Segment s = Segment.create(at, 1, 42, BLOCK, 0)) {
      long frame = appendAll(s, List.of(records.incompressible()), true) - Segment.HEADER_SIZE;
      blocks.add(null);
      // fill the zeros, then fail the growth the next frame needs, half written
      while (s.size() + frame <= Files.size(dir.resolve("1.seg"))) {
        s.appendBlock(new UndoRecord.Block(5, "/r/f", blocks.size(), null), BLOCK, from(records.incompressible()), true);
        blocks.add(null);
      }
      faulty.failAt(faulty.calls() + 1, FaultyFileSystem.Fault.DISK_FULL_PART_WRITTEN, false);
      byte[] data = records.incompressible();
      long end = s.appendBlock(new UndoRecord.Block(5, "/r/f", blocks.size(), null), BLOCK, from(data), true);
      assertEquals(1, faulty.faultsThrown());
      assertEquals(end, Files.size(dir.resolve("1.seg")), "no zeros after the frame");
      assertArrayEquals(data, ((UndoRecord.Block) s.read(end - frame, blocks.size())).data());
      blocks.add(data);
      // a disk full for the frame too: the append fails and leaves the records as they were
      faulty.failWhenever(c -> c.op().equals("write"), FaultyFileSystem.Fault.DISK_FULL_PART_WRITTEN);
      assertThrows(
          DiskFullException.class,
          () -> s.appendBlock(new UndoRecord.Block(5, "/r/f", 99, null), BLOCK, from(records.incompressible()), true));
      assertEquals(end, s.size());
      assertEquals(end, Files.size(dir.resolve("1.seg")));
      faulty.disarm();
    }
    try (Segment s = Segment.open(dir.resolve("1.seg"))) {
      Segment.Scan scan = s.scan();
      assertFalse(scan.tornTail());
      assertEquals(blocks.size(), scan.count());
    }
  }

  private void write(long at, byte value) throws IOException {
    try (FileChannel c = FileChannel.open(records.file, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {value}), at);
    }
  }

  private void zero(long from, long to) throws IOException {
    try (FileChannel c = FileChannel.open(records.file, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.allocate((int) (to - from)), from);
    }
  }
}
