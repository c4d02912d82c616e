package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code metamori repair}: the index rebuilt from the segments and the catalogue, and what it found. */
class RepairCommandTest {
  @TempDir Path tmp;
  Path data;
  Path store;
  /** What {@code metamori log} printed of the sound store. */
  String log;

  /**
   * Epoch 1 "first", 2 "second" (a region named), 3 (an object named), a restore to 2 and
   * epoch 4, a branch (the object named again on it), and, after a reopening that asks for no
   * region or object, epoch 5 "nothing", which changes nothing and so has no segment.
   */
  @BeforeEach
  void aStoreWithABranch() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    store = tmp.resolve("store");
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Path a = cp.fileSystem().getPath(data.resolve("a").toString());
      Files.writeString(a, "one");
      cp.commit("first");
      Files.writeString(a, "two");
      MemoryRegion grid = cp.region("grid", 8192);
      grid.buffer().putLong(0, 7);
      cp.commit("second");
      Files.writeString(a, "three");
      cp.register("model", new CliTest.Blob());
      cp.commit();
      cp.restore(2);
      Files.writeString(a, "four");
      cp.commit();
    }
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      cp.commit("nothing");
    }
    CliTest.Run r = CliTest.run("-s", store.toString(), "log");
    assertEquals(0, r.code(), r.err());
    log = r.out();
  }

  @Test
  void aDeletedIndexIsRebuiltAndTheStoreIsAsItWas() throws IOException {
    Files.delete(store.resolve("index.mv"));
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().split("\n");
    assertEquals("index.mv was missing: it is missing", lines[0]);
    assertEquals(
        "rebuilt from 4 segments (" + records() + " records) and the catalogue: 6 epochs, 6 listed (3 labelled),"
            + " 3 names of regions and objects; current epoch 5",
        lines[1]);
    assertEquals("tracked roots: " + data.toRealPath(), lines[2]);
    assertEquals(3, lines.length, r.out());
    assertEquals(log, CliTest.run("-s", store.toString(), "log").out(), "the log of the repaired store");
    assertEquals(0, CliTest.run("-s", store.toString(), "verify").code());
    assertEquals(0, CliTest.run("-s", store.toString(), "restore", "first").code());
    assertEquals("one", Files.readString(data.resolve("a")));
  }

  @Test
  void anOlderCopyOfTheIndexIsFoundStale() throws IOException {
    byte[] sound = Files.readAllBytes(store.resolve("index.mv"));
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      Files.writeString(cp.fileSystem().getPath(data.resolve("a").toString()), "five");
      cp.commit("later");
      Files.writeString(cp.fileSystem().getPath(data.resolve("a").toString()), "six");
      cp.commit();
    }
    String later = CliTest.run("-s", store.toString(), "log").out();
    Files.write(store.resolve("index.mv"), sound);
    CliTest.Run r = CliTest.run("-s", store.toString(), "repair");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().startsWith("index.mv was stale: segment 00000000000000000006.seg holds committed epoch 6, which the"
            + " index does not list (its next epoch is 6)\n"),
        r.out());
    assertTrue(r.out().contains("current epoch 7"), r.out());
    assertEquals(later, CliTest.run("-s", store.toString(), "log").out());
  }

  @Test
  void aSoundIndexIsSaidToBeSoundAndRebuiltAnyway() throws IOException {
    byte[] before = Files.readAllBytes(store.resolve("index.mv"));
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("index.mv was sound\nrebuilt from 4 segments"), r.out());
    assertFalse(java.util.Arrays.equals(before, Files.readAllBytes(store.resolve("index.mv"))), "a new file");
    assertEquals(log, CliTest.run("-s", store.toString(), "log").out());
  }

  @Test
  void damageAnOpenDoesNotReadIsFoundByComparingWithTheRebuiltIndex() throws IOException {
    org.h2.mvstore.MVStore mv = new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      mv.openMap("versions").clear(); // the versions of the region's pages
      mv.commit();
    } finally {
      mv.close();
    }
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().startsWith("index.mv was damaged: it differs from the segments and the catalogue: state versions: "),
        r.out());
    CliTest.Run again = CliTest.run("repair", store.toString());
    assertTrue(again.out().startsWith("index.mv was sound\n"), again.out());
  }

  @Test
  void verifyPointsToRepairWhenOnlyTheIndexIsDamaged() throws IOException {
    org.h2.mvstore.MVStore mv = new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      org.h2.mvstore.MVMap<long[], byte[]> runs =
          mv.openMap(
              "offsets",
              new org.h2.mvstore.MVMap.Builder<long[], byte[]>()
                  .keyType(new Tuple())
                  .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE));
      long[] offsets = decodeRun(runs.get(new long[] {1, 0}));
      offsets[0] = 41; // epoch 1's first record: its offset now points elsewhere
      runs.put(new long[] {1, 0}, encodeRun(offsets));
      mv.commit();
    } finally {
      mv.close();
    }
    CliTest.Run verify = CliTest.run("-s", store.toString(), "verify");
    assertEquals(Main.DAMAGE, verify.code(), verify.out());
    assertTrue(verify.out().startsWith("damage: index.mv (epoch 1): the index's record offsets do not match"), verify.out());
    assertTrue(verify.out().endsWith("; rebuild the index from the segments with metamori repair\n"), verify.out());
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertTrue(r.out().startsWith("index.mv was damaged: it differs from the segments and the catalogue: record offsets: 1 entry differs\n"), r.out());
    assertEquals(0, CliTest.run("-s", store.toString(), "verify").code());
  }

  @Test
  void aPrunedStoreIsFoundSound() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      cp.prune(dev.metamori.RetentionPolicy.keepLast(1)); // epochs 4 and 2 hold state: compacted archives
    }
    Path segments = store.resolve("segments");
    assertTrue(Files.exists(segments.resolve(String.format("%020d.seg", 2))), "epoch 2 is an archive");
    assertFalse(Files.exists(segments.resolve(String.format("%020d.seg", 1))), "epoch 1 is deleted");
    String pruned = CliTest.run("-s", store.toString(), "log").out();
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().startsWith("index.mv was sound\n"), r.out());
    assertEquals(pruned, CliTest.run("-s", store.toString(), "log").out());
  }

  @Test
  void jsonSaysWhatWasFound() throws IOException {
    flipFlagsOfTheNewestEntryOf(store.resolve("index.mv"));
    CliTest.Run r = CliTest.run("repair", store.toString(), "--json");
    assertEquals(0, r.code(), r.err());
    String json = r.out().trim();
    assertTrue(json.startsWith("{\"store\":\"" + store + "\",\"index\":\"damaged\",\"problem\":\""), json);
    assertTrue(
        json.endsWith(
            "\"catalogueProblem\":null,\"segments\":4,\"records\":" + records() + ",\"epochs\":6,\"listedEpochs\":6,"
                + "\"labelledEpochs\":3,\"names\":3,\"currentEpoch\":5,\"roots\":[\"" + data.toRealPath() + "\"]}"),
        json);
    assertEquals(log, CliTest.run("-s", store.toString(), "log").out());
  }

  @Test
  void aDamagedSegmentCannotBeRebuiltPastAndChangesNothing() throws IOException {
    Path segment = store.resolve("segments").resolve(String.format("%020d.seg", 2));
    try (FileChannel c = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, 60);
      b.put(0, (byte) ~b.get(0));
      c.write(b.flip(), 60);
    }
    byte[] index = Files.readAllBytes(store.resolve("index.mv"));
    CliTest.Run r = CliTest.run("repair", store.toString());
    assertEquals(Main.DAMAGE, r.code(), r.out());
    assertTrue(r.err().startsWith("metamori: corrupt store: "), r.err());
    assertTrue(r.err().contains(segment.getFileName().toString()), r.err());
    assertArrayEquals(index, Files.readAllBytes(store.resolve("index.mv")), "the index is left as it was");
  }

  @Test
  void aStoreInUseOrNoStoreIsRefused() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      CliTest.Run r = CliTest.run("repair", store.toString());
      assertEquals(Main.LOCKED, r.code(), r.err());
    }
    CliTest.Run none = CliTest.run("repair", data.toString());
    assertEquals(Main.USAGE, none.code());
    assertTrue(none.err().contains("is not a Metamori store"), none.err());
    assertEquals(Main.USAGE, CliTest.run("repair").code());
  }

  /** Records in the segments of epochs 1 to 4 (epoch 5 has none). */
  private long records() throws IOException {
    long n = 0;
    for (int e = 1; e <= 4; e++) {
      n += framesIn(store.resolve("segments").resolve(String.format("%020d.seg", e)));
    }
    return n;
  }

  private static long framesIn(Path segment) throws IOException {
    ByteBuffer all = ByteBuffer.wrap(Files.readAllBytes(segment));
    long n = 0;
    for (int at = 40; at + 4 <= all.limit(); at += all.getInt(at)) {
      n++;
    }
    return n;
  }

  /** Flips a flag bit of the newest entry of epoch 4 (whose entry is checksummed). */
  private static void flipFlagsOfTheNewestEntryOf(Path index) throws IOException {
    byte[] bytes = Files.readAllBytes(index);
    ByteBuffer b = ByteBuffer.wrap(bytes);
    for (int start = bytes.length - 68; start >= 0; start--) {
      if (b.getLong(start) == 4 && b.getLong(start + 8) == 2 && b.getLong(start + 56) == 0) {
        bytes[start + 63] ^= 1;
        Files.write(index, bytes);
        return;
      }
    }
    throw new AssertionError("no entry of epoch 4 in " + index);
  }

  /** A run of record offsets as the index keeps it (docs/format.md, "index.mv", {@code offsets}). */
  static long[] decodeRun(byte[] run) {
    ByteBuffer in = ByteBuffer.wrap(run, 0, run.length - 4);
    long[] offsets = new long[in.getInt()];
    offsets[0] = in.getLong();
    for (int i = 1; i < offsets.length; i++) {
      long delta = 0;
      int shift = 0;
      byte b;
      do {
        b = in.get();
        delta |= (long) (b & 0x7F) << shift;
        shift += 7;
      } while (b < 0);
      offsets[i] = offsets[i - 1] + delta;
    }
    return offsets;
  }

  static byte[] encodeRun(long[] offsets) {
    ByteBuffer out = ByteBuffer.allocate(16 + 10 * offsets.length);
    out.putInt(offsets.length).putLong(offsets[0]);
    for (int i = 1; i < offsets.length; i++) {
      long delta = offsets[i] - offsets[i - 1];
      while ((delta & ~0x7FL) != 0) {
        out.put((byte) ((delta & 0x7F) | 0x80));
        delta >>>= 7;
      }
      out.put((byte) delta);
    }
    out.putInt(
        net.jpountz.xxhash.XXHashFactory.fastestInstance().hash32().hash(out.array(), 0, out.position(), 0x4d544d52));
    return java.util.Arrays.copyOf(out.array(), out.position());
  }

  static final class Tuple extends org.h2.mvstore.type.BasicDataType<long[]> {
    @Override
    public int getMemory(long[] key) {
      return 24 + 8 * key.length;
    }

    @Override
    public void write(org.h2.mvstore.WriteBuffer buffer, long[] key) {
      buffer.putVarInt(key.length);
      for (long k : key) {
        buffer.putVarLong(k);
      }
    }

    @Override
    public long[] read(ByteBuffer buffer) {
      long[] key = new long[org.h2.mvstore.DataUtils.readVarInt(buffer)];
      for (int i = 0; i < key.length; i++) {
        key[i] = org.h2.mvstore.DataUtils.readVarLong(buffer);
      }
      return key;
    }

    @Override
    public int compare(long[] a, long[] b) {
      return java.util.Arrays.compare(a, b);
    }

    @Override
    public long[][] createStorage(int size) {
      return new long[size][];
    }
  }
}
