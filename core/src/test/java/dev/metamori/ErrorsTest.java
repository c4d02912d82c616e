package dev.metamori;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import dev.metamori.testing.StoreLockHolder;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every refusal: unknown epochs, locked and damaged stores, bad configuration, closed use. */
class ErrorsTest extends TrackedTreeFixture {

  // ------------------------------------------------------------------ unknown epochs

  @Test
  void rollingBackToAnUnknownEpochIsRefusedAndChangesNothing() throws IOException {
    Files.writeString(p("small.txt"), "committed");
    long e1 = cp.commit();
    List<Epoch> epochs = cp.epochs();
    Files.writeString(p("small.txt"), "uncommitted");
    Files.writeString(p("dir/new.txt"), "uncommitted");
    FileChannel open = FileChannel.open(p("a.txt"), READ, WRITE);
    open.write(ByteBuffer.wrap(filled(10, 'u')), 0);
    TreeSnapshot before = snapshot();

    for (long bad : new long[] {99, -1, e1 + 1}) {
      NoSuchEpochException e = assertThrows(NoSuchEpochException.class, () -> cp.rollback(bad));
      assertEquals(bad, e.epoch());
      assertTrue(e.getMessage().contains("epoch " + bad), e.getMessage());
      before.assertTreeMatches("after the refused rollback(" + bad + ")");
      assertEquals(e1, cp.currentEpoch());
      assertEquals(epochs, cp.epochs());
    }
    assertTrue(open.isOpen(), "a refused rollback leaves open channels open");
    open.write(ByteBuffer.wrap(filled(10, 'v')), 20);
    open.close();

    // the uncommitted work was kept and is still journaled
    long e2 = cp.commit();
    assertEquals("uncommitted", Files.readString(real("small.txt")));
    cp.rollback(e1);
    assertEquals("committed", Files.readString(real("small.txt")));
    assertFalse(Files.exists(real("dir/new.txt")));
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("a.txt")));
    cp.restore(e2);
    assertEquals("uncommitted", Files.readString(real("small.txt")), "rolled-back epochs can be restored");
    assertThrows(NoSuchEpochException.class, () -> cp.rollback(e2 + 1), "an epoch never committed");
  }

  // ------------------------------------------------------------------ locked stores

  @Test
  void aSecondOpenOfTheSameStoreInThisProcessIsRefused() throws IOException {
    StoreLockedException e = assertThrows(StoreLockedException.class, harness::open);
    assertTrue(e.getMessage().contains(store.toString()), e.getMessage());
    assertThrows(
        StoreLockedException.class, () -> Checkpointer.builder(store).track(outside).open(),
        "the lock belongs to the store, whatever the roots");
    Files.writeString(p("small.txt"), "still works");
    cp.rollback(0);
    assertEquals("hello\n", Files.readString(real("small.txt")));
    cp.close();
    cp = null;
    open();
    assertEquals(0, cp.currentEpoch());
  }

  @Test
  void aStoreOpenInAnotherProcessIsRefusedUntilThatProcessLetsGo() throws Exception {
    cp.close();
    cp = null;
    Process holder = StoreLockHolder.start(store, data);
    try {
      BufferedReader out =
          new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
      String first = CompletableFuture.supplyAsync(() -> readLine(out)).get(120, TimeUnit.SECONDS);
      assertEquals("ready", first, "the other process did not open the store");

      StoreLockedException e = assertThrows(StoreLockedException.class, harness::open);
      assertTrue(e.getMessage().contains("another process"), e.getMessage());
      assertTrue(e.getMessage().contains(Long.toString(holder.pid())), e.getMessage());

      try (Writer in = new OutputStreamWriter(holder.getOutputStream(), StandardCharsets.UTF_8)) {
        in.write("exit\n");
      }
      assertEquals("closed", CompletableFuture.supplyAsync(() -> readLine(out)).get(120, TimeUnit.SECONDS));
      assertTrue(holder.waitFor(120, TimeUnit.SECONDS), "the other process did not exit");
      assertEquals(0, holder.exitValue());
    } finally {
      holder.destroyForcibly();
    }
    open();
    Files.writeString(p("small.txt"), "mine now");
    cp.rollback(0);
    assertEquals("hello\n", Files.readString(real("small.txt")));
  }

  private static String readLine(BufferedReader r) {
    try {
      return r.readLine();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ------------------------------------------------------------------ the store is off limits

  @Test
  void changesToTheStoreThroughTheFileSystemAreRefused() throws IOException {
    Files.writeString(p("small.txt"), "committed");
    long e1 = cp.commit();
    Path s = fs.getPath(store.toString());
    Files.createSymbolicLink(outside.resolve("to-store"), store);
    TreeSnapshot storeBefore = TreeSnapshot.exact(store);
    List<Executable> refused = new ArrayList<>();
    refused.add(() -> Files.writeString(s.resolve("x"), "x"));
    refused.add(() -> Files.writeString(s.resolve("LOCK"), "x"));
    refused.add(() -> FileChannel.open(s.resolve("index.mv"), WRITE).close());
    refused.add(() -> Files.createDirectory(s.resolve("d")));
    refused.add(() -> Files.createSymbolicLink(s.resolve("l"), fs.getPath("LOCK")));
    refused.add(() -> Files.createLink(s.resolve("h"), p("a.txt")));
    refused.add(() -> Files.delete(s.resolve("LOCK")));
    refused.add(() -> Files.delete(s.resolve("segments")));
    refused.add(() -> Files.delete(s));
    refused.add(() -> Files.move(p("a.txt"), s.resolve("a.txt")));
    refused.add(() -> Files.move(s.resolve("index.mv"), out("index.mv")));
    refused.add(() -> Files.move(s.resolve("segments"), p("segments")));
    refused.add(() -> Files.copy(p("a.txt"), s.resolve("a.txt")));
    refused.add(() -> Files.copy(out("o.txt"), s.resolve("segments/o.seg")));
    refused.add(() -> Files.setLastModifiedTime(s.resolve("LOCK"), FileTime.fromMillis(0)));
    refused.add(() -> Files.setPosixFilePermissions(s.resolve("LOCK"), PosixFilePermissions.fromString("---------")));
    refused.add(() -> Files.setAttribute(s.resolve("LOCK"), "posix:permissions", PosixFilePermissions.fromString("---------")));
    refused.add(() -> Files.writeString(out("to-store/LOCK"), "through a link"));
    for (int i = 0; i < refused.size(); i++) {
      assertThrows(AccessDeniedException.class, refused.get(i), "store change #" + i);
    }
    storeBefore.assertTreeMatches("after refused changes to the store");
    assertTrue(Files.readAllBytes(s.resolve("LOCK")).length > 0, "reading the store is allowed");

    // the store still works
    Files.writeString(p("small.txt"), "uncommitted");
    cp.rollback(e1);
    assertEquals("committed", Files.readString(real("small.txt")));
    reopen();
    cp.rollback(0);
    assertEquals("hello\n", Files.readString(real("small.txt")));
  }

  // ------------------------------------------------------------------ damaged stores

  private Path segment(long epoch) {
    return store.resolve("segments").resolve(String.format("%020d.seg", epoch));
  }

  /** Flips one byte inside the first record of {@code epoch}'s segment. */
  private void damage(long epoch) throws IOException {
    Path file = segment(epoch);
    assertTrue(Files.size(file) > 100, "segment of epoch " + epoch + " holds records");
    try (FileChannel c = FileChannel.open(file, READ, WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, 60);
      b.put(0, (byte) (b.get(0) ^ 0x5a)).rewind();
      c.write(b, 60);
    }
  }

  @Test
  void aDamagedRecordStopsTheRollbackBeforeAnythingChanges() throws IOException {
    Files.write(p("a.txt"), filled(5000, 'x'), WRITE);
    Files.writeString(p("dir/new.txt"), "epoch 1");
    long e1 = cp.commit();
    TreeSnapshot atE1 = snapshot();
    cp.close();
    cp = null;
    harness.skipVerifyAfter("a record of epoch " + e1 + " is damaged on purpose: the test is that rollback refuses it");
    damage(e1);
    open();
    atE1.assertTreeMatches("after reopening a store with a damaged record");

    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.rollback(0));
    assertEquals(segment(e1), e.file());
    assertEquals(e1, e.epoch());
    assertTrue(e.getMessage().contains(segment(e1).toString()), e.getMessage());
    assertTrue(e.getMessage().contains("epoch " + e1), e.getMessage());
    atE1.assertTreeMatches("after the refused rollback");

    cp.close();
    cp = null;
    open();
    atE1.assertTreeMatches("after reopening once the rollback was refused");
    assertEquals(e1, cp.currentEpoch());
  }

  @Test
  void aDamagedOlderEpochStopsARollbackAcrossItBeforeNewerEpochsAreUndone() throws IOException {
    Files.write(p("a.txt"), filled(5000, 'x'), WRITE);
    long e1 = cp.commit();
    Files.write(p("b.bin"), filled(5000, 'y'), WRITE);
    long e2 = cp.commit();
    Files.writeString(p("small.txt"), "epoch 3");
    long e3 = cp.commit();
    TreeSnapshot atE3 = snapshot();
    cp.close();
    cp = null;
    harness.skipVerifyAfter("epoch " + e1 + " is damaged on purpose: the test is that a rollback across it stops");
    damage(e1);
    open();

    CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> cp.rollback(0));
    assertEquals(e1, e.epoch());
    atE3.assertTreeMatches("after the refused rollback across a damaged epoch");
    cp.close();
    cp = null;
    open();
    atE3.assertTreeMatches("after reopening");
    assertEquals(e3, cp.currentEpoch());

    // epochs the damage does not lie between are still reachable
    cp.rollback(e1);
    assertArrayEquals(filled(5000, 'x'), java.util.Arrays.copyOf(Files.readAllBytes(real("a.txt")), 5000));
    assertArrayEquals(bytes(8192, 2), Files.readAllBytes(real("b.bin")));
    assertEquals(e1, cp.currentEpoch());
    assertTrue(e2 > e1);
  }

  // ------------------------------------------------------------------ configuration

  @Test
  void badConfigurationsAreRefusedWithClearMessages() throws IOException {
    Path other = tmp.resolve("other-store");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(other).open()),
        "no tracked root");
    Path missing = tmp.resolve("missing");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(other).track(missing).open()),
        missing.toString(), "not an existing directory");
    assertMessage(
        assertThrows(
            IllegalArgumentException.class,
            () -> Checkpointer.builder(other).track(data.resolve("small.txt")).open()),
        "not an existing directory");
    assertMessage(
        assertThrows(
            IllegalArgumentException.class,
            () -> Checkpointer.builder(other).track(outside).track(data).track(data.resolve("dir")).open()),
        "overlap", data.resolve("dir").toString());
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(other).track(data).track(data)),
        "already tracked");
    Path inside = data.resolve("dir/store");
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(inside).track(outside).track(data).open()),
        "inside tracked root", data.toString());
    assertMessage(
        assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(tmp).track(outside).open()),
        "inside store");
    assertFalse(Files.exists(tmp.resolve("other-store")), "a refused configuration creates no store");
    assertFalse(Files.exists(inside), "a refused configuration creates nothing in a tracked tree");
    assertThrows(NullPointerException.class, () -> Checkpointer.builder(null));
    assertThrows(NullPointerException.class, () -> Checkpointer.builder(other).track(null));
  }

  @Test
  void blockSizesAreCheckedAndAStoreKeepsItsOwn() throws IOException {
    for (int bad : new int[] {0, 256, 1000, 4097, 2 << 20}) {
      assertMessage(
          assertThrows(IllegalArgumentException.class, () -> Checkpointer.builder(store).blockSize(bad)),
          "power of two", Integer.toString(bad));
    }
    cp.close();
    cp = null;
    CheckpointException e =
        assertThrows(
            CheckpointException.class, () -> Checkpointer.builder(store).track(data).blockSize(8192).open());
    assertMessage(e, "block size", "4096", "8192");
    Checkpointer.builder(store).track(data).blockSize(4096).open().close();
    open();
  }

  @Test
  void builderSettersMayBeCalledOnlyOnce() {
    Checkpointer.Builder b = Checkpointer.builder(store).blockSize(1024).clock(Clock.systemUTC());
    assertMessage(assertThrows(IllegalStateException.class, () -> b.blockSize(1024)), "already set");
    assertMessage(assertThrows(IllegalStateException.class, () -> b.clock(Clock.systemUTC())), "already set");
    b.track(data).track(outside); // track is repeatable
  }

  private static void assertMessage(Throwable t, String... parts) {
    for (String part : parts) {
      assertTrue(t.getMessage() != null && t.getMessage().contains(part),
          "message should mention '" + part + "': " + t.getMessage());
    }
  }

  // ------------------------------------------------------------------ closed

  @Test
  void aClosedCheckpointersFileSystemRefusesEveryOperation() throws IOException {
    FileChannel writer = FileChannel.open(p("a.txt"), WRITE);
    FileChannel reader = FileChannel.open(p("b.bin"), READ);
    FileChannel outsideWriter = FileChannel.open(out("o.txt"), WRITE);
    cp.close();
    assertFalse(fs.isOpen());
    assertFalse(writer.isOpen(), "write channel closed with the file system");
    assertFalse(reader.isOpen(), "read channel closed with the file system");
    assertFalse(outsideWriter.isOpen(), "channel outside the roots closed with the file system");

    List<Executable> refused = new ArrayList<>();
    refused.add(() -> Files.writeString(p("small.txt"), "x"));
    refused.add(() -> Files.writeString(out("o.txt"), "x"));
    refused.add(() -> Files.readString(p("small.txt")));
    refused.add(() -> Files.newByteChannel(p("small.txt")).close());
    refused.add(() -> Files.createDirectory(p("d")));
    refused.add(() -> Files.delete(p("small.txt")));
    refused.add(() -> Files.move(p("small.txt"), p("moved")));
    refused.add(() -> Files.copy(p("small.txt"), p("copied")));
    refused.add(() -> Files.setLastModifiedTime(p("small.txt"), FileTime.fromMillis(0)));
    refused.add(() -> Files.readAttributes(p("small.txt"), "*"));
    refused.add(() -> Files.size(p("small.txt")));
    refused.add(() -> Files.list(p("dir")).close());
    for (int i = 0; i < refused.size(); i++) {
      assertThrows(ClosedFileSystemException.class, refused.get(i), "operation #" + i);
    }
    assertThrows(IllegalStateException.class, () -> cp.commit());
    assertThrows(IllegalStateException.class, () -> cp.rollback(0));
    cp.close(); // closing twice is harmless
    fs.close();
    cp = null;
  }

  @Test
  void closingWithADeleteOnCloseChannelOpenSucceedsAndTheReopenedStoreUndoesIt() throws IOException {
    TreeSnapshot before = snapshot();
    cp.commit();
    FileChannel c = FileChannel.open(p("dir/c.txt"), WRITE, java.nio.file.StandardOpenOption.DELETE_ON_CLOSE);
    c.write(ByteBuffer.wrap(filled(10, 1)));
    FileChannel scratch =
        FileChannel.open(
            p("scratch"),
            WRITE,
            java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.DELETE_ON_CLOSE);
    scratch.write(ByteBuffer.wrap(filled(10, 2)));
    cp.close();
    assertFalse(c.isOpen());
    cp = null;
    open();
    before.assertTreeMatches("after reopening");
  }
}
