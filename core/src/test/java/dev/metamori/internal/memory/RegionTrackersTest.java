package dev.metamori.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.StoreStats;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits, rollbacks, restores to newer epochs (redo) and reopens of regions through a {@link
 * Checkpointer}, once with the hash scan and once with write-protect tracking: the regions must
 * hold the same bytes as a model after every step, and the store must grow by the same bytes
 * (so that neither tracker stores a page the other does not, such as one a restore wrote).
 */
class RegionTrackersTest {
  private static final int PAGE = Region.PAGE_SIZE;
  private static final long[] SIZES = {10 * PAGE + 123, 300 * PAGE};

  @TempDir Path dir;

  @Test
  void bothTrackersGiveTheSameRegionsAndTheSameStore() throws IOException {
    String why = PageTracking.unavailableReason();
    if (why != null) {
      System.out.println("RegionTrackersTest: skipped: " + why);
    }
    assumeTrue(why == null, () -> "write-protect tracking is not available here: " + why);
    for (long seed = 1; seed <= 6; seed++) {
      List<String> scanned = run(PageTracking.HASH_SCAN, seed);
      List<String> protectedTrace = run(PageTracking.WRITE_PROTECT, seed);
      assertEquals(scanned, protectedTrace, "seed " + seed);
    }
  }

  /** Runs a random script of seed {@code seed} with the tracker {@code kind}; returns its trace. */
  private List<String> run(String kind, long seed) throws IOException {
    String before = System.getProperty(PageTracking.PROPERTY);
    System.setProperty(PageTracking.PROPERTY, kind);
    try {
      return script(kind, seed, dir.resolve(kind + "-" + seed));
    } finally {
      if (before == null) {
        System.clearProperty(PageTracking.PROPERTY);
      } else {
        System.setProperty(PageTracking.PROPERTY, before);
      }
    }
  }

  private List<String> script(String kind, long seed, Path base) throws IOException {
    Path root = Files.createDirectories(base.resolve("data"));
    Path store = base.resolve("store");
    Random random = new Random(seed);
    List<String> trace = new ArrayList<>();
    Map<Long, byte[][]> committed = new HashMap<>();
    Checkpointer cp = Checkpointer.builder(store).track(root).open();
    try {
      MemoryRegion[] regions = open(cp);
      for (StoreStats.StateStats s : cp.stats().states()) {
        assertEquals(kind, s.pageTracking().split(" ")[0], s.toString());
      }
      committed.put(cp.currentEpoch(), contents(regions));
      for (int step = 0; step < 40; step++) {
        int op = random.nextInt(10);
        String what;
        if (op < 5) {
          int writes = random.nextInt(6);
          for (int i = 0; i < writes; i++) {
            write(regions[random.nextInt(regions.length)], random);
          }
          long epoch = cp.commit();
          committed.put(epoch, contents(regions));
          what = "commit " + epoch;
        } else if (op < 7) {
          List<Long> epochs = new ArrayList<>(committed.keySet());
          long target = epochs.get(random.nextInt(epochs.size()));
          write(regions[0], random); // uncommitted, undone by the restore
          cp.restore(target); // back, or forward again (redo), or across to another branch
          what = "restore " + target;
          assertContents(committed.get(target), regions, kind + " seed " + seed + " " + what);
        } else if (op < 9) {
          // a commit with nothing written must store no page, even right after a restore
          long epoch = cp.commit();
          committed.put(epoch, contents(regions));
          what = "empty commit " + epoch;
        } else {
          cp.close();
          cp = Checkpointer.builder(store).track(root).open();
          regions = open(cp);
          what = "reopen at " + cp.currentEpoch();
          assertContents(committed.get(cp.currentEpoch()), regions, kind + " seed " + seed + " " + what);
        }
        long journaled = 0;
        for (StoreStats.StateStats s : cp.stats().states()) {
          journaled += s.bytesJournaled();
        }
        trace.add(what + ": region bytes in the store " + journaled);
      }
    } finally {
      cp.close();
    }
    return trace;
  }

  private static MemoryRegion[] open(Checkpointer cp) throws IOException {
    MemoryRegion[] regions = new MemoryRegion[SIZES.length];
    for (int i = 0; i < SIZES.length; i++) {
      regions[i] = cp.region("r" + i, SIZES[i]);
    }
    return regions;
  }

  /**
   * Changes every byte of a random range, through a random accessor, by adding 1 or 2: the few
   * writes between two commits never bring a byte back to its committed value, which the hash
   * scan would not see as a change and write-protection would.
   */
  private static void write(MemoryRegion r, Random random) {
    long at = random.nextLong(r.size() - 8);
    switch (random.nextInt(3)) {
      case 0 -> r.put(at, (byte) (r.get(at) + 1));
      case 1 -> r.putLong(at, r.getLong(at) + 0x0101010101010101L);
      default -> {
        ByteBuffer b = r.buffers().get(0);
        int length = (int) Math.min(r.size() - at, random.nextInt(1, 2 * PAGE));
        for (int i = 0; i < length; i++) {
          b.put((int) at + i, (byte) (b.get((int) at + i) + 1));
        }
      }
    }
  }

  private static byte[][] contents(MemoryRegion[] regions) {
    byte[][] out = new byte[regions.length][];
    for (int i = 0; i < regions.length; i++) {
      out[i] = new byte[(int) regions[i].size()];
      regions[i].get(0, out[i], 0, out[i].length);
    }
    return out;
  }

  private static void assertContents(byte[][] expected, MemoryRegion[] regions, String where) {
    byte[][] actual = contents(regions);
    for (int i = 0; i < regions.length; i++) {
      assertArrayEquals(expected[i], actual[i], where + ": region r" + i);
    }
  }
}
