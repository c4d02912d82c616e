package dev.metamori;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Commits, rollbacks over several epochs, reopening, and what {@code epochs()} reports. */
class EpochLifecycleTest extends TrackedTreeFixture {

  /** A clock the test moves by hand. */
  static final class ManualClock extends Clock {
    final AtomicLong millis;

    ManualClock(Instant start) {
      millis = new AtomicLong(start.toEpochMilli());
    }

    Instant advance() {
      return Instant.ofEpochMilli(millis.addAndGet(1000));
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis.get());
    }
  }

  /** Five epochs, each changing the tree differently; returns the snapshots of epochs 0..5. */
  private List<TreeSnapshot> fiveEpochs() throws IOException {
    List<TreeSnapshot> states = new ArrayList<>();
    states.add(snapshot());
    Files.write(p("a.txt"), filled(3000, 'a'), WRITE);
    Files.writeString(p("dir/new.txt"), "epoch 1");
    assertEquals(1, cp.commit());
    states.add(snapshot());
    Files.move(p("dir"), p("empty/dir"));
    Files.delete(p("small.txt"));
    Files.setPosixFilePermissions(p("b.bin"), PosixFilePermissions.fromString("r--------"));
    assertEquals(2, cp.commit());
    states.add(snapshot());
    Files.write(p("empty/dir/new.txt"), filled(20_000, 'n'), APPEND);
    Files.copy(p("a.txt"), p("small.txt"));
    Files.createSymbolicLink(p("link2"), fs.getPath("b.bin"));
    assertEquals(3, cp.commit());
    states.add(snapshot());
    try (FileChannel c = FileChannel.open(p("a.txt"), WRITE)) {
      c.truncate(5);
    }
    Files.delete(p("empty/dir/sub/d.txt"));
    Files.setLastModifiedTime(p("empty"), FileTime.from(Instant.parse("2011-11-11T11:11:11Z")));
    assertEquals(4, cp.commit());
    states.add(snapshot());
    Files.move(p("empty/dir"), p("dir"), StandardCopyOption.ATOMIC_MOVE);
    Files.write(p("dir/c.txt"), bytes(9000, 55));
    Files.createDirectories(p("deep/er/still"));
    assertEquals(5, cp.commit());
    states.add(snapshot());
    return states;
  }

  @Test
  void rollingBackFromEpochFiveToEpochZeroRestoresTheOriginalTree() throws IOException {
    List<TreeSnapshot> states = fiveEpochs();
    Files.writeString(p("uncommitted"), "x");
    cp.rollback(0);
    states.get(0).assertTreeMatches("rollback from epoch 5 to 0");
    assertEquals(0, cp.currentEpoch());
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), ids(cp.epochs()), "newer epochs stay in the store");
  }

  @Test
  void restoringForwardRedoesEveryEpochExactly() throws IOException {
    List<TreeSnapshot> states = fiveEpochs();
    cp.restore(0);
    states.get(0).assertTreeMatches("restore to epoch 0");
    for (int e = 1; e <= 5; e++) {
      cp.restore(e);
      states.get(e).assertTreeMatches("restore forward to epoch " + e);
    }
    cp.restore(1);
    cp.restore(5);
    states.get(5).assertTreeMatches("restore from 1 straight to 5");
    cp.restore(2);
    reopen();
    states.get(2).assertTreeMatches("reopened at epoch 2");
    cp.restore(4);
    states.get(4).assertTreeMatches("restore to 4 after reopening");
  }

  @Test
  void abandonedEpochsFormABranchThatCanBeRestored() throws IOException {
    List<TreeSnapshot> states = fiveEpochs();
    cp.restore(2);
    Files.writeString(p("a.txt"), "branch six");
    Files.delete(p("b.bin"));
    Files.createDirectories(p("fresh/deeper"));
    Files.write(p("fresh/deeper/f.bin"), bytes(10_000, 7));
    assertEquals(6, cp.commit("six"));
    TreeSnapshot s6 = snapshot();
    Files.move(p("fresh"), p("renamed"));
    assertEquals(7, cp.commit());
    TreeSnapshot s7 = snapshot();
    assertEquals(List.of(-1L, 0L, 1L, 2L, 3L, 4L, 2L, 6L),
        cp.epochs().stream().map(Epoch::parent).collect(Collectors.toList()));
    cp.restore(5);
    states.get(5).assertTreeMatches("restore from branch 6-7 to epoch 5 on the other branch");
    cp.restore(6);
    s6.assertTreeMatches("back to epoch 6");
    cp.restore(3);
    states.get(3).assertTreeMatches("across to epoch 3");
    cp.restore(7);
    s7.assertTreeMatches("across to epoch 7");
    assertEquals(6, cp.epoch("six").id());
  }

  @Test
  void rollingBackStepByStepVisitsEveryEpochExactly() throws IOException {
    List<TreeSnapshot> states = fiveEpochs();
    for (int e = 5; e >= 0; e--) {
      cp.rollback(e);
      states.get(e).assertTreeMatches("rollback to epoch " + e);
    }
  }

  @Test
  void rollingBackSkippingEpochsAndCommittingOnTopWorks() throws IOException {
    List<TreeSnapshot> states = fiveEpochs();
    cp.rollback(3);
    states.get(3).assertTreeMatches("rollback to epoch 3");
    Files.writeString(p("after3.txt"), "branch");
    long six = cp.commit();
    assertEquals(6, six);
    TreeSnapshot s6 = snapshot();
    cp.rollback(1);
    states.get(1).assertTreeMatches("rollback to epoch 1");
    reopen();
    states.get(1).assertTreeMatches("reopened at epoch 1");
    assertEquals(1, cp.currentEpoch());
    assertTrue(s6.differencesFrom(snapshot()).size() > 0);
    cp.rollback(six);
    s6.assertTreeMatches("restore of epoch 6, on the branch off epoch 3");
    assertThrows(NoSuchEpochException.class, () -> cp.rollback(99));
    cp.rollback(0);
    states.get(0).assertTreeMatches("rollback to epoch 0 after reopening");
  }

  @Test
  void rollingBackToTheCurrentEpochDiscardsUncommittedWork() throws IOException {
    Files.writeString(p("small.txt"), "committed");
    long e1 = cp.commit();
    TreeSnapshot committed = snapshot();
    FileChannel open = FileChannel.open(p("a.txt"), WRITE);
    open.write(ByteBuffer.wrap(filled(5000, 'u')));
    Files.delete(p("b.bin"));
    Files.move(p("dir"), p("dir2"));
    Files.createDirectory(p("dir2/more"));
    Files.setPosixFilePermissions(p("empty"), PosixFilePermissions.fromString("---------"));
    cp.rollback(e1);
    committed.assertTreeMatches("rollback to the current epoch");
    assertEquals(e1, cp.currentEpoch());
    assertFalse(open.isOpen(), "rollback closes open channels");
    assertThrows(java.nio.channels.ClosedChannelException.class, () -> open.write(ByteBuffer.allocate(1)));
    assertEquals(List.of(0L, e1), ids(cp.epochs()));
  }

  @Test
  void closingWithoutCommitThenReopeningDiscardsUncommittedWork() throws IOException {
    Files.writeString(p("small.txt"), "committed");
    long e1 = cp.commit();
    TreeSnapshot committed = snapshot();
    FileChannel open = FileChannel.open(p("a.txt"), WRITE);
    open.write(ByteBuffer.wrap(filled(5000, 'u')), 2000);
    Files.writeString(p("dir/sub/new.txt"), "uncommitted");
    Files.delete(p("link"));
    Files.move(p("b.bin"), out("b-out.bin"));
    Files.setLastModifiedTime(p("dir"), FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
    cp.close();
    assertFalse(open.isOpen(), "close closes open channels");
    cp = null;
    open();
    committed.assertTreeMatches("reopened after closing without commit");
    assertEquals(e1, cp.currentEpoch());
    assertEquals(List.of(0L, e1), ids(cp.epochs()));
    assertEquals(e1 + 1, cp.commit(), "the next commit follows the last committed epoch");
  }

  @Test
  void epochsReportIdsParentsTimesAndWhatWasJournaled() throws IOException {
    cp.close();
    ManualClock clock = new ManualClock(Instant.parse("2024-03-01T10:00:00Z"));
    cp = harness.builder().clock(clock).open();
    fs = cp.fileSystem();

    List<Epoch> initial = cp.epochs();
    assertEquals(1, initial.size());
    assertEquals(0, initial.get(0).id());
    assertEquals(-1, initial.get(0).parent());

    // one 4 KiB block overwritten twice in one epoch: its old contents are saved once
    try (FileChannel c = FileChannel.open(p("b.bin"), WRITE)) {
      c.write(ByteBuffer.wrap(filled(100, 1)), 4096);
      c.write(ByteBuffer.wrap(filled(4096, 2)), 4096);
    }
    Instant t1 = clock.advance();
    long e1 = cp.commit();
    // appending past the size the file had when the epoch started saves no block
    Files.write(p("a.txt"), filled(5000, 3), APPEND);
    Files.write(p("a.txt"), filled(5000, 4), APPEND);
    Instant t2 = clock.advance();
    long e2 = cp.commit();
    // nothing changed
    Instant t3 = clock.advance();
    long e3 = cp.commit();
    // a write over the first 10000 bytes of a 20000-byte file touches blocks 0, 1 and 2
    Files.write(p("a.txt"), filled(10_000, 5), WRITE);
    Instant t4 = clock.advance();
    long e4 = cp.commit();
    // a new file: its directory is touched and the file is created; no block saved
    Files.write(p("dir/new.bin"), bytes(50_000, 6));
    Files.write(p("dir/new.bin"), bytes(50_000, 7));
    Instant t5 = clock.advance();
    long e5 = cp.commit();
    // a change outside the tracked root is not journaled
    Files.writeString(out("o.txt"), "changed");
    Instant t6 = clock.advance();
    long e6 = cp.commit();

    List<Epoch> epochs = cp.epochs();
    assertEquals(List.of(0L, e1, e2, e3, e4, e5, e6), ids(epochs));
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), List.of(e1, e2, e3, e4, e5, e6));
    assertEquals(List.of(-1L, 0L, 1L, 2L, 3L, 4L, 5L),
        epochs.stream().map(Epoch::parent).collect(Collectors.toList()));
    assertEquals(List.of(t1, t2, t3, t4, t5, t6),
        epochs.subList(1, 7).stream().map(Epoch::committedAt).collect(Collectors.toList()));

    assertEquals(1, epochs.get(1).blocksJournaled());
    assertEquals(1, epochs.get(1).filesChanged());
    assertTrue(epochs.get(1).bytesJournaled() > 4096,
        "a block of random bytes cannot be compressed much: " + epochs.get(1).bytesJournaled());

    assertEquals(0, epochs.get(2).blocksJournaled());
    assertEquals(1, epochs.get(2).filesChanged());
    assertTrue(epochs.get(2).bytesJournaled() > 0);
    assertTrue(epochs.get(2).bytesJournaled() < 4096);

    assertEquals(new Epoch(e3, e2, t3, 0, 0, 0), epochs.get(3));

    assertEquals(3, epochs.get(4).blocksJournaled());
    assertEquals(1, epochs.get(4).filesChanged());

    assertEquals(0, epochs.get(5).blocksJournaled());
    assertEquals(2, epochs.get(5).filesChanged());
    assertTrue(epochs.get(5).bytesJournaled() > 0);

    assertEquals(new Epoch(e6, e5, t6, 0, 0, 0), epochs.get(6));

    reopen();
    assertEquals(epochs, cp.epochs(), "epochs survive reopening");
  }

  @Test
  void epochIdsAreNeverReusedAfterARollback() throws IOException {
    Files.writeString(p("small.txt"), "1");
    long e1 = cp.commit();
    Files.writeString(p("small.txt"), "2");
    long e2 = cp.commit();
    Files.writeString(p("small.txt"), "3");
    long e3 = cp.commit();
    assertEquals(List.of(1L, 2L, 3L), List.of(e1, e2, e3));
    cp.rollback(e1);
    assertEquals(List.of(0L, 1L, 2L, 3L), ids(cp.epochs()));
    Files.writeString(p("small.txt"), "4");
    long e4 = cp.commit();
    assertEquals(4, e4);
    assertEquals(e1, cp.epochs().get(4).parent());
    cp.rollback(e2);
    assertEquals("2", Files.readString(p("small.txt")));
    cp.rollback(e3);
    assertEquals("3", Files.readString(p("small.txt")));
    assertThrows(NoSuchEpochException.class, () -> cp.rollback(e4 + 1));
    reopen();
    cp.rollback(e1);
    assertEquals("1", Files.readString(real("small.txt")));
    assertEquals(5, cp.commit());
  }

  @Test
  void pathsOutsideTheTrackedRootsPassThroughAndAreNotRestored() throws IOException {
    long base = cp.commit();
    Files.writeString(out("o.txt"), "changed outside");
    Files.createDirectory(out("made"));
    Files.writeString(out("made/f"), "f");
    Files.setPosixFilePermissions(out("o.txt"), PosixFilePermissions.fromString("rwx------"));
    long e1 = cp.commit();
    assertEquals(0, cp.epochs().get(1).filesChanged());
    assertEquals(0, cp.epochs().get(1).bytesJournaled());
    Files.delete(out("made/f"));
    cp.rollback(e1);
    cp.rollback(base);
    assertEquals("changed outside", Files.readString(outside.resolve("o.txt")));
    assertFalse(Files.exists(outside.resolve("made/f")));
    assertTrue(Files.isDirectory(outside.resolve("made")));
    assertEquals(PosixFilePermissions.fromString("rwx------"),
        Files.getPosixFilePermissions(outside.resolve("o.txt")));
  }

  @Test
  void toFileIsRefusedUnderATrackedRootAndAllowedOutside() throws IOException {
    assertThrows(UnsupportedOperationException.class, () -> p("a.txt").toFile());
    assertThrows(UnsupportedOperationException.class, () -> p("not/yet/there").toFile());
    assertThrows(UnsupportedOperationException.class, () -> fs.getPath(data.toString()).toFile());
    Files.createSymbolicLink(outside.resolve("into"), data.resolve("dir"));
    assertThrows(UnsupportedOperationException.class, () -> out("into/c.txt").toFile(),
        "a path that leads into a tracked root through a link is tracked too");
    File f = out("o.txt").toFile();
    assertEquals(outside.resolve("o.txt").toFile(), f);
    assertEquals(tmp.resolve("store").toFile(), fs.getPath(store.toString()).toFile());
  }

  @Test
  void theFileSystemUsesTheSamePathStringsAsTheDefaultOne() throws IOException {
    Path a = p("a.txt");
    assertEquals(data.resolve("a.txt").toString(), a.toString());
    assertEquals(a, fs.getPath(data.toString(), "a.txt"));
    assertEquals(p("dir/sub/d.txt"), p("dir").resolve("sub/d.txt"));
    assertEquals(p("dir"), p("dir/sub/..").normalize());
    try (var s = Files.list(p("dir"))) {
      List<Path> listed = s.sorted().collect(Collectors.toList());
      assertEquals(List.of(p("dir/c.txt"), p("dir/sub")), listed);
      assertTrue(listed.stream().allMatch(x -> x.getFileSystem() == fs));
    }
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(a));
  }

  private static List<Long> ids(List<Epoch> epochs) {
    return epochs.stream().map(Epoch::id).collect(Collectors.toList());
  }

  @Test
  void labelledEpochsAreFoundByLabelAndSurviveAReopen() throws IOException {
    Files.writeString(fs.getPath(data.resolve("small.txt").toString()), "v1");
    long first = cp.commit("baseline");
    Files.writeString(fs.getPath(data.resolve("small.txt").toString()), "v2");
    long second = cp.commitAsync("tuned").join();
    long third = cp.commit("baseline"); // a label may be reused: the newest wins
    assertEquals(third, cp.epoch("baseline").id());
    assertEquals("tuned", cp.epoch("tuned").label());
    assertEquals(second, cp.epoch("tuned").id());
    assertThrows(NoSuchEpochException.class, () -> cp.epoch("nope"));
    assertThrows(IllegalArgumentException.class, () -> cp.commit(""));
    reopen();
    assertEquals(
        List.of("baseline", "tuned", "baseline"),
        cp.epochs().stream().skip(1).map(Epoch::label).collect(Collectors.toList()));
    cp.rollback(first);
    assertEquals(third, cp.epoch("baseline").id(), "labels of epochs on other branches count too");
    assertEquals(second, cp.epoch("tuned").id());
    assertEquals("v1", Files.readString(data.resolve("small.txt")));
    cp.restore(cp.epoch("tuned").id());
    assertEquals("v2", Files.readString(data.resolve("small.txt")));
  }

  @Test
  void aStoreReopensWithTheRootsItRecordedWhenNoneAreNamed() throws IOException {
    Files.writeString(fs.getPath(data.resolve("small.txt").toString()), "committed");
    long one = cp.commit();
    Files.writeString(fs.getPath(data.resolve("small.txt").toString()), "uncommitted");
    cp.close();
    cp = Checkpointer.builder(store).open(); // the roots come from the store
    fs = cp.fileSystem();
    assertEquals("committed", Files.readString(data.resolve("small.txt")));
    Files.writeString(fs.getPath(data.resolve("small.txt").toString()), "again");
    cp.rollback(one);
    assertEquals("committed", Files.readString(data.resolve("small.txt")), "writes are journaled");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> Checkpointer.builder(tmp.resolve("fresh")).open());
    assertTrue(e.getMessage().contains("no tracked root"), e.getMessage());
  }
}
