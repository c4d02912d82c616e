package dev.metamori;

import static java.nio.file.StandardOpenOption.APPEND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** prune(RetentionPolicy): which epochs stay, what space comes back, and that restores stay exact. */
class PruneTest extends TrackedTreeFixture {

  /** {@code n} commits on a line, each appending 20 KiB to a log and rewriting a small file. */
  private Map<Long, TreeSnapshot> line(int n) throws IOException {
    Map<Long, TreeSnapshot> states = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      Files.write(p("log.bin"), bytes(20_000, i), Files.exists(p("log.bin")) ? new java.nio.file.OpenOption[] {APPEND} : new java.nio.file.OpenOption[0]);
      Files.write(p("a.txt"), bytes(9_000, 100 + i));
      long id = i % 5 == 0 ? cp.commit("mark" + i) : cp.commit();
      states.put(id, snapshot());
    }
    return states;
  }

  private static List<Long> ids(List<Epoch> epochs) {
    return epochs.stream().map(Epoch::id).collect(Collectors.toList());
  }

  private long segmentBytes() throws IOException {
    try (Stream<Path> files = Files.walk(store.resolve("segments"))) {
      return files.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }

  @Test
  void keepLastRemovesOldEpochsAndTheirSegmentsAndKeepsRestoresExact() throws IOException {
    Map<Long, TreeSnapshot> states = line(12);
    long before = segmentBytes();
    PruneResult r = cp.prune(RetentionPolicy.keepLast(4));
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), r.removedEpochs());
    assertEquals(List.of(9L, 10L, 11L, 12L), ids(cp.epochs()));
    assertEquals(-1, cp.epochs().get(0).parent(), "the oldest kept epoch is the root now");
    assertTrue(segmentBytes() < before / 2, "segments of epochs 1-9 are gone: " + segmentBytes() + " of " + before);
    assertTrue(r.reclaimedBytes() > 0, r.toString());
    for (long e : List.of(9L, 12L, 10L, 11L)) {
      cp.restore(e);
      states.get(e).assertTreeMatches("restore of epoch " + e + " after prune");
    }
    NoSuchEpochException gone = assertThrows(NoSuchEpochException.class, () -> cp.restore(3));
    assertTrue(gone.getMessage().contains("pruned") || gone.getMessage().contains("not in the store"), gone.getMessage());
    reopen();
    assertEquals(List.of(9L, 10L, 11L, 12L), ids(cp.epochs()));
    cp.restore(12);
    states.get(12L).assertTreeMatches("restore after reopening a pruned store");
    assertEquals(13, cp.commit(), "ids are never reused");
  }

  @Test
  void anEpochRemovedBetweenKeptOnesStillLetsRestoresPassThroughIt() throws IOException {
    Map<Long, TreeSnapshot> states = line(6);
    cp.restore(2);
    PruneResult r = cp.prune(RetentionPolicy.keepLabelled().or(RetentionPolicy.keepLast(1)));
    // labelled: 1 ("mark0") and 6 ("mark5"); 2 is current; 3, 4, 5 are hidden between 2 and 6
    assertEquals(List.of(0L, 3L, 4L, 5L), r.removedEpochs());
    List<Epoch> left = cp.epochs();
    assertEquals(List.of(1L, 2L, 6L), ids(left));
    assertEquals(List.of(-1L, 1L, 2L), left.stream().map(Epoch::parent).collect(Collectors.toList()));
    cp.restore(6);
    states.get(6L).assertTreeMatches("redo through pruned epochs 3-5");
    cp.restore(1);
    states.get(1L).assertTreeMatches("undo through pruned epochs 5-2");
    assertThrows(NoSuchEpochException.class, () -> cp.restore(4));
  }

  @Test
  void droppingABranchDeletesItsFilesAndLeavesTheOtherExact() throws IOException {
    Map<Long, TreeSnapshot> states = line(3);
    cp.restore(1);
    Files.writeString(p("branch.txt"), "b");
    long b1 = cp.commit();
    Files.write(p("big.bin"), bytes(200_000, 7));
    long b2 = cp.commit();
    TreeSnapshot atB2 = snapshot();
    cp.restore(3);
    assertTrue(Files.exists(store.resolve("segments").resolve(String.format("%020d.seg", b2))));
    PruneResult r = cp.prune(RetentionPolicy.keepAll().dropBranch(b1));
    assertEquals(List.of(b1, b2), r.removedEpochs());
    assertEquals(List.of(0L, 1L, 2L, 3L), ids(cp.epochs()));
    assertFalse(Files.exists(store.resolve("segments").resolve(String.format("%020d.seg", b2))));
    assertFalse(Files.exists(store.resolve("segments").resolve(String.format("%020d.redo", b2))));
    assertFalse(Files.exists(store.resolve("trash").resolve(Long.toString(b2))));
    cp.restore(0);
    cp.restore(2);
    states.get(2L).assertTreeMatches("restore of epoch 2 after dropping a branch");
    assertTrue(atB2.differencesFrom(snapshot()).size() > 0);

    cp.restore(1);
    IllegalArgumentException onIt =
        assertThrows(IllegalArgumentException.class, () -> cp.prune(RetentionPolicy.keepAll().dropBranch(1)));
    assertTrue(onIt.getMessage().contains("current epoch 1"), onIt.getMessage());
  }

  @Test
  void regionsAndObjectsReadFromEpochsAboveTheKeptOnesSurviveAPrune() throws IOException {
    MemoryRegion grid = cp.region("grid", 3 * 4096);
    grid.put(10, (byte) 1); // page 0 changes only here, in epoch 1
    grid.put(8192 + 5, (byte) 9);
    cp.commit();
    List<byte[]> at = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      grid.put(8192 + 6, (byte) (20 + i)); // page 2 changes in every epoch
      Files.write(p("a.txt"), bytes(5_000, i));
      cp.commit();
      byte[] copy = new byte[(int) grid.size()];
      grid.buffer().get(0, copy);
      at.add(copy);
    }
    long archivedBefore = Files.size(store.resolve("segments").resolve(String.format("%020d.seg", 3)));
    PruneResult r = cp.prune(RetentionPolicy.keepLast(2));
    assertEquals(List.of(5L, 6L), ids(cp.epochs()));
    long archivedAfter = Files.size(store.resolve("segments").resolve(String.format("%020d.seg", 3)));
    assertTrue(
        archivedAfter < archivedBefore / 2,
        "epoch 3 holds a page epoch 5 reads, so it stays, but without its undo records: "
            + archivedAfter + " of " + archivedBefore + " bytes");
    assertTrue(r.reclaimedBytes() > 0, r.toString());
    cp.restore(5);
    byte[] now = new byte[(int) grid.size()];
    grid.buffer().get(0, now);
    assertArrayEquals(at.get(3), now, "page 0 still comes from epoch 1, which is pruned");
    reopen();
    MemoryRegion again = cp.region("grid", 3 * 4096);
    again.buffer().get(0, now);
    assertArrayEquals(at.get(3), now, "the region reloads from the archived epoch after reopening");
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());
  }

  /**
   * A file deleted while a channel is open on it lives on in the trash of the epoch that deleted
   * it, and later epochs journal the writes made through the channel under that trash name. A
   * prune that drops the deleting epoch deletes its trash; restores between the kept epochs
   * must still work, and restore exactly every file that is still in the trees.
   */
  @Test
  void writesThroughAChannelOnADeletedFileSurviveAPruneOfTheEpochThatDeletedIt() throws IOException {
    Files.write(p("gone.bin"), bytes(12_000, 1));
    Files.write(p("a.txt"), bytes(3_000, 2));
    cp.commit();
    Map<Long, TreeSnapshot> states = new LinkedHashMap<>();
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p("gone.bin"), java.nio.file.StandardOpenOption.WRITE)) {
      long deleted = deleteThenWriteThrough(ch, "gone.bin", true, states); // its trash holds gone.bin, still open
      List<Long> ids = new ArrayList<>(states.keySet());
      long third = ids.get(2);
      long last = ids.get(3);
      cp.prune(RetentionPolicy.keepLast(2));
      assertEquals(List.of(third, last), ids(cp.epochs()));
      assertFalse(Files.exists(store.resolve("trash").resolve(Long.toString(deleted))), "the trash of the pruned epoch");
      cp.restore(third);
      states.get(third).assertTreeMatches("undo of writes made through the deleted file's channel");
      cp.restore(last);
      states.get(last).assertTreeMatches("redo of them");
    }
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());
  }

  /** The same with a second hard link in the trees: its contents must come back too. */
  @Test
  void writesThroughAChannelOnADeletedHardLinkAreRestoredAfterAPrune() throws IOException {
    Files.write(p("one.bin"), bytes(12_000, 1));
    Files.createLink(p("two.bin"), p("one.bin"));
    cp.commit();
    Map<Long, TreeSnapshot> states = new LinkedHashMap<>();
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p("one.bin"), java.nio.file.StandardOpenOption.WRITE)) {
      deleteThenWriteThrough(ch, "one.bin", false, states);
    }
    List<Long> ids = new ArrayList<>(states.keySet());
    long third = ids.get(2);
    long last = ids.get(3);
    cp.prune(RetentionPolicy.keepLast(2));
    assertEquals(List.of(third, last), ids(cp.epochs()));
    cp.restore(third);
    states.get(third).assertTreeMatches("two.bin, changed through the other link's channel, after a prune");
    cp.restore(last);
    states.get(last).assertTreeMatches("redo of two.bin");
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());

    cp.close();
    cp = null;
    Files.delete(store.resolve("index.mv"));
    open();
    assertEquals(List.of(third, last), ids(cp.epochs()), "after rebuilding the index");
    cp.restore(third);
    states.get(third).assertTreeMatches("restore with a rebuilt index");
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());

    Files.delete(p("two.bin"));
    cp.commit(); // its trash holds the last other link
    Files.write(p("a.txt"), bytes(10, 3));
    cp.commit();
    cp.prune(RetentionPolicy.keepLast(1));
    assertEquals(List.of(), trashLeftOfDroppedEpochs(), "a later prune deletes what is alone");
  }

  /**
   * Deletes {@code name} while {@code ch} is open on it and commits; then commits four epochs
   * that each write through {@code ch} (and rewrite a.txt if {@code touchOther}), putting each
   * one's snapshot into {@code states}.
   *
   * @return the epoch that deleted it
   */
  private long deleteThenWriteThrough(
      java.nio.channels.FileChannel ch, String name, boolean touchOther, Map<Long, TreeSnapshot> states)
      throws IOException {
    Files.delete(p(name));
    long deleted = cp.commit();
    for (int i = 0; i < 4; i++) {
      ch.write(java.nio.ByteBuffer.wrap(bytes(5_000, 10 + i)), 1_000L * i);
      if (touchOther) {
        Files.write(p("a.txt"), bytes(3_000, 20 + i));
      }
      long id = cp.commit();
      states.put(id, snapshot());
    }
    return deleted;
  }

  /** Files left in the trash of epochs that are no longer in the store. */
  private List<Path> trashLeftOfDroppedEpochs() throws IOException {
    List<Long> live = new ArrayList<>(ids(cp.epochs()));
    try (Stream<Path> files = Files.walk(store.resolve("trash"))) {
      return files
          .filter(Files::isRegularFile)
          .filter(f -> !live.contains(Long.parseLong(store.resolve("trash").relativize(f).getName(0).toString())))
          .collect(Collectors.toList());
    }
  }

  @Test
  void keepOnePerIntervalKeepsTheNewestOfEach() {
    Instant t = Instant.parse("2026-01-01T10:00:00Z");
    List<Epoch> epochs = List.of(
        new Epoch(0, -1, t, 0, 0, 0),
        new Epoch(1, 0, t.plusSeconds(600), 0, 0, 0),
        new Epoch(2, 1, t.plusSeconds(3000), 0, 0, 0),
        new Epoch(3, 2, t.plusSeconds(3700), 0, 0, 0),
        new Epoch(4, 3, t.plusSeconds(7300), 0, 0, 0, "x"));
    assertEquals(java.util.Set.of(2L, 3L, 4L), RetentionPolicy.keepOnePer(Duration.ofHours(1)).kept(epochs));
    assertEquals(java.util.Set.of(4L), RetentionPolicy.keepLabelled().kept(epochs));
    assertEquals(java.util.Set.of(3L, 4L), RetentionPolicy.keepLast(2).kept(epochs));
    assertEquals(java.util.Set.of(0L, 1L), RetentionPolicy.keepAll().dropBranch(2).kept(epochs));
    assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.keepLast(-1));
    assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.keepOnePer(Duration.ZERO));
  }

  @Test
  void aPruneCutShortAfterItsIndexCommitIsFinishedByTheNextOpen() throws IOException {
    Map<Long, TreeSnapshot> states = line(2);
    cp.restore(1);
    Files.write(p("side.bin"), bytes(50_000, 3));
    long side = cp.commit();
    cp.restore(2);
    cp.close();
    cp = null;
    // the state a crash leaves between the prune's index commit and its deletions: the epoch
    // is gone from the index and named by a tombstone, its files are still there, and the
    // catalogue has not had the event the index has made (its generation is one behind)
    org.h2.mvstore.MVStore mv =
        new org.h2.mvstore.MVStore.Builder().fileName(store.resolve("index.mv").toString()).open();
    try {
      mv.openMap(
              "epochs",
              new org.h2.mvstore.MVMap.Builder<Long, byte[]>()
                  .keyType(org.h2.mvstore.type.LongDataType.INSTANCE)
                  .valueType(org.h2.mvstore.type.ByteArrayDataType.INSTANCE))
          .remove(side);
      org.h2.mvstore.MVMap<String, Long> meta =
          mv.openMap(
              "meta",
              new org.h2.mvstore.MVMap.Builder<String, Long>()
                  .keyType(org.h2.mvstore.type.StringDataType.INSTANCE)
                  .valueType(org.h2.mvstore.type.LongDataType.INSTANCE));
      meta.put(String.format("pruned/%020d", side), 1L);
      meta.put("catalogue", meta.get("catalogue") + 1);
      mv.commit();
    } finally {
      mv.close();
    }
    Path segment = store.resolve("segments").resolve(String.format("%020d.seg", side));
    assertTrue(Files.exists(segment));
    open();
    assertFalse(Files.exists(segment), "the open finished the deletion");
    assertFalse(Files.exists(store.resolve("segments").resolve(String.format("%020d.redo", side))));
    assertEquals(List.of(0L, 1L, 2L), ids(cp.epochs()));
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());
    cp.restore(1);
    states.get(1L).assertTreeMatches("restore after the finished prune");
  }

  @Test
  void aCompactionCutShortBeforeItsIndexCommitIsDiscardedOnOpen() throws IOException {
    Map<Long, TreeSnapshot> states = line(3);
    cp.close();
    cp = null;
    Path segment = store.resolve("segments").resolve(String.format("%020d.seg", 2));
    Path copy = segment.resolveSibling(segment.getFileName() + ".new");
    // a copy the index never pointed at (another nonce): the segment stays as it is
    Files.copy(segment, copy);
    byte[] original = Files.readAllBytes(segment);
    open();
    assertFalse(Files.exists(copy));
    assertArrayEquals(original, Files.readAllBytes(segment));
    assertTrue(cp.verify().isEmpty(), cp.verify().toString());
    cp.restore(1);
    states.get(1L).assertTreeMatches("restore after discarding the copy");
  }
}
