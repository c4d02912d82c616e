package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Writers racing a rollback, configuration errors, a store on another file store than the
 * root, and symbolic links and {@code ..} that lead into and out of a tracked root.
 */
class HardEdgesTest extends TrackedTreeFixture {

  // ------------------------------------------------------------ writers during rollback

  /**
   * A writer on its own channel writing 64 KiB records (16 blocks each) until the rollback
   * closes its channel. It reports the exception that stopped it.
   */
  private Thread writer(Path file, int id, boolean asynchronous, CountDownLatch started,
      AtomicReference<Throwable> stoppedBy) {
    return new Thread(
        () -> {
          byte[] record = filled(64 * 1024, 'A' + id);
          long writes = 0;
          try {
            if (asynchronous) {
              try (AsynchronousFileChannel ch = AsynchronousFileChannel.open(file, StandardOpenOption.WRITE)) {
                while (true) {
                  long pos = (writes % 8) * 64 * 1024 + id * 7;
                  try {
                    ch.write(ByteBuffer.wrap(record), pos).get();
                  } catch (ExecutionException e) {
                    throw e.getCause();
                  }
                  if (++writes == 20) {
                    started.countDown();
                  }
                }
              }
            } else {
              try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                while (true) {
                  long pos = (writes % 8) * 64 * 1024 + id * 7;
                  if (writes % 5 == 4) {
                    ch.truncate(pos + 100); // truncations race the rollback too
                  }
                  ByteBuffer b = ByteBuffer.wrap(record);
                  while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                  }
                  if (++writes == 20) {
                    started.countDown();
                  }
                }
              }
            }
          } catch (Throwable t) {
            stoppedBy.set(t);
            started.countDown();
          }
        },
        "writer-" + id);
  }

  static final int ROUNDS = Integer.getInteger("metamori.scale.raceRounds", 10);

  @Test
  void aRollbackStopsRacingWritersWithClosedChannelsAndLeavesExactlyTheTargetEpoch() throws Exception {
    for (int round = 0; round < ROUNDS; round++) {
      List<Path> files = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        Path f = p("race" + i + ".bin");
        Files.write(f, bytes(512 * 1024 + i * 333, round * 10 + i));
        files.add(f);
      }
      long target = cp.commit();
      TreeSnapshot expected = snapshot();
      // files created after the target: the rollback deletes them under their writers
      files.add(p("created-after" + round + "-a.bin"));
      files.add(p("created-after" + round + "-b.bin"));
      Files.write(files.get(4), bytes(100_000, round));
      Files.write(files.get(5), bytes(100_000, round + 1));
      CountDownLatch started = new CountDownLatch(7);
      List<Thread> threads = new ArrayList<>();
      List<AtomicReference<Throwable>> stops = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        AtomicReference<Throwable> stop = new AtomicReference<>();
        stops.add(stop);
        // two writers share race0.bin; two of the others are asynchronous
        threads.add(writer(files.get(Math.max(0, i - 1)), i, i == 2 || i == 6, started, stop));
      }
      threads.forEach(Thread::start);
      assertTrue(started.await(60, TimeUnit.SECONDS), "the writers did not get going");
      cp.rollback(target);
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(60));
        assertFalse(t.isAlive(), t.getName() + " kept writing after the rollback");
      }
      for (AtomicReference<Throwable> stop : stops) {
        assertInstanceOf(ClosedChannelException.class, stop.get(), () -> "a writer stopped by a rollback: " + stop.get());
      }
      expected.assertTreeMatches("round " + round + ": after rolling back under racing writers");
      assertEquals(target, cp.currentEpoch());
    }
  }

  // ------------------------------------------------------------ configuration errors

  private static void assertMessage(Throwable t, String... parts) {
    for (String part : parts) {
      assertTrue(
          String.valueOf(t.getMessage()).contains(part),
          () -> "message \"" + t.getMessage() + "\" should mention \"" + part + "\"");
    }
  }

  @Test
  void aStoreReachedThroughALinkIntoATrackedRootIsRefused() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("link-into-data"), data);
    Path storeInside = link.resolve("dir/the-store");
    cp.close();
    cp = null;
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(storeInside).track(outside).track(data).open()),
        "inside tracked root");
    assertFalse(Files.exists(data.resolve("dir/the-store")));
  }

  @Test
  void aRootReachedThroughALinkIntoTheStoreIsRefused() throws IOException {
    cp.close();
    cp = null;
    Path inStore = Files.createDirectories(store.resolve("trash/sneaky"));
    Path link = Files.createSymbolicLink(tmp.resolve("link-into-store"), inStore);
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(store).track(link).open()),
        "inside store");
  }

  @Test
  void rootsOverlappingThroughALinkAreRefused() throws IOException {
    Path link = Files.createSymbolicLink(tmp.resolve("link-to-dir"), data.resolve("dir"));
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(tmp.resolve("s2")).track(link).track(data).open()),
        "overlap");
  }

  @Test
  void aRootThatIsAFileOrMissingIsRefusedNamingIt() {
    Path file = data.resolve("a.txt");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(tmp.resolve("s2")).track(file).open()),
        file.toString(), "not an existing directory");
    Path gone = outside.resolve("gone");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(tmp.resolve("s2")).track(gone).open()),
        gone.toString(), "not an existing directory");
  }

  @Test
  void aStorePathThatIsAFileIsRefused() throws IOException {
    Path file = Files.writeString(tmp.resolve("store-file"), "x");
    IOException e = assertThrows(IOException.class, () -> Checkpointer.builder(file).track(outside).open());
    assertTrue(String.valueOf(e.getMessage()).contains(file.toString()), () -> "the message should name the store: " + e);
    assertEquals("x", Files.readString(file));
  }

  @Test
  void aReadOnlyStoreDirectoryIsRefusedWithAnIoErrorNamingIt() throws Exception {
    Path ro = Files.createDirectory(tmp.resolve("ro-store"));
    Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
    boolean mounted = false;
    try {
      if (Files.isWritable(ro)) {
        // the superuser writes 0555 directories: a read-only mount is read-only for everyone
        mounted = run("mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", ro.toString());
      }
      assumeTrue(!Files.isWritable(ro) || mounted, "cannot make a directory read-only here");
      IOException e = assertThrows(IOException.class, () -> Checkpointer.builder(ro).track(outside).open());
      assertTrue(String.valueOf(e.getMessage()).contains(ro.toString()), () -> "the message should name the store: " + e);
      try (var s = Files.list(ro)) {
        assertEquals(0, s.count(), "nothing is left in the read-only directory");
      }
    } finally {
      if (mounted) {
        run("umount", ro.toString());
      }
      Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  // ------------------------------------------------------------ symbolic links and ..

  @Test
  void writesThroughALinkInsideARootThatLeadsOutOfItAreNotJournaledAndSurviveRollback() throws IOException {
    Files.createSymbolicLink(p("to-outside"), fs.getPath(outside.resolve("o.txt").toString()));
    long base = cp.commit();
    TreeSnapshot tracked = snapshot();
    Files.writeString(p("to-outside"), "written through the link\n");
    Files.writeString(p("dir/sub/d.txt"), "a tracked change");
    cp.rollback(base);
    tracked.assertTreeMatches("the tracked tree after rollback");
    assertEquals("written through the link\n", Files.readString(outside.resolve("o.txt")),
        "the untracked target is not journaled, so the rollback leaves it alone");
  }

  @Test
  void writesThroughALinkOutsideThatLeadsIntoARootAreJournaledAndRolledBack() throws IOException {
    Files.createSymbolicLink(outside.resolve("to-a"), data.resolve("a.txt"));
    Files.createSymbolicLink(outside.resolve("to-dir"), data.resolve("dir"));
    assertRolledBackExactly(
        () -> {
          try (FileChannel ch = FileChannel.open(out("to-a"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(filled(5000, 'x')), 3000);
            ch.truncate(7000);
          }
          Files.writeString(out("to-dir/new.txt"), "created through a link");
          Files.delete(out("to-dir/c.txt"));
          Files.move(out("to-dir/sub"), out("to-dir/sub-moved"));
        });
  }

  @Test
  void pathsWithDotDotThatClimbOutAndBackInAreJournaledAndThoseThatStayOutAreNot() throws IOException {
    String up = data.resolve("dir/sub").toString() + "/../../../" + data.getFileName() + "/";
    String out = data.resolve("dir").toString() + "/../../" + outside.getFileName() + "/";
    long base = cp.commit();
    TreeSnapshot before = snapshot();
    Files.writeString(fs.getPath(up + "climbed.txt"), "in again");
    Files.write(fs.getPath(up + "a.txt"), filled(100, 'q'));
    Files.writeString(fs.getPath(out + "escaped.txt"), "outside");
    Files.move(fs.getPath(up + "small.txt"), fs.getPath(out + "small-moved-out.txt"));
    assertNotEquals(before, snapshot());
    cp.rollback(base);
    before.assertTreeMatches("after rollback of changes through .. paths");
    assertEquals("outside", Files.readString(outside.resolve("escaped.txt")));
    assertEquals("hello\n", Files.readString(outside.resolve("small-moved-out.txt")),
        "a file moved out keeps its copy outside; the original is back in the tree");
  }

  @Test
  void creatingAFileThroughADanglingLinkIsJournaledWhereTheTargetLands() throws IOException {
    Files.createSymbolicLink(p("dangling-in"), fs.getPath(data.resolve("dir/target-in.txt").toString()));
    Files.createSymbolicLink(p("dangling-out"), fs.getPath(outside.resolve("target-out.txt").toString()));
    long base = cp.commit();
    TreeSnapshot before = snapshot();
    Files.writeString(p("dangling-in"), "made through a dangling link");
    Files.writeString(p("dangling-out"), "made outside through a dangling link");
    assertEquals("made through a dangling link", Files.readString(real("dir/target-in.txt")));
    cp.rollback(base);
    before.assertTreeMatches("after rollback: the target in the tree is gone, the links remain");
    assertFalse(Files.exists(real("dir/target-in.txt")));
    assertEquals("made outside through a dangling link", Files.readString(outside.resolve("target-out.txt")));
  }

  // ------------------------------------------------------------ store on another file store

  @Test
  void withTheStoreOnAnotherFileStoreDeletesReplacesAndMovesOutRollBackExactly() throws Exception {
    Path mount = Files.createDirectory(tmp.resolve("tmpfs"));
    boolean mounted = run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mount.toString());
    assumeTrue(mounted, "cannot mount a tmpfs here");
    try {
      assumeTrue(!Files.getFileStore(mount).equals(Files.getFileStore(data)), "the tmpfs is not a separate file store");
      cp.close();
      cp = Checkpointer.builder(mount.resolve("store")).track(data).open();
      fs = cp.fileSystem();
      assertRolledBackExactly(
          () -> {
            Files.delete(p("small.txt"));
            Files.write(p("dir/new.txt"), bytes(3000, 9));
            Files.move(p("dir/new.txt"), p("a.txt"), StandardCopyOption.REPLACE_EXISTING);
            Files.move(p("b.bin"), out("b-moved-out.bin"), StandardCopyOption.ATOMIC_MOVE);
            Files.move(p("dir/sub"), out("sub-moved-out"));
            try (FileChannel ch = FileChannel.open(p("dir/c.txt"), StandardOpenOption.WRITE)) {
              ch.write(ByteBuffer.wrap(filled(10, 'z')), 4090);
            }
            Files.delete(p("empty"));
            Files.deleteIfExists(out("b-moved-out.bin"));
            deleteTree(outside.resolve("sub-moved-out"));
          });
      assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("a.txt")));
      cp.close();
      cp = null;
    } finally {
      if (cp != null) {
        cp.close();
        cp = null;
      }
      run("umount", mount.toString());
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (var s = Files.walk(root)) {
      List<Path> all = new ArrayList<>(s.toList());
      for (int i = all.size() - 1; i >= 0; i--) {
        Files.delete(all.get(i));
      }
    }
  }

  private static boolean run(String... command) throws InterruptedException {
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    }
  }
}
