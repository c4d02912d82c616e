package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
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
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real full disk: a 2 MiB tmpfs holding the tracked tree, the store and some ballast. Skipped
 * where a tmpfs cannot be mounted (not root, no mount command, not Linux).
 */
class DiskFullTest {
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
  void aFullDiskSurfacesAsAnExceptionAndLosesNoCommittedEpoch() throws IOException {
    Assumptions.assumeTrue(System.getProperty("os.name").startsWith("Linux"), "tmpfs needs Linux");
    Path mount = Files.createDirectories(tmp.resolve("tiny"));
    Assumptions.assumeTrue(
        run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString()),
        "cannot mount a tmpfs here (needs root)");
    try {
      fillAndRecover(mount);
    } finally {
      if (!run("umount", mount.toString())) {
        run("umount", "-l", mount.toString());
      }
    }
  }

  private void fillAndRecover(Path mount) throws IOException {
    Path root = Files.createDirectories(mount.resolve("root"));
    Path store = mount.resolve("store");
    Path ballast = mount.resolve("ballast");
    Files.write(ballast, new byte[400 * 1024]);
    Path real = root.resolve("a.bin");
    Files.write(real, FaultWorkload.bytes(200 * 1024, 1));
    Map<Long, TreeSnapshot> line = new LinkedHashMap<>();
    line.put(0L, TreeSnapshot.of(root));
    Long maybe = null;
    TreeSnapshot maybeTree = null;
    long current;
    Checkpointer cp = Checkpointer.builder(store).track(root).open();
    try {
      FileSystem fs = cp.fileSystem();
      Path a = fs.getPath(real.toString());
      overwrite(a, 50_000, FaultWorkload.bytes(30_000, 2));
      Files.write(fs.getPath(root.resolve("b.txt").toString()), FaultWorkload.bytes(10_000, 3));
      TreeSnapshot before = TreeSnapshot.of(root);
      current = cp.commit();
      line.put(current, before);

      // fill the disk through the checkpointer's file system
      Path fill = fs.getPath(root.resolve("fill.bin").toString());
      IOException full = null;
      try (FileChannel c = FileChannel.open(fill, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        for (int i = 0; i < 1000 && full == null; i++) {
          try {
            c.write(ByteBuffer.wrap(new byte[64 * 1024]));
          } catch (IOException e) {
            full = e;
          }
        }
      }
      assertTrue(full != null, "2 MiB never filled up");
      assertTrue(String.valueOf(full.getMessage()).contains("No space left on device"), full.toString());

      // a change whose old bytes cannot be saved must fail and leave the file alone
      byte[] a0 = Files.readAllBytes(real);
      try {
        overwrite(a, 0, FaultWorkload.bytes(150_000, 4));
        System.out.println("DiskFullTest: the overwrite on a full disk succeeded");
      } catch (IOException e) {
        System.out.println("DiskFullTest: the overwrite on a full disk failed: " + e);
        assertArrayEquals(a0, Files.readAllBytes(real), "a refused write reached the file");
      }
      TreeSnapshot atCommit = TreeSnapshot.of(root);
      try {
        long id = cp.commit();
        line.put(id, atCommit);
        current = id;
        System.out.println("DiskFullTest: the commit on a full disk succeeded");
      } catch (IOException e) {
        System.out.println("DiskFullTest: the commit on a full disk failed: " + e);
        maybe = current + 1;
        maybeTree = atCommit;
      }
    } finally {
      IoFaultTest.closeQuietly(cp);
    }
    // free the space, outside the tracked tree and the store
    Files.delete(ballast);
    try (Checkpointer reopened = Checkpointer.builder(store).track(root).open()) {
      long at = reopened.currentEpoch();
      if (at != current && (maybe == null || at != maybe)) {
        fail("reopened at epoch " + at + ", expected " + current + (maybe == null ? "" : " or " + maybe));
      }
      if (maybe != null && at == maybe) {
        line.put(maybe, maybeTree);
      }
      List<Long> ids = new ArrayList<>(line.keySet());
      assertEquals(ids, reopened.epochs().stream().map(Epoch::id).collect(Collectors.toList()));
      IoFaultTest.assertSame(line.get(at), root, "after reopening at " + at);
      for (int i = ids.size() - 2; i >= 0; i--) {
        reopened.rollback(ids.get(i));
        IoFaultTest.assertSame(line.get(ids.get(i)), root, "after rollback to " + ids.get(i));
      }
      assertEquals(List.of(), reopened.verify());
    }
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
