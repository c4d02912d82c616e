package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Large trees, files beyond 4 GiB, long epoch chains. The default build runs reduced sizes;
 * {@code mvn test -Pscale -Dtest=ScaleTest} runs the full ones (see the properties below).
 */
class ScaleTest {
  /** Files created in one epoch (full: 100000). */
  static final int FILES = Integer.getInteger("metamori.scale.files", 3_000);
  /** Commits in the long chain (full: 3000). */
  static final int EPOCHS = Integer.getInteger("metamori.scale.epochs", 500);

  /** Each test opens the store once it has laid out its root. */
  @RegisterExtension final StoreExtension harness = StoreExtension.create().unopened();

  private static byte[] content(int i, int version) {
    int size = (i * 7919 + version * 131) % 301;
    byte[] b = new byte[size];
    for (int k = 0; k < size; k++) {
      b[k] = (byte) (i * 31 + k + version * 17);
    }
    return b;
  }

  private static void assertTree(TreeSnapshot expected, Path root, String context) throws IOException {
    TreeSnapshot actual = TreeSnapshot.fingerprint(root);
    assertTrue(expected.equals(actual), () -> context + ": " + expected.differences(actual, 20));
  }

  @Test
  void aTreeOfManyFilesCreatedInOneEpochRollsBackExactlyToTheMiddleEpochAndToEmpty() throws IOException {
    Path data = harness.root();
    Checkpointer cp = harness.open();
    TreeSnapshot empty = TreeSnapshot.fingerprint(data);
    int dirs = Math.max(1, FILES / 1000);
    List<String> live = new ArrayList<>(FILES);
    for (int d = 0; d < dirs; d++) {
      Files.createDirectory(harness.path("d" + d));
    }
    for (int i = 0; i < FILES; i++) {
      String name = "d" + (i % dirs) + "/f" + i;
      Files.write(harness.path(name), content(i, 0));
      live.add(name);
    }
    long full = cp.commit();
    TreeSnapshot fullTree = TreeSnapshot.fingerprint(data);
    assertEquals(1 + dirs + FILES, fullTree.size());

    // a few thousand changes: overwrites, appends, truncations, deletes, renames
    Random random = new Random(20261123);
    int changes = FILES / 30;
    for (int c = 0; c < changes; c++) {
      Path p = harness.path(live.get(random.nextInt(live.size())));
      try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
        switch (c % 3) {
          case 0:
            ch.write(ByteBuffer.wrap(new byte[] {1, 2, 3, 4, 5}), random.nextInt(200));
            break;
          case 1:
            ch.write(ByteBuffer.wrap(new byte[5000]), ch.size());
            break;
          default:
            ch.truncate(ch.size() / 2);
            break;
        }
      }
    }
    for (int c = 0; c < changes; c++) {
      String name = live.remove(random.nextInt(live.size()));
      Files.delete(harness.path(name));
    }
    for (int c = 0; c < changes; c++) {
      int k = random.nextInt(live.size());
      String name = live.get(k);
      String to = "d" + random.nextInt(dirs) + "/renamed" + c;
      Files.move(harness.path(name), harness.path(to));
      live.set(k, to);
    }
    Files.move(harness.path("d0"), harness.path("moved-d0"));
    long middle = cp.commit();
    TreeSnapshot middleTree = TreeSnapshot.fingerprint(data);

    // a third epoch, then uncommitted work on top
    for (int c = 0; c < changes; c++) {
      String name = live.get(random.nextInt(live.size()));
      if (name.startsWith("d0/")) {
        continue;
      }
      Files.write(harness.path(name), content(c, 1));
    }
    cp.commit();
    for (int c = 0; c < 100; c++) {
      Files.write(harness.path("d1/new" + c), content(c, 2));
    }

    cp.rollback(middle);
    assertTree(middleTree, data, "after rollback to the middle epoch " + middle);
    cp = harness.reopen();
    assertTree(middleTree, data, "after reopening at the middle epoch");
    cp.rollback(full);
    assertTree(fullTree, data, "after rollback to the full tree " + full);
    cp.rollback(0);
    assertTree(empty, data, "after rollback to epoch 0");
  }

  @Test
  void thousandsOfSmallEpochsRollBackToEarlyOnesExactlyAndLeaveNoNewerSegments() throws IOException {
    Path data = harness.root();
    Path store = harness.store();
    Files.write(data.resolve("counter"), new byte[65536]);
    Checkpointer cp = harness.open();
    Path counter = harness.path("counter");
    Path log = harness.path("log");
    Map<Long, TreeSnapshot> kept = new LinkedHashMap<>();
    kept.put(0L, TreeSnapshot.fingerprint(data));
    List<Long> keepAt = List.of(1L, 2L, 10L, (long) EPOCHS / 2, (long) EPOCHS - 1);
    for (int i = 1; i <= EPOCHS; i++) {
      try (FileChannel ch = FileChannel.open(counter, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(Integer.toString(i).getBytes(StandardCharsets.US_ASCII)), (i * 4099L) % 65000);
      }
      Files.writeString(log, i + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      if (i % 10 == 0) {
        Files.write(harness.path("f" + i), content(i, 0));
      }
      if (i % 15 == 0) {
        Files.deleteIfExists(harness.path("f" + (i - 10)));
      }
      long e = cp.commit();
      assertEquals(i, e);
      if (keepAt.contains(e)) {
        kept.put(e, TreeSnapshot.fingerprint(data));
      }
    }
    assertEquals(EPOCHS + 1, cp.epochs().size());
    for (long target : new long[] {EPOCHS - 1, EPOCHS / 2, 10, 2}) {
      cp.rollback(target);
      assertTree(kept.get(target), data, "after rollback to epoch " + target);
      assertEquals(EPOCHS + 1, cp.epochs().size());
      try (Stream<Path> segments = Files.list(store.resolve("segments"))) {
        segments.forEach(
            s -> {
              String name = s.getFileName().toString();
              long epoch = Long.parseLong(name.substring(0, name.indexOf('.')));
              assertTrue(
                  name.endsWith(".seg") || epoch > target,
                  () -> "a redo file for epoch " + epoch + ", which was never undone, after rollback to " + target);
            });
      }
    }
    cp = harness.reopen();
    assertTree(kept.get(2L), data, "after reopening at epoch 2");
    cp.rollback(0);
    assertTree(kept.get(0L), data, "after rollback to epoch 0");
    cp.restore(EPOCHS - 1);
    assertTree(kept.get((long) EPOCHS - 1), data, "after redoing every epoch up to " + (EPOCHS - 1));
  }
}
