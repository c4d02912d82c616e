package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointer;
import dev.metamori.DiskFullException;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: a 2 MiB tmpfs holding the tracked tree, the store and ballast, filled up
 * during writes, during a commit and during a restore. Each fails with a {@link
 * DiskFullException}; a refused write leaves its file alone; after the ballast is deleted the
 * same checkpointer commits and restores exactly (files and a region), and the store reopens
 * exactly with every epoch. Skipped where a tmpfs cannot be mounted (not root, no mount command,
 * not Linux).
 */
class DiskFullTest {
  private static final int K = 1024;

  @TempDir Path tmp;

  private static boolean run(String... command) {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Test
  void aFullDiskFailsWritesCommitsAndRestoresWhichTheSameCheckpointerCompletesOnceSpaceIsFreed()
      throws IOException {
    Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "tmpfs needs Linux");
    Path mount = Files.createDirectories(tmp.resolve("tiny"));
    Assumptions.assumeTrue(
        run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString()),
        "cannot mount a tmpfs here (needs root)");
    try {
      fillAndRetry(mount);
    } finally {
      if (!run("umount", mount.toString())) {
        run("umount", "-l", mount.toString());
      }
    }
  }

  /** Files and region of one epoch. */
  private record State(TreeSnapshot tree, byte[] region) {}

  private Path root;
  private Checkpointer cp;
  private MemoryRegion region;
  private final Map<Long, State> states = new LinkedHashMap<>();
  private final Map<Long, Long> parents = new LinkedHashMap<>();
  private long current;

  private void fillAndRetry(Path mount) throws IOException {
    root = Files.createDirectories(mount.resolve("root"));
    Path store = mount.resolve("store");
    Path ballast = mount.resolve("ballast");
    Path real = root.resolve("a.bin");
    Files.write(real, random(256 * K, 1));
    cp = Checkpointer.builder(store).track(root).open();
    try {
      FileSystem fs = cp.fileSystem();
      Path a = fs.getPath(real.toString());
      region = cp.region("r", 64 * K);
      committed(0, -1);
      overwrite(a, 0, random(128 * K, 2));
      Files.write(fs.getPath(root.resolve("b.bin").toString()), random(64 * K, 3));
      region.put(0, random(16 * K, 4), 0, 16 * K);
      long e1 = commit();
      overwrite(a, 128 * K, random(128 * K, 5));
      region.put(32 * K, random(8 * K, 6), 0, 8 * K);
      long e2 = commit();

      // writes: a change whose old bytes cannot be journaled fails and leaves the file alone
      fill(ballast, 0);
      byte[] a0 = Files.readAllBytes(real);
      DiskFullException refused =
          assertThrows(DiskFullException.class, () -> overwrite(a, 0, random(64 * K, 7)), "an overwrite on a full disk");
      System.out.println("DiskFullTest: a write on a full disk: " + refused.getMessage());
      assertTrue(refused.getMessage().contains("free space on that disk and retry"), refused.getMessage());
      assertArrayEquals(a0, Files.readAllBytes(real), "a refused write reached the file");
      Files.delete(ballast);

      // a commit: its work is journaled, then the disk fills up
      overwrite(a, 64 * K, random(64 * K, 8));
      Files.write(fs.getPath(root.resolve("c.bin").toString()), random(32 * K, 9));
      region.put(48 * K, random(8 * K, 10), 0, 8 * K);
      State working = state();
      fill(ballast, 0);
      DiskFullException commitFailed = assertThrows(DiskFullException.class, cp::commit, "a commit on a full disk");
      System.out.println("DiskFullTest: a commit on a full disk: " + commitFailed.getMessage());
      assertTrue(commitFailed.getMessage().contains("call commit() again"), commitFailed.getMessage());
      assertEquals(e2, cp.currentEpoch(), "the store left its epoch");
      assertEquals(List.copyOf(states.keySet()), ids(), "epochs after a failed commit");
      assertSame(working, "the work after a failed commit");
      // still full: a restore must first commit the failed epoch, and cannot
      assertThrows(DiskFullException.class, () -> cp.restore(e1), "a restore while the failed commit waits");
      assertSame(working, "the work after a refused restore");
      Files.delete(ballast);
      Files.write(fs.getPath(root.resolve("d.txt").toString()), random(K, 11)); // while the commit waits
      State more = state();
      long e4 = cp.commit();
      committed(e4 - 1, e2, working);
      committed(e4, e4 - 1, more);
      check(e4, "after the retried commit");

      // a restore: it saves what each undo destroys (redo), and the disk fills up part way
      fill(ballast, 96 * K);
      DiskFullException restoreFailed =
          assertThrows(DiskFullException.class, () -> cp.restore(e1), "a restore on a full disk");
      System.out.println(
          "DiskFullTest: a restore on a full disk stopped at epoch " + cp.currentEpoch() + ": " + restoreFailed.getMessage());
      assertTrue(restoreFailed.getMessage().contains("call restore(" + e1 + ") again"), restoreFailed.getMessage());
      Path x = fs.getPath(root.resolve("x.txt").toString());
      assertThrows(DiskFullException.class, () -> Files.write(x, new byte[10]), "a change while a restore is unfinished");
      assertFalse(Files.exists(root.resolve("x.txt")), "a refused creation was made");
      Files.delete(ballast);
      cp.restore(e1);
      check(e1, "after the finished restore");
      for (long id : List.of(e2, e4, e4 - 1, 0L, e4, e1)) {
        cp.restore(id);
        check(id, "after a restore to " + id);
      }
    } finally {
      IoFaultTest.closeQuietly(cp);
    }
    cp = Checkpointer.builder(store).track(root).open();
    try {
      region = cp.region("r", 64 * K);
      long at = cp.currentEpoch();
      check(at, "after reopening");
      assertEquals(List.of(), cp.verify());
    } finally {
      cp.close();
    }
  }

  /** Fills the disk with {@code ballast} until it is full, then frees {@code spare} bytes. */
  private static void fill(Path ballast, int spare) throws IOException {
    Path spareFile = ballast.resolveSibling("spare");
    Files.write(spareFile, new byte[spare]);
    try (OutputStream out = Files.newOutputStream(ballast, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
      for (int chunk = 64 * K; chunk >= 1; chunk /= 4) {
        try {
          while (true) {
            out.write(new byte[chunk]);
            out.flush();
          }
        } catch (IOException full) {
          assertTrue(String.valueOf(full.getMessage()).contains("No space left on device"), full.toString());
        }
      }
    } catch (IOException full) {
      // closing flushes nothing more
    }
    Files.delete(spareFile);
  }

  private long commit() throws IOException {
    State s = state();
    long id = cp.commit();
    committed(id, cp.epochs().stream().filter(e -> e.id() == id).findFirst().orElseThrow().parent(), s);
    assertEquals(current, parents.get(id), "the parent of epoch " + id);
    current = id;
    return id;
  }

  private void committed(long id, long parent) throws IOException {
    committed(id, parent, state());
  }

  private void committed(long id, long parent, State s) {
    states.put(id, s);
    parents.put(id, parent);
  }

  private List<Long> ids() throws IOException {
    return cp.epochs().stream().map(Epoch::id).collect(Collectors.toList());
  }

  private State state() throws IOException {
    byte[] r = new byte[(int) region.size()];
    region.get(0, r, 0, r.length);
    return new State(TreeSnapshot.of(root), r);
  }

  private void assertSame(State expected, String context) throws IOException {
    State now = state();
    if (!expected.tree().equals(now.tree())) {
      fail(context + ":\n" + expected.tree().describeDifferences(now.tree()));
    }
    assertArrayEquals(expected.region(), now.region(), context + ": region");
  }

  private void check(long epoch, String context) throws IOException {
    assertEquals(epoch, cp.currentEpoch(), context);
    assertSame(states.get(epoch), context + " (epoch " + epoch + ")");
    Map<Long, Long> listed = new LinkedHashMap<>();
    for (Epoch e : cp.epochs()) {
      listed.put(e.id(), e.parent());
    }
    assertEquals(parents, listed, context + ": every epoch with its parent");
    List<Long> ids = new ArrayList<>(states.keySet());
    assertEquals(ids, ids(), context);
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void overwrite(Path file, long position, byte[] data) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        position += c.write(b, position);
      }
    }
  }
}
