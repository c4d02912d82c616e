package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Epoch;
import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A store whose segments, redo files and catalogue segment format 1 wrote (xxHash32 frames)
 * opens, verifies, restores forward and back exactly, gets its index rebuilt from them, and
 * goes on with new epochs in format 2 (CRC32C frames) beside them; damage in one of its old
 * frames is found as before.
 */
class SegmentXxHashStoreTest {
  @RegisterExtension final StoreExtension harness = StoreExtension.create();

  Path store;
  /** The tracked tree at the commit of each epoch (0: empty). */
  final Map<Long, Map<String, String>> trees = new HashMap<>();
  List<Epoch> epochs;

  /**
   * Epochs 1 (a file of three blocks, another file), 2 (a block overwritten, a file deleted, a
   * directory created), 3 (the file cut short and grown), then restores to 1 and back to 3 (so
   * there are redo files); then the store's segments are turned into format 1.
   */
  @BeforeEach
  void aStoreOfFormatOneSegments() throws IOException {
    store = harness.store();
    Checkpointer cp = harness.cp();
    trees.put(0L, tree());
    Random random = new Random(11);
    byte[] a = new byte[3 * 4096 + 100];
    random.nextBytes(a);
    Files.write(harness.path("a"), a);
    Files.writeString(harness.path("b"), "bee");
    trees.put(cp.commit(), tree());
    try (FileChannel c = FileChannel.open(harness.path("a"), StandardOpenOption.WRITE)) {
      byte[] block = new byte[4096];
      random.nextBytes(block);
      c.write(ByteBuffer.wrap(block), 4096);
    }
    Files.delete(harness.path("b"));
    Files.createDirectories(harness.path("d/e"));
    Files.writeString(harness.path("d/e/f"), "eff");
    trees.put(cp.commit("two"), tree());
    try (FileChannel c = FileChannel.open(harness.path("a"), StandardOpenOption.WRITE)) {
      c.truncate(5000);
      c.write(ByteBuffer.wrap("tail".getBytes()), 9000);
    }
    trees.put(cp.commit(), tree());
    cp.restore(1);
    assertEquals(trees.get(1L), tree());
    cp.restore(3);
    assertEquals(trees.get(3L), tree());
    epochs = cp.epochs();
    cp.close();
    int files = OldFormatStores.withXxHashFrames(store);
    assertTrue(files >= 5, files + " files rewritten"); // 3 segments, 1+ redo files, the catalogue
    for (Path f : segmentFiles()) {
      assertEquals(1, version(f), f.toString());
    }
  }

  private Map<String, String> tree() throws IOException {
    Path root = harness.root();
    Map<String, String> all = new TreeMap<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        all.put(
            root.relativize(p).toString(),
            Files.isDirectory(p) ? "directory" : HexFormat.of().formatHex(Files.readAllBytes(p)));
      }
    }
    return all;
  }

  private List<Path> segmentFiles() throws IOException {
    try (Stream<Path> s = Files.list(store.resolve("segments"))) {
      return Stream.concat(s.sorted(), Stream.of(store.resolve("catalogue.seg"))).toList();
    }
  }

  private static int version(Path file) throws IOException {
    try (FileChannel c = FileChannel.open(file)) {
      ByteBuffer b = ByteBuffer.allocate(4);
      c.read(b, 8);
      return b.getInt(0);
    }
  }

  @Test
  void itVerifiesAndRestoresForwardAndBackExactly() throws IOException {
    Checkpointer cp = harness.open();
    assertEquals(List.of(), cp.verify());
    assertEquals(epochs, cp.epochs());
    for (long to : new long[] {2, 1, 0, 3, 1, 2}) {
      cp.restore(to);
      assertEquals(trees.get(to), tree(), "restored to " + to);
    }
    Files.writeString(harness.path("g"), "gee");
    long next = cp.commit(); // a branch from 2, written in format 2
    trees.put(next, tree());
    assertEquals(2, version(store.resolve("segments").resolve(String.format("%020d.seg", next))));
    for (long to : new long[] {3, next, 0, next, 1}) {
      cp.restore(to);
      assertEquals(trees.get(to), tree(), "restored to " + to);
    }
    assertEquals(List.of(), cp.verify());
    cp.close();
    Files.delete(store.resolve("index.mv"));
    cp = harness.open(); // the index rebuilt from segments of both formats
    assertEquals(List.of(), cp.verify());
    for (long to : new long[] {3, 0, next}) {
      cp.restore(to);
      assertEquals(trees.get(to), tree(), "restored to " + to + " after the rebuild");
    }
  }

  @Test
  void damageInAnXxHashFrameIsFound() throws IOException {
    harness.skipVerifyAfter("a record of epoch 2 is damaged on purpose");
    Path two = store.resolve("segments").resolve(String.format("%020d.seg", 2));
    try (FileChannel c = FileChannel.open(two, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, 300);
      c.write(ByteBuffer.wrap(new byte[] {(byte) ~b.get(0)}), 300);
    }
    List<CorruptStoreException> damage = harness.open().verify();
    assertEquals(1, damage.size(), () -> "damage reported: " + damage);
    assertEquals(2, damage.get(0).epoch());
    assertTrue(damage.get(0).getMessage().contains("checksum"), damage.get(0).getMessage());
  }
}
