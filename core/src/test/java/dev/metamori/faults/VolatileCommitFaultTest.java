package dev.metamori.faults;

import dev.metamori.testing.Blob;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An I/O error at every I/O call of a commit that carries files, a region and an object: the
 * commit fails, and after the fault clears the store reopens with files, region and object all
 * at the epoch before, or all at the new epoch (when the error came after the commit point),
 * never mixed.
 */
class VolatileCommitFaultTest {
  @TempDir Path tmp;


  private record State(String file, byte[] region, byte[] object) {}

  private static byte[] contents(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return all;
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFaultAnywhereInACommitLeavesFilesRegionsAndObjectsAtOneEpoch(Durability durability)
      throws IOException {
    int points = 0;
    int atNew = 0;
    for (long k = 1; ; k++) {
      Path dir = Files.createDirectories(tmp.resolve(durability + "-" + k));
      Path store = dir.resolve("store");
      Path root = Files.createDirectories(dir.resolve("root"));
      Random random = new Random(k);
      FaultyFileSystem faulty = FaultyFileSystem.create();
      Checkpointer cp =
          Checkpointer.builder(faulty.getPath(store.toString()))
              .track(faulty.getPath(root.toString()))
              .durability(durability)
              .open();
      Path file = cp.fileSystem().getPath(root.resolve("f.txt").toString());
      MemoryRegion region = cp.region("r", 5 * 4096);
      Blob blob = new Blob();
      cp.register("o", blob);
      Files.writeString(file, "one");
      byte[] noise = new byte[5 * 4096];
      random.nextBytes(noise);
      region.put(0, noise, 0, noise.length);
      blob.bytes = new byte[50_000];
      random.nextBytes(blob.bytes);
      cp.commit();
      State one = new State("one", contents(region), blob.bytes.clone());

      Files.writeString(file, "two");
      region.putLong(4096 * 3 + 8, 42);
      blob.bytes[25_000] ^= 1;
      State two = new State("two", contents(region), blob.bytes.clone());
      long before = faulty.calls();
      faulty.failAt(before + k, Fault.DISK_FULL_PART_WRITTEN, false);
      boolean failed;
      try {
        cp.commitAsync().join();
        failed = false;
      } catch (CompletionException | IOException e) {
        failed = true;
      }
      boolean reached = faulty.firstFaulted() != null;
      faulty.disarm();
      IoFaultTest.closeQuietly(cp);
      if (!reached) {
        // k is past the last I/O call of the commit: every point has been tried
        assertTrue(!failed, "a commit failed without a fault");
        break;
      }
      points++;
      try (Checkpointer reopened = Checkpointer.builder(store).track(root).open()) {
        MemoryRegion r = reopened.region("r", 5 * 4096);
        Blob b = new Blob();
        reopened.register("o", b);
        State now = new State(Files.readString(root.resolve("f.txt")), contents(r), b.bytes);
        State expected = now.file().equals("two") ? two : one;
        if (expected == two) {
          atNew++;
        }
        String context = durability + ", fault at commit call " + k + " (" + faulty.firstFaulted() + ")";
        assertEquals(expected.file(), now.file(), context);
        assertArrayEquals(expected.region(), now.region(), context + ": region");
        assertArrayEquals(expected.object(), now.object(), context + ": object");
        assertEquals(expected == two ? 2 : 1, reopened.currentEpoch(), context);
        assertEquals(java.util.List.of(), reopened.verify(), context);
      }
    }
    System.out.printf(
        "VolatileCommitFaultTest %s: %d fault points in a commit, %d reopened at the new epoch%n",
        durability, points, atNew);
    assertTrue(points > 10, "the commit made only " + points + " I/O calls");
  }
}
