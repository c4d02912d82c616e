package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.Blob;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Index entries of region pages and object manifests changed the way a flipped byte in a leaf
 * of {@code index.mv} changes them (MVStore checksums chunk headers, not page contents): a
 * rollback or an open must then restore exactly the committed state or refuse with {@link
 * CorruptStoreException} naming the index, and never restore other bytes.
 */
class DamagedStateIndexTest {
  private static final int PAGE = 4096;
  private static final int SIZE = 3 * PAGE;

  @RegisterExtension final StoreExtension harness = StoreExtension.create();

  Path store;
  /** Region r and object o at epochs 1 to 4. */
  final Map<Long, byte[]> region = new HashMap<>();
  final Map<Long, byte[]> object = new HashMap<>();
  long r;
  long o;

  /**
   * Epoch 1 writes pages 0 and 1 of r, epoch 2 page 1, epoch 3 page 0, epoch 4 page 1; the
   * object changes in every epoch. Page 2 is never written. A rollback from 4 to 3 restores
   * page 1 as of epoch 2 and the object as of epoch 3.
   */
  @BeforeEach
  void fourEpochsOfARegionAndAnObject() throws IOException {
    store = harness.store();
    try (Checkpointer cp = harness.cp()) {
      MemoryRegion m = cp.region("r", SIZE);
      Blob blob = new Blob();
      cp.register("o", blob);
      long[][] pages = {{0, 1}, {1}, {0}, {1}};
      for (int e = 1; e <= pages.length; e++) {
        for (long page : pages[e - 1]) {
          byte[] b = new byte[PAGE];
          Arrays.fill(b, (byte) (16 * e + page));
          m.put(page * PAGE, b, 0, PAGE);
        }
        blob.bytes = new byte[] {(byte) e, (byte) e, (byte) e};
        assertEquals(e, cp.commit());
        region.put((long) e, contents(m));
        object.put((long) e, blob.bytes);
      }
    }
    editIndex(
        mv -> {
          r = names(mv).get(key(mv, "r:r"))[0];
          o = names(mv).get(key(mv, "o:o"))[0];
        });
  }

  @Test
  void aPageVersionMovedToAPageChangedLaterIsNotReplacedByAnOlderVersion() throws IOException {
    // epoch 2's version of page 1 now claims to be page 0, which has a newer version (epoch 3):
    // every newest version still matches its epoch's own entry, the counts still agree, and
    // page 1 at epoch 3 would read as epoch 1's
    damageIndex(
        "epoch 2's version of page 1 of r moved to page 0",
        mv -> move(versions(mv), new long[] {r, 1, 2}, new long[] {r, 0, 2}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aManifestVersionMovedToAnotherPartIsNotReplacedByAnOlderManifest() throws IOException {
    damageIndex(
        "epoch 3's manifest of o moved to part 1",
        mv -> move(versions(mv), new long[] {o, 0, 3}, new long[] {o, 1, 3}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aPageVersionMovedToAnEpochAfterTheTargetIsNotReplacedByAnOlderVersion() throws IOException {
    damageIndex(
        "epoch 2's version of page 1 of r moved to epoch 9",
        mv -> move(versions(mv), new long[] {r, 1, 2}, new long[] {r, 1, 9}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aStateEntryOfAnUndoneEpochMovedToAnotherPageDoesNotHideTheChangedPage() throws IOException {
    damageIndex(
        "epoch 4's state entry of r moved from page 1 to page 2",
        mv -> move(blocks(mv), new long[] {4, Journal.stateKey(r), 1}, new long[] {4, Journal.stateKey(r), 2}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aStateEntryOfAnUndoneEpochMovedToAnotherItemDoesNotHideTheChangedPage() throws IOException {
    damageIndex(
        "epoch 4's state entry of page 1 of r moved to another item",
        mv -> move(blocks(mv), new long[] {4, Journal.stateKey(r), 1}, new long[] {4, Journal.stateKey(r + 7), 1}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aLostStateEntryOfAnUndoneEpochDoesNotHideTheChangedPage() throws IOException {
    damageIndex(
        "epoch 4's state entry of page 1 of r removed",
        mv -> blocks(mv).remove(new long[] {4, Journal.stateKey(r), 1}));
    rollbackToThreeIsExactOrRefused();
  }

  @Test
  void aPageVersionMovedToAnotherPageIsRefusedAtOpen() throws IOException {
    damageIndex(
        "epoch 2's version of page 1 of r moved to page 0",
        mv -> move(versions(mv), new long[] {r, 1, 2}, new long[] {r, 0, 2}));
    try (Checkpointer cp = harness.open()) {
      CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.region("r", SIZE));
      assertEquals("index.mv", e.file().getFileName().toString());
    }
  }

  @Test
  void aManifestVersionMovedToAnotherPartIsRefusedAtOpen() throws IOException {
    damageIndex(
        "epoch 3's manifest of o moved to part 1",
        mv -> move(versions(mv), new long[] {o, 0, 3}, new long[] {o, 1, 3}));
    try (Checkpointer cp = harness.open()) {
      CorruptStoreException e =
          assertThrows(CorruptStoreException.class, () -> cp.register("o", new Blob()));
      assertEquals("index.mv", e.file().getFileName().toString());
    }
  }

  @Test
  void aLostNameIsNotTakenForANewEmptyRegion() throws IOException {
    // seen as the names map read back at a version from before the first commit
    damageIndex(
        "the name of r removed",
        mv -> names(mv).remove(key(mv, "r:r")));
    try (Checkpointer cp = harness.open()) {
      CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.region("r", SIZE));
      assertEquals("index.mv", e.file().getFileName().toString());
    }
  }

  @Test
  void namesAndVersionsLostTogetherAreNotTakenForANewEmptyRegion() throws IOException {
    // seen after a flip in MVStore's layout: both maps read back empty, and agree
    damageIndex(
        "the names and versions maps emptied",
        mv -> {
          names(mv).clear();
          versions(mv).clear();
        });
    try (Checkpointer cp = harness.open()) {
      CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.region("r", SIZE));
      assertEquals("index.mv", e.file().getFileName().toString());
    }
  }

  @Test
  void aNameMovedToAnotherKeyIsNotTakenForANewEmptyObject() throws IOException {
    damageIndex(
        "the name of o moved to another key",
        mv -> {
          String key = key(mv, "o:o");
          names(mv).put("o:p" + key.substring(3), names(mv).remove(key));
        });
    try (Checkpointer cp = harness.open()) {
      CorruptStoreException e =
          assertThrows(CorruptStoreException.class, () -> cp.register("o", new Blob()));
      assertEquals("index.mv", e.file().getFileName().toString());
    }
  }

  @Test
  void aNewRegionStartsEmptyInASoundStore() throws IOException {
    try (Checkpointer cp = harness.open()) {
      assertArrayEquals(new byte[SIZE], contents(cp.region("fresh", SIZE)));
      assertArrayEquals(region.get(4L), contents(cp.region("r", SIZE)));
    }
  }

  @Test
  void anEpochEntryNamingAnotherEpochIsFoundOnOpenAndTheIndexRebuilt() throws IOException {
    // a flipped id inside epoch 1's entry: r's Name record would be looked for in a segment
    // of that other id; the entry's checksum fails on open, and the index is rebuilt
    damageIndex(
        "an epoch id flipped inside epoch 1's entry",
        mv -> {
          MVMap<Long, byte[]> epochs =
              mv.openMap(
                  "epochs",
                  new MVMap.Builder<Long, byte[]>()
                      .keyType(LongDataType.INSTANCE)
                      .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
          byte[] entry = epochs.get(1L);
          entry[0] ^= (byte) 0xc1;
          epochs.put(1L, entry);
        });
    try (Checkpointer cp = harness.open()) {
      assertArrayEquals(region.get(4L), contents(cp.region("r", SIZE)));
      Blob blob = new Blob();
      cp.register("o", blob);
      assertArrayEquals(object.get(4L), blob.bytes);
    }
  }

  @Test
  void damageFoundWhileTheStoreIsInUseIsRepaired() throws IOException {
    // damage an open does not read (the names map): reported where it is used, then repaired
    damageIndex("the names and versions maps emptied", mv -> {
      names(mv).clear();
      versions(mv).clear();
    });
    try (Checkpointer cp = harness.open()) {
      assertThrows(CorruptStoreException.class, () -> cp.region("r", SIZE));
    }
    dev.metamori.RepairResult repaired = Checkpointer.repair(store);
    // an open does not read the names: the repair finds the damage by comparing with the rebuild
    // (r has 5 page versions, o a manifest in each of the 4 epochs)
    assertEquals(dev.metamori.RepairResult.IndexState.DAMAGED, repaired.index());
    assertEquals(
        "it differs from the segments and the catalogue: state versions: 9 entries differ; names: 2 entries differ",
        repaired.problem());
    assertEquals(2, repaired.names());
    try (Checkpointer cp = harness.open()) {
      assertArrayEquals(region.get(4L), contents(cp.region("r", SIZE)));
      Blob blob = new Blob();
      cp.register("o", blob);
      assertArrayEquals(object.get(4L), blob.bytes);
      cp.rollback(3);
      assertArrayEquals(region.get(3L), contents(cp.region("r", SIZE)));
    }
  }

  /**
   * Opens the store, loads r and o, rolls back from epoch 4 to 3 and reopens: at each step
   * the region and object are exactly as at the epoch, or the step is refused naming the
   * index (a refused rollback changes nothing).
   */
  private void rollbackToThreeIsExactOrRefused() throws IOException {
    try (Checkpointer cp = harness.open()) {
      MemoryRegion m;
      Blob blob = new Blob();
      try {
        m = cp.region("r", SIZE);
        cp.register("o", blob);
      } catch (CorruptStoreException refused) {
        assertEquals("index.mv", refused.file().getFileName().toString());
        return;
      }
      assertArrayEquals(region.get(4L), contents(m));
      assertArrayEquals(object.get(4L), blob.bytes);
      try {
        cp.rollback(3);
      } catch (CorruptStoreException refused) {
        assertEquals("index.mv", refused.file().getFileName().toString());
        assertArrayEquals(region.get(4L), contents(m), "a refused rollback changed the region");
        assertArrayEquals(object.get(4L), blob.bytes, "a refused rollback changed the object");
        return;
      }
      assertArrayEquals(region.get(3L), contents(m), "region r after the rollback to epoch 3");
      assertArrayEquals(object.get(3L), blob.bytes, "object o after the rollback to epoch 3");
    }
    try (Checkpointer cp = harness.open()) {
      assertEquals(3, cp.currentEpoch());
      Blob blob = new Blob();
      MemoryRegion m;
      try {
        m = cp.region("r", SIZE);
        cp.register("o", blob);
      } catch (CorruptStoreException refused) {
        assertEquals("index.mv", refused.file().getFileName().toString());
        return;
      }
      assertArrayEquals(region.get(3L), contents(m), "region r after reopening at epoch 3");
      assertArrayEquals(object.get(3L), blob.bytes, "object o after reopening at epoch 3");
    }
  }

  private static byte[] contents(MemoryRegion m) {
    byte[] all = new byte[(int) m.size()];
    m.get(0, all, 0, all.length);
    return all;
  }

  private static void move(MVMap<long[], Long> map, long[] from, long[] to) {
    Long value = map.remove(from);
    if (value == null) {
      throw new AssertionError("the index has no entry " + Arrays.toString(from));
    }
    map.put(to, value);
  }

  /** Changes the index as {@code what} says; the store is then not verified after the test. */
  private void damageIndex(String what, Consumer<MVStore> edit) {
    harness.skipVerifyAfter("the index is damaged on purpose: " + what);
    editIndex(edit);
  }

  private void editIndex(Consumer<MVStore> edit) {
    MVStore mv = new MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      edit.accept(mv);
      mv.commit();
    } finally {
      mv.close();
    }
  }

  private static MVMap<long[], Long> blocks(MVStore mv) {
    return tupleMap(mv, "blocks");
  }

  private static MVMap<long[], Long> versions(MVStore mv) {
    return tupleMap(mv, "versions");
  }

  private static MVMap<long[], Long> tupleMap(MVStore mv, String name) {
    return mv.openMap(
        name,
        new MVMap.Builder<long[], Long>()
            .keyType(LongTuple.INSTANCE)
            .valueType(LongDataType.INSTANCE));
  }

  /** The key of the (only) naming of {@code name}: {@code name NUL epoch}. */
  private static String key(MVStore mv, String name) {
    for (String key : names(mv).keySet()) {
      if (key.startsWith(name + '\0')) {
        return key;
      }
    }
    throw new AssertionError("no names entry for " + name);
  }

  private static MVMap<String, long[]> names(MVStore mv) {
    return mv.openMap(
        "names",
        new MVMap.Builder<String, long[]>()
            .keyType(StringDataType.INSTANCE)
            .valueType(LongTuple.INSTANCE));
  }
}
