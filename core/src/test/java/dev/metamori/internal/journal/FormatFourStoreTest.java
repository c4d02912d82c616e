package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A store of format 4 (one index entry per record offset, in the {@code records} map) opens,
 * restores to every epoch, becomes format 5 with its next commit, and then holds both layouts:
 * old epochs in {@code records}, new ones in {@code offsets}. The format 4 store is made from a
 * new one by moving its offsets back into single entries.
 */
class FormatFourStoreTest {
  @RegisterExtension final StoreExtension harness = StoreExtension.create();

  @Test
  void aFormatFourStoreIsReadAndMovesToFormatFiveWithItsNextCommit() throws IOException {
    Checkpointer cp = harness.cp();
    Random random = new Random(5);
    List<byte[]> states = new ArrayList<>();
    byte[] data = new byte[64 << 10];
    random.nextBytes(data);
    Path file = harness.path("data");
    for (int epoch = 1; epoch <= 4; epoch++) {
      for (int i = 0; i < 5; i++) {
        data[random.nextInt(data.length)] ^= 1; // a few blocks a commit, each its own record
      }
      Files.write(file, data);
      cp.commit();
      states.add(data.clone());
    }
    cp.close();
    Path index = harness.store().resolve("index.mv");
    int moved = toFormatFour(index);
    assertTrue(moved > 0, "the store has record offsets to move");

    try (Checkpointer reopened = harness.open()) {
      for (int epoch = 1; epoch <= 4; epoch++) {
        reopened.restore(epoch);
        assertArrayEquals(states.get(epoch - 1), Files.readAllBytes(harness.root().resolve("data")), "epoch " + epoch);
      }
      Files.writeString(reopened.fileSystem().getPath(harness.root().resolve("data").toString()), "five");
      long five = reopened.commit();
      reopened.restore(2);
      assertArrayEquals(states.get(1), Files.readAllBytes(harness.root().resolve("data")));
      reopened.restore(five);
      assertEquals("five", Files.readString(harness.root().resolve("data")));
    }
    MVStore mv = new MVStore.Builder().fileName(index.toString()).readOnly().open();
    try {
      assertEquals(JournalStore.FORMAT, meta(mv).get("format"));
      assertTrue(records(mv).keySet().stream().anyMatch(k -> k[0] == 1), "epoch 1 keeps its single entries");
      assertTrue(offsets(mv).keySet().stream().anyMatch(k -> k[0] == 5), "epoch 5 has a run");
    } finally {
      mv.close();
    }
  }

  /** Moves every run of offsets into single entries and sets format 4; returns the entries. */
  private static int toFormatFour(Path index) {
    MVStore mv = new MVStore.Builder().fileName(index.toString()).open();
    try {
      MVMap<long[], byte[]> runs = offsets(mv);
      MVMap<long[], Long> records = records(mv);
      int moved = 0;
      for (Map.Entry<long[], byte[]> e : new ArrayList<>(runs.entrySet())) {
        long[] run = OffsetRun.decode(e.getValue());
        for (int i = 0; i < run.length; i++) {
          records.put(new long[] {e.getKey()[0], e.getKey()[1] * OffsetRun.SIZE + i}, run[i]);
          moved++;
        }
        runs.remove(e.getKey());
      }
      meta(mv).put("format", 4L);
      mv.commit();
      return moved;
    } finally {
      mv.close();
    }
  }

  private static MVMap<long[], byte[]> offsets(MVStore mv) {
    return mv.openMap(
        "offsets",
        new MVMap.Builder<long[], byte[]>().keyType(LongTuple.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
  }

  private static MVMap<long[], Long> records(MVStore mv) {
    return mv.openMap(
        "records", new MVMap.Builder<long[], Long>().keyType(LongTuple.INSTANCE).valueType(LongDataType.INSTANCE));
  }

  private static MVMap<String, Long> meta(MVStore mv) {
    return mv.openMap(
        "meta", new MVMap.Builder<String, Long>().keyType(StringDataType.INSTANCE).valueType(LongDataType.INSTANCE));
  }
}
