package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Damage the corruption properties found: each is refused, never read as something else. Every
 * test damages its store on purpose, so none is verified after it.
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

  private void writeEpochs(Checkpointer cp, int epochs) throws IOException {
    FileSystem fs = cp.fileSystem();
    Path f = fs.getPath(data.resolve("f").toString());
    for (int e = 1; e <= epochs; e++) {
      Files.write(fs.getPath(data.resolve("new" + e).toString()), new byte[] {(byte) e});
      try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {(byte) e}), 100);
      }
      cp.commit();
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

  @Test
  void anIndexThatLostCommitsIsRefused() throws IOException {
    harness.skipVerifyAfter("the index is put back as it was three commits ago");
    writeEpochs(cp, 1);
    cp.close();
    byte[] early = Files.readAllBytes(store.resolve("index.mv"));
    writeEpochs(harness.open(), 3);
    harness.cp().close();
    // the index as it was three commits ago (what MVStore reads from a truncated file)
    Files.write(store.resolve("index.mv"), early);
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals("index.mv", e.file().getFileName().toString());
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
  void aDamagedParentLinkInTheIndexIsReportedAsDamageOfTheIndex() throws IOException {
    harness.skipVerifyAfter("the parent of epoch 2 is changed in the index");
    writeEpochs(cp, 3);
    cp.close();
    org.h2.mvstore.MVStore mv =
        new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      org.h2.mvstore.MVMap<Long, byte[]> epochs =
          mv.openMap(
              "epochs",
              new org.h2.mvstore.MVMap.Builder<Long, byte[]>()
                  .keyType(org.h2.mvstore.type.LongDataType.INSTANCE)
                  .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
      byte[] two = epochs.get(2L);
      ByteBuffer.wrap(two).putLong(8, 7); // parent of epoch 2: 7 instead of 1
      epochs.put(2L, two);
      mv.commit();
    } finally {
      mv.close();
    }
    // the open's recovery walks the line from the current epoch to epoch 0 and finds the damage
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals("index.mv", e.file().getFileName().toString());
  }

  @Test
  void aDamagedBlockSizeInTheIndexIsRefusedBeforeAnyBlockIsRestoredInTheWrongPlace() throws IOException {
    harness.skipVerifyAfter("the block size in the index is changed");
    writeEpochs(cp, 2);
    cp.close();
    org.h2.mvstore.MVStore mv =
        new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      mv.openMap(
              "meta",
              new org.h2.mvstore.MVMap.Builder<String, Long>()
                  .keyType(org.h2.mvstore.type.StringDataType.INSTANCE)
                  .valueType(org.h2.mvstore.type.LongDataType.INSTANCE))
          .put("blockSize", 1024L);
      mv.commit();
    } finally {
      mv.close();
    }
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals("index.mv", e.file().getFileName().toString());
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

  @Test
  void aCurrentEpochOlderThanTheNewestListedIsRefused() throws IOException {
    harness.skipVerifyAfter("the current epoch in the index is set back to 0");
    writeEpochs(cp, 3);
    cp.close();
    editIndex(
        mv ->
            mv.openMap(
                    "meta",
                    new org.h2.mvstore.MVMap.Builder<String, Long>()
                        .keyType(org.h2.mvstore.type.StringDataType.INSTANCE)
                        .valueType(org.h2.mvstore.type.LongDataType.INSTANCE))
                .put("current", 0L));
    CorruptStoreException e = assertThrows(CorruptStoreException.class, harness::open);
    assertEquals("index.mv", e.file().getFileName().toString());
  }

  @Test
  void anEpochWhoseSegmentTheIndexNoLongerNamesIsNotSkippedByARollback() throws IOException {
    harness.skipVerifyAfter("the segment nonce of epoch 2 is cleared in the index");
    writeEpochs(cp, 3);
    cp.close();
    editIndex(
        mv -> {
          byte[] two = epochsOf(mv).get(2L);
          ByteBuffer.wrap(two).putLong(48, 0); // the segment nonce: "changed nothing"
          epochsOf(mv).put(2L, two);
        });
    Checkpointer reopened = harness.open();
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> reopened.rollback(1));
    assertEquals("index.mv", e.file().getFileName().toString());
    reopened.close();
    assertEquals(true, Files.exists(data.resolve("new3")));
  }
}
