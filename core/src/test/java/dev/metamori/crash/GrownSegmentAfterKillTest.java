package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import dev.metamori.testing.StoreCopies;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The working epoch's segment grows ahead of its Block records with zeros. A process killed
 * then leaves the zeros behind, all of them or (killed while growing) part of them: the store
 * must reopen at the last commit from any such cut, and from zeros with stray bytes among them
 * (what a power loss can leave), but report a hole among the records, with records after it, as
 * damage. A committed segment keeps no zeros. (Under SYSTEM durability segments do not grow
 * ahead.)
 *
 * <p>The state a SIGKILL leaves is taken as a copy of the store and the tree made while the
 * checkpointer is open: everything written is in the files, nothing more.
 */
class GrownSegmentAfterKillTest {
  private static final int FILE = 256 << 10;

  @TempDir Path tmp;

  private CrashStore store;
  private Path killedStore;
  private Path killedRoot;
  private TreeSnapshot committed;

  /** Epoch 1 committed, then first touches of many blocks in the working epoch, then a "kill". */
  private Path killWithAGrownWorkingSegment(Durability durability) throws IOException {
    Random random = new Random(11);
    store = new CrashStore(tmp.resolve("s")).create(random);
    byte[] big = new byte[FILE];
    random.nextBytes(big);
    Files.write(store.root.resolve("big"), big);
    killedStore = tmp.resolve("killed-store");
    killedRoot = tmp.resolve("killed-root");
    try (Checkpointer cp = Checkpointer.builder(store.store).track(store.root).durability(durability).open()) {
      write(cp, 0, 8); // blocks of epoch 1
      long e1 = cp.commit();
      Path segment = store.store.resolve("segments").resolve(String.format("%020d.seg", e1));
      assertEquals(cp.epochs().get(cp.epochs().size() - 1).bytesJournaled(), Files.size(segment), "a committed segment holds its records only");
      committed = CrashStore.tree(store.root);
      write(cp, 4, FILE / 4096); // the working epoch: first touches of every block but four
      StoreCopies.copy(store.store, killedStore, true);
      StoreCopies.copy(store.root, killedRoot, true);
      return killedStore.resolve("segments").resolve(String.format("%020d.seg", e1 + 1));
    }
  }

  private void write(Checkpointer cp, int fromBlock, int toBlock) throws IOException {
    Path big = cp.fileSystem().getPath(store.root.resolve("big").toString());
    try (FileChannel c = FileChannel.open(big, StandardOpenOption.WRITE)) {
      for (int b = fromBlock; b < toBlock; b++) {
        c.write(ByteBuffer.wrap(new byte[] {(byte) b, 1, 2, 3}), b * 4096L + 100);
      }
    }
  }

  /** The store and tree as killed, with the working segment cut to {@code size} bytes. */
  private void restoreKilledState(Path killedSegment, long size) throws IOException {
    StoreCopies.replace(killedStore, store.store, true);
    StoreCopies.replace(killedRoot, store.root, true);
    try (FileChannel c = FileChannel.open(segmentIn(store.store, killedSegment), StandardOpenOption.WRITE)) {
      c.truncate(size);
    }
  }

  private static Path segmentIn(Path storeDir, Path killedSegment) {
    return storeDir.resolve("segments").resolve(killedSegment.getFileName());
  }

  private static long lastNonZero(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    int i = bytes.length - 1;
    while (i >= 0 && bytes[i] == 0) {
      i--;
    }
    return i;
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "NONE"})
  void aStoreKilledWithZerosAfterItsRecordsReopensAtTheLastCommitFromAnyCutOfThem(Durability durability)
      throws IOException {
    Path killedSegment = killWithAGrownWorkingSegment(durability);
    long size = Files.size(killedSegment);
    long records = lastNonZero(killedSegment) + 1 + 3; // the last checksum may end in zero bytes
    assertTrue(size - records > 4096, "the working segment grew ahead: " + size + " bytes, records end about " + records);
    for (long cut : new long[] {size, size - 1, records + 4096, records + 2, records}) {
      restoreKilledState(killedSegment, cut);
      assertReopensAtTheLastCommit("cut at " + cut);
    }
  }

  private void assertReopensAtTheLastCommit(String what) throws IOException {
    try (Checkpointer cp = store.open()) {
      assertEquals(1, cp.currentEpoch(), what);
      assertEquals(committed, CrashStore.tree(store.root), what);
      assertEquals(java.util.List.of(), cp.verify(), what);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "NONE"})
  void aStrayByteAmongTheZerosLosesNothingButAHoleAmongTheRecordsIsReportedAsDamage(Durability durability)
      throws IOException {
    Path killedSegment = killWithAGrownWorkingSegment(durability);
    long size = Files.size(killedSegment);
    restoreKilledState(killedSegment, size);
    Path segment = segmentIn(store.store, killedSegment);
    try (FileChannel c = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {0x21}), (lastNonZero(killedSegment) + size) / 2);
    }
    assertReopensAtTheLastCommit("a stray byte among the zeros");
    restoreKilledState(killedSegment, size);
    try (FileChannel c = FileChannel.open(segment, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.allocate(4096), 3 * 4096); // records follow it
    }
    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> store.open().close());
    assertTrue(e.getMessage().contains(killedSegment.getFileName().toString()), e.getMessage());
  }
}
