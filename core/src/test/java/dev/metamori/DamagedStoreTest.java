package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Damage the corruption properties found: damage to a segment is refused, never read as
 * something else; damage to the index alone is found on open and the index rebuilt from the
 * segments and the catalogue (the store is then verified after the test, as any other).
 */
class DamagedStoreTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withTree(root -> Files.write(root.resolve("f"), new byte[8192]));

  Path data;
  Path store;
  Checkpointer cp;

  @BeforeEach
  void aTrackedTree() {
    data = harness.root();
    store = harness.store();
    cp = harness.cp();
  }

  /** The trees at each epoch {@link #writeEpochs} committed, and at epoch 0. */
  final java.util.Map<Long, TreeSnapshot> trees = new java.util.HashMap<>();

  private void writeEpochs(Checkpointer cp, int epochs) throws IOException {
    trees.putIfAbsent(0L, TreeSnapshot.exact(data));
    FileSystem fs = cp.fileSystem();
    Path f = fs.getPath(data.resolve("f").toString());
    for (int e = 1; e <= epochs; e++) {
      Files.write(fs.getPath(data.resolve("new" + e).toString()), new byte[] {(byte) e});
      try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {(byte) e}), 100);
      }
      trees.put(cp.commit(), TreeSnapshot.exact(data));
    }
  }

  private Path segment(long epoch) {
    return store.resolve("segments").resolve(String.format("%020d.seg", epoch));
  }

  private static void xor(Path file, long offset, int mask) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset);
      b.put(0, (byte) (b.get(0) ^ mask));
      c.write(b.flip(), offset);
    }
  }

  @Test
  void aDamagedLengthInTheUncommittedSegmentIsNotReadAsATornTail() throws IOException {
    harness.skipVerifyAfter("the length of the first frame of the uncommitted segment is damaged");
    writeEpochs(cp, 1);
    Files.write(harness.path("g"), new byte[] {1});
    Files.write(harness.path("h"), new byte[] {2});
    cp.close();
    // the first frame's length now runs past the end of the file, like a torn append
    xor(segment(2), 40, 0x7f);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals(segment(2).getFileName(), e.file().getFileName());
  }

  /**
   * Reopens the store after damage to its index alone: the open rebuilds the index from the
   * segments and the catalogue, and the store lists the same epochs, is at the same epoch, has
   * the trees of that epoch, verifies clean and restores exactly to {@code target}.
   */
  private void assertRebuiltAsBefore(List<Epoch> epochs, long current, long target) throws IOException {
    TreeSnapshot before = TreeSnapshot.exact(data);
    Checkpointer reopened = harness.open();
    assertEquals(epochs, reopened.epochs(), "the epochs of the rebuilt index");
    assertEquals(current, reopened.currentEpoch());
    before.assertSameAs(TreeSnapshot.exact(data), "after the open that rebuilt the index");
    assertEquals(List.of(), reopened.verify());
    reopened.rollback(target);
    trees.get(target).assertSameAs(TreeSnapshot.exact(data), "after a restore to epoch " + target);
    reopened.rollback(current);
    trees.get(current).assertSameAs(TreeSnapshot.exact(data), "after a restore back to epoch " + current);
    reopened.close();
  }

  @Test
  void anIndexThatLostCommitsIsRebuiltFromTheSegments() throws IOException {
    writeEpochs(cp, 1);
    cp.close();
    byte[] early = Files.readAllBytes(store.resolve("index.mv"));
    writeEpochs(harness.open(), 3);
    List<Epoch> epochs = harness.cp().epochs();
    harness.cp().close();
    // the index as it was three commits ago (what MVStore reads from a truncated file)
    Files.write(store.resolve("index.mv"), early);
    assertRebuiltAsBefore(epochs, 4, 2);
  }

  @Test
  void aMissingCommittedSegmentStopsARollbackAsDamage() throws IOException {
    harness.skipVerifyAfter("the segment of committed epoch 2 is deleted");
    writeEpochs(cp, 2);
    Files.delete(segment(2));
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.rollback(0));
    assertEquals(segment(2).getFileName(), e.file().getFileName());
  }

  @Test
  void aDamagedParentLinkInTheIndexIsFoundOnOpenAndTheIndexRebuilt() throws IOException {
    writeEpochs(cp, 3);
    List<Epoch> epochs = cp.epochs();
    cp.close();
    editIndex(
        mv -> {
          byte[] two = epochsOf(mv).get(2L);
          ByteBuffer.wrap(two).putLong(8, 7); // parent of epoch 2: 7 instead of 1
          epochsOf(mv).put(2L, two);
        });
    assertRebuiltAsBefore(epochs, 3, 1);
  }

  @Test
  void aDamagedBlockSizeInTheIndexIsFoundBeforeAnyBlockIsRestoredInTheWrongPlace() throws IOException {
    writeEpochs(cp, 2);
    List<Epoch> epochs = cp.epochs();
    cp.close();
    editIndex(mv -> metaOf(mv).put("blockSize", 1024L));
    assertRebuiltAsBefore(epochs, 2, 1);
  }

  private void editIndex(java.util.function.Consumer<org.h2.mvstore.MVStore> edit) {
    org.h2.mvstore.MVStore mv =
        new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      edit.accept(mv);
      mv.commit();
    } finally {
      mv.close();
    }
  }

  private static org.h2.mvstore.MVMap<Long, byte[]> epochsOf(org.h2.mvstore.MVStore mv) {
    return mv.openMap(
        "epochs",
        new org.h2.mvstore.MVMap.Builder<Long, byte[]>()
            .keyType(org.h2.mvstore.type.LongDataType.INSTANCE)
            .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
  }

  private static org.h2.mvstore.MVMap<String, Long> metaOf(org.h2.mvstore.MVStore mv) {
    return mv.openMap(
        "meta",
        new org.h2.mvstore.MVMap.Builder<String, Long>()
            .keyType(org.h2.mvstore.type.StringDataType.INSTANCE)
            .valueType(org.h2.mvstore.type.LongDataType.INSTANCE));
  }

  @Test
  void aCurrentEpochOlderThanTheNewestListedIsFoundOnOpenAndTheIndexRebuilt() throws IOException {
    writeEpochs(cp, 3);
    List<Epoch> epochs = cp.epochs();
    cp.close();
    editIndex(mv -> metaOf(mv).put("current", 0L));
    assertRebuiltAsBefore(epochs, 3, 0);
  }

  @Test
  void anEpochWhoseSegmentTheIndexNoLongerNamesIsFoundOnOpenAndTheIndexRebuilt() throws IOException {
    writeEpochs(cp, 3);
    List<Epoch> epochs = cp.epochs();
    cp.close();
    editIndex(
        mv -> {
          byte[] two = epochsOf(mv).get(2L);
          ByteBuffer.wrap(two).putLong(48, 0); // the segment nonce: "changed nothing"
          epochsOf(mv).put(2L, two);
        });
    assertRebuiltAsBefore(epochs, 3, 1);
  }

  @Test
  void aLostIndexIsRebuiltWithLabelsBranchesAndRoots() throws IOException {
    writeEpochs(cp, 2);
    cp.commit("empty"); // an epoch without a segment, known from the catalogue alone
    cp.rollback(1);
    Files.write(harness.path("branch"), new byte[] {9});
    cp.commit("branch");
    List<Epoch> epochs = cp.epochs();
    cp.close();
    Files.delete(store.resolve("index.mv"));
    // no roots given: the rebuilt index has them from the catalogue
    try (Checkpointer reopened = Checkpointer.builder(store).open()) {
      assertEquals(epochs, reopened.epochs());
      assertEquals(4, reopened.currentEpoch());
      assertEquals(3, reopened.epoch("empty").id());
      reopened.rollback(3);
      assertTrue(Files.exists(data.resolve("new2")) && !Files.exists(data.resolve("branch")));
    }
  }
}
