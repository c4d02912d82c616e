package dev.metamori;

import dev.metamori.testing.StoreExtension;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.VolatileStateModel.Numbers;
import dev.metamori.testing.Blob;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Memory regions, registered objects and listeners, committed and rolled back with files. */
class VolatileStateTest {
  @RegisterExtension final StoreExtension harness = StoreExtension.create();
  Path data;
  Path store;
  Checkpointer cp;

  @BeforeEach
  void open() {
    data = harness.root();
    store = harness.store();
    cp = harness.cp();
  }

  /** {@code name} in the tracked tree, through the journaling file system. */
  private Path tracked(String name) {
    return cp.fileSystem().getPath(data.resolve(name).toString());
  }

  private void reopen() throws IOException {
    cp = harness.reopen();
  }



  private static byte[] read(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return all;
  }

  @Test
  void aRegionRollsBackWithTheFilesOfItsEpochAndToZerosBeforeItExisted() throws IOException {
    MemoryRegion grid = cp.region("grid", 3 * 4096 + 100);
    assertArrayEquals(new byte[(int) grid.size()], read(grid), "a new region is zeroed");
    grid.buffer().putDouble(8, 1.5);
    grid.putLong(grid.size() - 8, 42);
    Files.writeString(tracked("step.txt"), "one");
    long one = cp.commit();
    byte[] atOne = read(grid);

    grid.buffer().putDouble(8, 2.5);
    grid.put(5000, (byte) 7);
    Files.writeString(tracked("step.txt"), "two");
    long two = cp.commit();
    byte[] atTwo = read(grid);
    grid.putLong(100, -1); // uncommitted

    cp.rollback(one);
    assertArrayEquals(atOne, read(grid));
    assertEquals("one", Files.readString(data.resolve("step.txt")));
    cp.restore(two);
    assertArrayEquals(atTwo, read(grid), "restoring the newer epoch redoes the region too");
    assertEquals("two", Files.readString(data.resolve("step.txt")));
    assertThrows(NoSuchEpochException.class, () -> cp.restore(two + 1));

    grid.put(9000, (byte) 9);
    cp.rollback(0);
    assertArrayEquals(new byte[(int) grid.size()], read(grid));
    assertTrue(Files.notExists(data.resolve("step.txt")));
    assertTrue(atTwo[5000] == 7);
  }

  @Test
  void aNewProcessGetsTheRegionAndObjectsAsLastCommitted() throws IOException {
    MemoryRegion grid = cp.region("grid", 10_000);
    Numbers numbers = new Numbers();
    cp.register("numbers", numbers);
    grid.putLong(4090, 123456789L); // straddles two pages
    numbers.values.add(7L);
    numbers.values.add(8L);
    cp.commit();
    byte[] committed = read(grid);
    grid.putLong(0, 5);
    numbers.values.add(9L); // not committed
    reopen();

    MemoryRegion again = cp.region("grid", 10_000);
    assertArrayEquals(committed, read(again));
    assertSame(again, cp.region("grid", 10_000));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> cp.region("grid", 20_000));
    assertTrue(e.getMessage().contains("10000"), e.getMessage());
    Numbers restored = new Numbers();
    cp.register("numbers", restored);
    assertEquals(List.of(7L, 8L), restored.values);
    assertThrows(IllegalStateException.class, () -> cp.register("numbers", new Numbers()));
  }

  @Test
  void objectsRollBackAndOneRegisteredAfterTheTargetIsLeftAlone() throws IOException {
    Numbers numbers = new Numbers();
    cp.register("numbers", numbers);
    numbers.values.add(1L);
    long one = cp.commit();
    numbers.values.add(2L);
    Numbers later = new Numbers();
    cp.register("later", later);
    later.values.add(99L);
    cp.commit();
    numbers.values.add(3L);

    cp.rollback(one);
    assertEquals(List.of(1L), numbers.values);
    assertEquals(List.of(99L), later.values);
    later.values.add(100L);
    cp.commit();
    reopen();
    Numbers back = new Numbers();
    cp.register("later", back);
    assertEquals(List.of(99L, 100L), back.values);
  }

  @Test
  void aSmallChangeInALargeStateStoresAboutOneChunkAndOnePage() throws IOException {
    Blob blob = new Blob();
    blob.bytes = new byte[4 << 20];
    new Random(1).nextBytes(blob.bytes);
    cp.register("blob", blob);
    MemoryRegion region = cp.region("big", 64L << 20);
    byte[] noise = new byte[1 << 20];
    new Random(2).nextBytes(noise);
    for (long at = 0; at < region.size(); at += noise.length) {
      region.put(at, noise, 0, noise.length);
    }
    cp.commit();
    List<Epoch> epochs = cp.epochs();
    long first = epochs.get(epochs.size() - 1).bytesJournaled();
    assertTrue(first > (64L << 20), "the first commit stores everything: " + first);

    blob.bytes[2_000_000] ^= 1;
    region.putLong(40L << 20, 77);
    cp.commit();
    epochs = cp.epochs();
    long second = epochs.get(epochs.size() - 1).bytesJournaled();
    assertTrue(second < 200_000, "one changed chunk and one changed page: " + second + " bytes");

    byte[] before = blob.bytes.clone();
    blob.bytes[10] ^= 1;
    cp.rollback(epochs.get(epochs.size() - 1).id());
    assertArrayEquals(before, blob.bytes);
  }

  @Test
  void commitAsyncCapturesTheInstantAndTheApplicationGoesOnWriting() throws Exception {
    MemoryRegion region = cp.region("r", 8192);
    Numbers numbers = new Numbers();
    cp.register("numbers", numbers);
    Path file = tracked("f.txt");
    Files.writeString(file, "captured");
    region.putLong(0, 1);
    numbers.values.add(1L);
    CompletableFuture<Long> future = cp.commitAsync();
    // after capture: these belong to the next epoch, whether or not the commit is durable yet
    Files.writeString(file, "after");
    region.putLong(0, 2);
    numbers.values.add(2L);
    long epoch = future.join();
    assertEquals(epoch, cp.currentEpoch());
    cp.rollback(epoch);
    assertEquals("captured", Files.readString(file));
    assertEquals(1, region.getLong(0));
    assertEquals(List.of(1L), numbers.values);
  }

  @Test
  void listenersAreCalledAroundCommitAndRollbackAndCanCancelACommit() throws IOException {
    List<String> calls = new ArrayList<>();
    boolean[] refuse = {false};
    cp.addListener(
        new CheckpointListener() {
          @Override
          public void beforeCheckpoint() {
            calls.add("before");
            if (refuse[0]) {
              throw new IllegalStateException("not now");
            }
          }

          @Override
          public void afterCheckpoint(long epoch) {
            calls.add("after " + epoch);
          }

          @Override
          public void beforeRestore(long epoch) {
            calls.add("beforeRestore " + epoch);
          }

          @Override
          public void afterRestore(long epoch) {
            calls.add("afterRestore " + epoch);
          }
        });
    long one = cp.commit();
    refuse[0] = true;
    CheckpointException e = assertThrows(CheckpointException.class, cp::commit);
    assertTrue(e.getMessage().contains("not now"), e.getMessage());
    assertEquals(one, cp.currentEpoch());
    assertEquals(2, cp.epochs().size());
    refuse[0] = false;
    cp.rollback(0);
    assertEquals(
        List.of("before", "after " + one, "before", "beforeRestore 0", "afterRestore 0"), calls);
    assertTrue(cp.commit() > one, "the checkpointer still commits after a cancelled commit");
  }

  @Test
  void aRegionLargerThanOneBufferWorksThroughBuffersAndLongOffsets() throws IOException {
    long size = (2L << 30) + 8192;
    MemoryRegion big = cp.region("big", size);
    assertThrows(IllegalStateException.class, big::buffer);
    List<ByteBuffer> buffers = big.buffers();
    assertEquals(size, buffers.stream().mapToLong(ByteBuffer::capacity).sum());
    big.putLong(size - 8, 11);
    big.putLong(1L << 31, 22);
    long one = cp.commit();
    big.putLong(size - 8, 33);
    big.putLong(100, 44);
    cp.rollback(one);
    assertEquals(11, big.getLong(size - 8));
    assertEquals(22, big.getLong(1L << 31));
    assertEquals(0, big.getLong(100));
  }

  @Test
  void saveFailureCancelsTheCommitAndLosesNoChange() throws IOException {
    MemoryRegion region = cp.region("r", 4096);
    boolean[] fail = {true};
    cp.register(
        "fragile",
        new Checkpointable() {
          @Override
          public void save(OutputStream out) throws IOException {
            if (fail[0]) {
              throw new IOException("disk of the mind is full");
            }
            out.write(1);
          }

          @Override
          public void restore(InputStream in) {}
        });
    region.putLong(0, 5);
    assertThrows(IOException.class, cp::commit);
    assertEquals(0, cp.currentEpoch());
    fail[0] = false;
    long epoch = cp.commit();
    region.putLong(0, 6);
    cp.rollback(epoch);
    assertEquals(5, region.getLong(0), "the page changed before the failed commit was stored by the next");
    cp.close();
    // the object whose first commit was cancelled is named by the commit that stored it
    byte[][] restored = {null};
    try (Checkpointer again = harness.builder().open()) {
      again.register(
          "fragile",
          new Checkpointable() {
            @Override
            public void save(OutputStream out) {}

            @Override
            public void restore(InputStream in) throws IOException {
              restored[0] = in.readAllBytes();
            }
          });
    }
    assertArrayEquals(new byte[] {1}, restored[0]);
  }

  @Test
  void emptyObjectsAndUnchangedRegionsCommit() throws IOException {
    Blob blob = new Blob();
    cp.register("empty", blob);
    cp.region("quiet", 4096);
    long one = cp.commit();
    long two = cp.commit();
    blob.bytes = new byte[] {1};
    cp.rollback(one);
    assertEquals(0, blob.bytes.length);
    assertTrue(two > one);
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    blob.save(sink);
    assertEquals(0, sink.size());
  }

  @Test
  void aDamagedPageIsReportedAndNeverLoadedOrRestoredSilently() throws IOException {
    MemoryRegion region = cp.region("r", 4 * 4096);
    byte[] noise = new byte[4 * 4096];
    new Random(3).nextBytes(noise);
    region.put(0, noise, 0, noise.length);
    long one = cp.commit();
    region.putLong(0, 1);
    cp.commit();
    cp.close();
    Path segment = store.resolve(String.format("segments/%020d.seg", one));
    byte[] bytes = Files.readAllBytes(segment);
    bytes[bytes.length / 2] ^= 0x40; // inside one of the incompressible pages
    Files.write(segment, bytes);
    harness.skipVerifyAfter("a page of a committed segment is damaged on purpose; the test asserts what verify() reports");
    cp = harness.open();
    assertEquals(1, cp.verify().size());
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.region("r", 4 * 4096));
    assertEquals(segment.toRealPath(), e.file().toRealPath());
  }
}
