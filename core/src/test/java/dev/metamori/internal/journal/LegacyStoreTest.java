package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import dev.metamori.RetentionPolicy;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A store of format 2 (before the catalogue: epoch entries without checksums, no catalogue)
 * still opens, and gets a catalogue on its first open, from which a lost index is then rebuilt.
 * The format 2 store is made from a new one by taking away what format 3 added to its index.
 */
class LegacyStoreTest {
  @RegisterExtension final StoreExtension harness = StoreExtension.create();

  Path store;
  List<Epoch> epochs;
  long current;

  /**
   * Epochs 1 "one", 2 (a region), 3 "three" (changes nothing), a restore to 1, epoch 4 (a
   * branch), a restore to 3, then a prune keeping the labelled epochs: 2 is hidden, 4 and 0 go.
   */
  @BeforeEach
  void aFormatTwoStore() throws IOException {
    store = harness.store();
    Checkpointer cp = harness.cp();
    Files.writeString(harness.path("a"), "one");
    cp.commit("one");
    MemoryRegion r = cp.region("r", 8192);
    r.buffer().putLong(0, 2);
    Files.writeString(harness.path("a"), "two");
    cp.commit();
    cp.commit("three");
    cp.restore(1);
    Files.writeString(harness.path("b"), "four");
    cp.commit();
    cp.restore(3);
    cp.prune(RetentionPolicy.keepLabelled());
    epochs = cp.epochs();
    current = cp.currentEpoch();
    cp.close();
    MVStore mv = new MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      MVMap<Long, byte[]> entries =
          mv.openMap("epochs", new MVMap.Builder<Long, byte[]>().keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
      for (long id : List.copyOf(entries.keySet())) {
        byte[] e = entries.get(id);
        entries.put(id, Arrays.copyOf(e, e.length - 4)); // no checksum
      }
      MVMap<String, Long> meta =
          mv.openMap("meta", new MVMap.Builder<String, Long>().keyType(StringDataType.INSTANCE).valueType(LongDataType.INSTANCE));
      meta.put("format", 2L);
      meta.remove("catalogue");
      mv.commit();
    } finally {
      mv.close();
    }
    Files.delete(store.resolve("catalogue.seg"));
  }

  @Test
  void aFormatTwoStoreOpensAndGetsACatalogueFromWhichItsIndexCanBeRebuilt() throws IOException {
    try (Checkpointer cp = harness.open()) {
      assertEquals(epochs, cp.epochs());
      assertEquals(current, cp.currentEpoch());
    }
    assertTrue(Files.exists(store.resolve("catalogue.seg")));
    try (MvStoreIndex index = new MvStoreIndex(store.resolve("index.mv"))) {
      assertEquals(JournalStore.FORMAT, index.meta(JournalStore.META_FORMAT, -1));
      assertEquals(epochs.size(), index.epochs().stream().filter(EpochInfo::visible).count()); // checksums pass
    }
    Files.delete(store.resolve("index.mv"));
    try (Checkpointer cp = harness.open()) {
      assertEquals(epochs, cp.epochs());
      assertEquals(current, cp.currentEpoch());
      assertArrayEquals(new byte[] {0, 0, 0, 0, 0, 0, 0, 2}, Arrays.copyOf(bytes(cp.region("r", 8192)), 8));
      cp.restore(1);
      assertEquals("one", Files.readString(harness.root().resolve("a")));
      cp.restore(3);
      assertEquals("two", Files.readString(harness.root().resolve("a")));
      assertFalse(Files.exists(harness.root().resolve("b")), "the branch of epoch 4 was pruned");
    }
  }

  @Test
  void aLostIndexOfAFormatTwoStoreCannotBeRebuiltAndSaysWhy() throws IOException {
    harness.skipVerifyAfter("the index of a store without a catalogue is deleted");
    Files.delete(store.resolve("index.mv"));
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals("index.mv", e.file().getFileName().toString());
    assertTrue(e.getMessage().contains("the store has no catalogue"), e.getMessage());
  }

  private static byte[] bytes(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return all;
  }
}
