package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments are written with CRC32C frames (format version 2), and those segment format 1 wrote
 * with xxHash32 frames stay readable and are appended to with xxHash32: the checksum is the
 * segment's, named by its header. {@code xxhash32-frames.seg} was written by format 1's code:
 * a Touch, two Block records (random bytes stored raw, a repeated pattern LZ4-compressed), a
 * Created, a Label and a Commit record of epoch 7.
 */
class SegmentChecksumTest {
  @TempDir Path tmp;

  private Path fixture() throws IOException {
    Path file = tmp.resolve("old.seg");
    try (InputStream in = SegmentChecksumTest.class.getResourceAsStream("xxhash32-frames.seg")) {
      Files.copy(in, file);
    }
    return file;
  }

  /** The records of the fixture, as format 1's code was given them. */
  private static List<UndoRecord> fixtureRecords() {
    Random random = new Random(5);
    byte[] noise = new byte[4096];
    random.nextBytes(noise);
    byte[] text = new byte[4096];
    for (int i = 0; i < text.length; i++) {
      text[i] = (byte) ('a' + i % 7);
    }
    return List.of(
        new UndoRecord.Touch(3, "/t/f", UndoRecord.Kind.FILE, 8192, 1_700_000_000_000_000_000L, 0644, "o", "g"),
        new UndoRecord.Block(3, "/t/f", 0, noise),
        new UndoRecord.Block(3, "/t/f", 1, text),
        new UndoRecord.Created("/t/g"),
        new UndoRecord.Label("seven"),
        new UndoRecord.Commit(6, 1_700_000_000_000L));
  }

  private static void assertRecords(List<UndoRecord> expected, Segment s) throws IOException {
    Segment.Scan scan = s.scan();
    assertFalse(scan.tornTail());
    assertEquals(expected.size(), scan.count());
    for (int i = 0; i < expected.size(); i++) {
      UndoRecord read = s.read(scan.offsets()[i], i);
      if (expected.get(i) instanceof UndoRecord.Block b) {
        UndoRecord.Block r = (UndoRecord.Block) read;
        assertEquals(List.of(b.fileId(), b.path(), b.block()), List.of(r.fileId(), r.path(), r.block()));
        assertArrayEquals(b.data(), r.data(), "record " + i);
      } else if (expected.get(i) instanceof UndoRecord.Touch t) {
        assertEquals(t.toString(), read.toString());
      } else {
        assertEquals(expected.get(i), read, "record " + i);
      }
    }
  }

  private static int headerVersion(Path file) throws IOException {
    return ByteBuffer.wrap(Files.readAllBytes(file)).getInt(8);
  }

  @Test
  void aSegmentOfFormatOneIsReadWithItsXxHashFrames() throws IOException {
    Path file = fixture();
    assertEquals(1, headerVersion(file));
    try (Segment s = Segment.open(file)) {
      assertSame(FrameChecksum.XXHASH32, s.checksum);
      assertEquals(7, s.epoch);
      assertRecords(fixtureRecords(), s);
      assertTrue(IndexCheck.endsWithCommitFrame(file));
    }
  }

  @Test
  void aSegmentOfFormatOneIsAppendedToWithXxHashAndItsZerosStillEndAScan() throws IOException {
    Path file = fixture();
    List<UndoRecord> records = new java.util.ArrayList<>(fixtureRecords().subList(0, 4));
    long end;
    try (Segment s = Segment.open(file)) {
      end = s.scan().offsets()[4];
    }
    byte[] old = new byte[4096];
    new Random(8).nextBytes(old);
    try (Segment s = Segment.openToAppend(file, 4, end)) {
      assertSame(FrameChecksum.XXHASH32, s.checksum);
      s.appendBlock(new UndoRecord.Block(3, "/t/f", 9, null), 4096, b -> b.put(old, 0, b.remaining()), true);
      s.append(new UndoRecord.Created("/t/h"));
      records.add(new UndoRecord.Block(3, "/t/f", 9, old));
      records.add(new UndoRecord.Created("/t/h"));
    }
    assertEquals(1, headerVersion(file));
    assertTrue(Files.size(file) > end + 8192, "grown ahead with zeros");
    try (Segment s = Segment.open(file)) {
      assertRecords(records, s);
    }
    // every frame checks with xxHash32, not CRC32C
    try (Segment s = Segment.open(file)) {
      Segment.Scan scan = s.scan();
      byte[] bytes = Files.readAllBytes(file);
      for (long offset : scan.offsets()) {
        int length = ByteBuffer.wrap(bytes).getInt((int) offset);
        byte[] frame = java.util.Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        assertTrue(RecordCodec.checksumOk(frame, length, FrameChecksum.XXHASH32));
        assertFalse(RecordCodec.checksumOk(frame, length, FrameChecksum.CRC32C));
      }
    }
  }

  @Test
  void aNewSegmentIsOfFormatTwoWithCrc32cFramesSeededWithTheStoreMagic() throws IOException {
    Path file = tmp.resolve("new.seg");
    try (Segment s = Segment.create(file, 7, 0x1234567890abcdefL, 4096, 0)) {
      for (UndoRecord r : fixtureRecords()) {
        if (r instanceof UndoRecord.Block b) {
          s.appendBlock(b, b.data().length, into -> into.put(b.data(), 0, into.remaining()), false);
        } else {
          s.append(r);
        }
      }
    }
    assertEquals(2, headerVersion(file));
    byte[] bytes = Files.readAllBytes(file);
    try (Segment s = Segment.open(file)) {
      assertSame(FrameChecksum.CRC32C, s.checksum);
      assertRecords(fixtureRecords(), s);
      for (long offset : s.scan().offsets()) {
        int length = ByteBuffer.wrap(bytes).getInt((int) offset);
        CRC32C crc = new CRC32C();
        crc.update(new byte[] {'M', 'T', 'M', 'R'});
        crc.update(bytes, (int) offset, length - 4);
        assertEquals((int) crc.getValue(), ByteBuffer.wrap(bytes).getInt((int) offset + length - 4), "at " + offset);
      }
    }
    assertTrue(IndexCheck.endsWithCommitFrame(file));
    // the same bytes as format 1 wrote but for the version and the checksums
    byte[] old = Files.readAllBytes(fixture());
    assertEquals(old.length, bytes.length);
    try (Segment s = Segment.open(file)) {
      for (long offset : s.scan().offsets()) {
        int trailer = (int) offset + ByteBuffer.wrap(bytes).getInt((int) offset) - 4;
        assertNotEquals(ByteBuffer.wrap(old).getInt(trailer), ByteBuffer.wrap(bytes).getInt(trailer));
        ByteBuffer.wrap(old).putInt(trailer, 0);
        ByteBuffer.wrap(bytes).putInt(trailer, 0);
      }
    }
    ByteBuffer.wrap(old).putInt(8, 0).putInt(36, 0);
    ByteBuffer.wrap(bytes).putInt(8, 0).putInt(36, 0);
    assertArrayEquals(old, bytes);
  }

  @Test
  void aFrameOfZerosDoesNotCheck() {
    for (int length : new int[] {20, 36, 4096}) {
      byte[] zeros = new byte[length];
      assertFalse(RecordCodec.checksumOk(zeros, length, FrameChecksum.CRC32C), "length " + length);
      assertFalse(RecordCodec.checksumOk(zeros, length, FrameChecksum.XXHASH32), "length " + length);
    }
  }

  @Test
  void aDirectBufferChecksLikeAnArrayAndKeepsItsPositionAndLimit() {
    byte[] bytes = new byte[5000];
    new Random(2).nextBytes(bytes);
    ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).position(17).limit(99);
    for (FrameChecksum c : FrameChecksum.values()) {
      assertEquals(c.of(bytes, 3, 4200), c.of(direct, 3, 4200), c.name());
      assertEquals(17, direct.position());
      assertEquals(99, direct.limit());
      assertNotEquals(c.of(bytes, 3, 4200), c.of(bytes, 4, 4200), c.name());
    }
  }

  @Test
  void aDamagedCrc32cFrameIsDamageAndAnUnknownVersionIsRefused() throws IOException {
    Path file = tmp.resolve("new.seg");
    try (Segment s = Segment.create(file, 7, 5, 4096, 0)) {
      s.append(new UndoRecord.Created("/t/a"));
      s.append(new UndoRecord.Created("/t/b"));
    }
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, Segment.HEADER_SIZE + 20);
      c.write(ByteBuffer.wrap(new byte[] {(byte) (b.get(0) ^ 4)}), Segment.HEADER_SIZE + 20);
    }
    try (Segment s = Segment.open(file)) {
      CorruptStoreException e = assertThrows(CorruptStoreException.class, s::scan);
      assertEquals(Segment.HEADER_SIZE, e.offset());
      assertThrows(CorruptStoreException.class, () -> s.read(Segment.HEADER_SIZE, 0));
    }
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer header = ByteBuffer.allocate(Segment.HEADER_SIZE);
      c.read(header, 0);
      header.putInt(8, 3).putInt(36, FrameChecksum.XXHASH32.of(header.array(), 0, 36));
      c.write(header.flip(), 0);
    }
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> Segment.open(file).close());
    assertTrue(e.getMessage().contains("version 3") && e.getMessage().contains("supports 1 to 2"), e.getMessage());
  }
}
