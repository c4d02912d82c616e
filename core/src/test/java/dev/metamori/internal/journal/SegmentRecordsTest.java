package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records read in runs, oldest or newest first, are the records {@link Segment#read} reads one
 * by one, and damage anywhere in a run is found as {@link Segment#read} finds it.
 */
class SegmentRecordsTest {
  @TempDir Path tmp;

  /** Frames of a few bytes to past {@link SegmentRecords#RUN_BYTES}, so runs end anywhere. */
  private List<UndoRecord> write(Path file, long seed) throws IOException {
    Random random = new Random(seed);
    List<UndoRecord> all = new ArrayList<>();
    try (Segment s = Segment.create(file, 3, 11, 4096, 0)) {
      for (int i = 0; i < 150; i++) {
        int size = random.nextInt(25) == 0 ? SegmentRecords.RUN_BYTES + random.nextInt(4096) : random.nextInt(9000);
        byte[] data = new byte[size];
        random.nextBytes(data);
        UndoRecord r = new UndoRecord.Redo(i, "/t/f" + i, 4096L * i, 1 << 20, data);
        s.append(r);
        all.add(r);
      }
    }
    return all;
  }

  @Test
  void runsReadTheRecordsEitherWay() throws IOException {
    Path file = tmp.resolve("seg");
    List<UndoRecord> all = write(file, 5);
    try (Segment s = Segment.open(file)) {
      Segment.Scan scan = s.scan();
      for (boolean backwards : new boolean[] {false, true}) {
        SegmentRecords records = SegmentRecords.of(s, scan.offsets(), scan.validEnd(), backwards);
        assertEquals(all.size(), records.count());
        for (int k = 0; k < all.size(); k++) {
          int i = backwards ? all.size() - 1 - k : k;
          UndoRecord.Redo read = (UndoRecord.Redo) records.get(i);
          UndoRecord.Redo written = (UndoRecord.Redo) all.get(i);
          assertEquals(written.path(), read.path(), "record " + i + (backwards ? " backwards" : ""));
          assertArrayEquals(written.data(), read.data(), "record " + i);
        }
      }
      UndoRecord[] every = SegmentRecords.of(s, scan.offsets(), scan.validEnd(), false).all();
      assertEquals(all.size(), every.length);
      assertEquals(every[7], SegmentRecords.checked(every).get(7));
    }
  }

  @Test
  void damageInsideARunIsFoundAsARecordReadAloneFindsIt() throws IOException {
    Random random = new Random(17);
    for (int trial = 0; trial < 12; trial++) {
      Path file = tmp.resolve("seg" + trial);
      write(file, trial);
      long[] offsets;
      long end;
      try (Segment s = Segment.open(file)) {
        Segment.Scan scan = s.scan();
        offsets = scan.offsets();
        end = scan.validEnd();
      }
      int damaged = random.nextInt(offsets.length);
      long at = offsets[damaged] + random.nextInt(RecordCodec.HEADER + 8);
      try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
        ByteBuffer b = ByteBuffer.allocate(1);
        c.read(b, at);
        b.put(0, (byte) (b.get(0) ^ (1 << random.nextInt(8)))).rewind();
        c.write(b, at);
      }
      try (Segment s = Segment.open(file)) {
        CorruptStoreException alone = assertThrows(CorruptStoreException.class, () -> s.read(offsets[damaged], damaged));
        for (boolean backwards : new boolean[] {false, true}) {
          SegmentRecords records = SegmentRecords.of(s, offsets, end, backwards);
          CorruptStoreException inRun =
              assertThrows(
                  CorruptStoreException.class,
                  () -> {
                    for (int k = 0; k < offsets.length; k++) {
                      records.get(backwards ? offsets.length - 1 - k : k);
                    }
                  },
                  "trial " + trial + ", record " + damaged + " damaged at " + at);
          assertEquals(alone.getMessage(), inRun.getMessage(), "trial " + trial);
        }
      }
    }
  }

  @Test
  void offsetsThatDoNotFitTheSegmentAreDamage() throws IOException {
    Path file = tmp.resolve("seg");
    write(file, 3);
    try (Segment s = Segment.open(file)) {
      Segment.Scan scan = s.scan();
      long[] offsets = scan.offsets().clone();
      offsets[5] = offsets[9] + 1; // out of order, inside another frame
      offsets[20] = Long.MAX_VALUE / 2; // past the end
      for (boolean backwards : new boolean[] {false, true}) {
        SegmentRecords records = SegmentRecords.of(s, offsets, scan.validEnd(), backwards);
        assertThrows(CorruptStoreException.class, () -> records.get(5));
        assertThrows(CorruptStoreException.class, () -> records.get(20));
      }
    }
  }
}
