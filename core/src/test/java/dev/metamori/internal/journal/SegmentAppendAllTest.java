package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records appended in one write read back as if appended one by one, numbered in order: raw and
 * compressed payloads, and records longer than the batch made room for.
 */
class SegmentAppendAllTest {
  @TempDir Path tmp;

  @Test
  void aBatchReadsBackLikeRecordsAppendedOneByOne() throws IOException {
    Random random = new Random(9);
    List<UndoRecord> all = new ArrayList<>();
    try (Segment s = Segment.create(tmp.resolve("redo"), 3, 11, 4096, 0)) {
      for (int batch = 0; batch < 30; batch++) {
        List<UndoRecord> records = new ArrayList<>();
        for (int i = random.nextInt(6); i > 0; i--) {
          byte[] data = new byte[random.nextInt(5000)];
          if (random.nextBoolean()) {
            random.nextBytes(data);
          } else {
            java.util.Arrays.fill(data, (byte) i); // compresses: LZ4 writes into the batch
          }
          records.add(new UndoRecord.Redo(batch, "/t/f" + i, 4096L * i, 1 << 20, data));
          if (random.nextInt(3) == 0) {
            // more than the batch makes room for ahead: its array grows
            String path = "/t/ä".repeat(200 + random.nextInt(200)) + i;
            records.add(new UndoRecord.RedoAttributes(batch, "k" + i, path, 1_000L * i, 0644, "o", "g"));
          }
        }
        records.add(new UndoRecord.RedoMark(batch));
        long end = random.nextBoolean() ? s.appendAll(records) : appendOneByOne(s, records);
        all.addAll(records);
        assertEquals(s.size(), end);
      }
      Segment.Scan scan = s.scan();
      assertEquals(all.size(), scan.count());
      for (int i = 0; i < all.size(); i++) {
        UndoRecord read = s.read(scan.offsets()[i], i);
        assertEquals(all.get(i).getClass(), read.getClass(), "record " + i);
        if (read instanceof UndoRecord.Redo r) {
          assertArrayEquals(((UndoRecord.Redo) all.get(i)).data(), r.data(), "record " + i);
          assertEquals(((UndoRecord.Redo) all.get(i)).path(), r.path());
        } else {
          assertEquals(all.get(i), read, "record " + i);
        }
      }
    }
  }

  private static long appendOneByOne(Segment s, List<UndoRecord> records) throws IOException {
    long end = -1;
    for (UndoRecord r : records) {
      end = s.append(r);
    }
    return end;
  }
}
