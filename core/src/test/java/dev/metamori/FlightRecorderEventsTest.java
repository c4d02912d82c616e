package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Flight Recorder events of commits, restores, prunes, recoveries and fail-stops, read back
 * from a recording dumped to a file, with the figures the store itself reports.
 */
class FlightRecorderEventsTest extends TrackedTreeFixture {
  private static final List<String> NAMES =
      List.of("dev.metamori.Commit", "dev.metamori.Restore", "dev.metamori.Prune", "dev.metamori.Recovery", "dev.metamori.FailStop");

  private Recording recording;

  @BeforeEach
  void startRecording() {
    recording = new Recording();
    NAMES.forEach(n -> recording.enable(n).withoutStackTrace().withThreshold(java.time.Duration.ZERO));
    recording.start();
  }

  @AfterEach
  void closeRecording() {
    recording.close();
  }

  /** Stops the recording and returns its Metamori events, in the order they were committed. */
  private List<RecordedEvent> events() throws IOException {
    recording.stop();
    Path file = tmp.resolve("events.jfr");
    recording.dump(file);
    return RecordingFile.readAllEvents(file).stream()
        .filter(e -> e.getEventType().getName().startsWith("dev.metamori."))
        .sorted(java.util.Comparator.comparing(RecordedEvent::getEndTime))
        .collect(Collectors.toList());
  }

  private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
    return events.stream().filter(e -> e.getEventType().getName().equals(name)).collect(Collectors.toList());
  }

  @Test
  void aCommitRecordsItsEpochLabelAndTheFiguresOfTheEpoch() throws IOException {
    Files.write(p("a.txt"), bytes(10_000, 7));
    Files.writeString(p("small.txt"), "changed\n");
    long first = cp.commit("first");
    Files.writeString(p("small.txt"), "again\n");
    long second = cp.commitAsync().join();

    List<RecordedEvent> commits = named(events(), "dev.metamori.Commit");
    assertEquals(2, commits.size(), commits.toString());
    List<Epoch> epochs = cp.epochs();
    RecordedEvent one = commits.get(0);
    Epoch e1 = epochs.stream().filter(e -> e.id() == first).findFirst().orElseThrow();
    assertEquals(first, one.getLong("epoch"));
    assertEquals("first", one.getString("label"));
    assertEquals(e1.filesChanged(), one.getLong("files"));
    assertEquals(2, one.getLong("files"));
    assertEquals(e1.blocksJournaled(), one.getLong("blocksJournaled"));
    assertEquals(e1.bytesJournaled(), one.getLong("bytesJournaled"));
    assertTrue(one.getLong("bytesJournaled") > 10_000, one.toString());
    assertEquals(store.toRealPath().toString(), one.getString("store"));
    assertEquals(second, commits.get(1).getLong("epoch"));
    assertNull(commits.get(1).getString("label"));
    assertEquals(1, commits.get(1).getLong("files"));
    assertNull(one.getStackTrace(), "recorded without a stack trace");
  }

  @Test
  void aRestoreAcrossBranchesRecordsTheEpochsUndoneAndRedoneAndTheirBytes() throws IOException {
    long base = cp.commit();
    Files.writeString(p("small.txt"), "left 1\n");
    long left1 = cp.commit();
    Files.writeString(p("small.txt"), "left 2\n");
    long left2 = cp.commit();
    cp.restore(base);
    Files.writeString(p("small.txt"), "right\n");
    long right = cp.commit();
    cp.restore(left2); // up: right; down: left1, left2

    List<RecordedEvent> restores = named(events(), "dev.metamori.Restore");
    assertEquals(2, restores.size(), restores.toString());
    RecordedEvent r = restores.get(1);
    assertEquals(left2, r.getLong("epoch"));
    assertEquals(right, r.getLong("from"));
    assertEquals(1, r.getLong("epochsUndone"));
    assertEquals(2, r.getLong("epochsRedone"));
    long bytes =
        cp.epochs().stream()
            .filter(e -> e.id() == right || e.id() == left1 || e.id() == left2)
            .mapToLong(Epoch::bytesJournaled)
            .sum();
    assertEquals(bytes, r.getLong("bytes"));
    assertTrue(bytes > 0);
    assertEquals(2, restores.get(0).getLong("epochsUndone"));
    assertEquals(0, restores.get(0).getLong("epochsRedone"));
  }

  @Test
  void aPruneRecordsTheEpochsRemovedAndTheStoreSizeBeforeAndAfter() throws IOException {
    for (int i = 0; i < 5; i++) {
      Files.write(p("a.txt"), bytes(10_000, 10 + i));
      cp.commit();
    }
    PruneResult result = cp.prune(RetentionPolicy.keepLast(2));

    List<RecordedEvent> prunes = named(events(), "dev.metamori.Prune");
    assertEquals(1, prunes.size());
    RecordedEvent p = prunes.get(0);
    assertEquals(result.removedEpochs().size(), p.getLong("epochsRemoved"));
    assertEquals(4, p.getLong("epochsRemoved"));
    assertEquals(2, p.getLong("epochsKept"));
    assertEquals(result.storeBytesBefore(), p.getLong("storeBytesBefore"));
    assertEquals(result.storeBytesAfter(), p.getLong("storeBytesAfter"));
  }

  @Test
  void anOpenThatUndoesUncommittedChangesRecordsARecoveryAndACleanOneDoesNot() throws IOException {
    long committed = cp.commit();
    reopen(); // nothing to undo
    Files.writeString(p("small.txt"), "not committed\n");
    reopen(); // closing does not commit: the open undoes it

    List<RecordedEvent> events = events();
    List<RecordedEvent> recoveries = named(events, "dev.metamori.Recovery");
    assertEquals(1, recoveries.size(), events.toString());
    RecordedEvent r = recoveries.get(0);
    assertEquals(committed, r.getLong("epoch"));
    assertEquals(1, r.getLong("segmentsUndone"));
    assertFalse(r.getBoolean("restoreFinished"));
    assertEquals("hello\n", Files.readString(data.resolve("small.txt")));
  }

  @Test
  void aFatalIoErrorInACommitRecordsAFailStop() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("faulty"));
    Path root = Files.createDirectories(dir.resolve("root"));
    FaultyFileSystem faulty = FaultyFileSystem.create();
    Checkpointer failing =
        Checkpointer.builder(faulty.getPath(dir.resolve("store").toString()))
            .track(faulty.getPath(root.toString()))
            .open();
    try {
      Files.writeString(failing.fileSystem().getPath(root.resolve("f").toString()), "one");
      faulty.failAt(faulty.calls() + 1, Fault.IO_ERROR, true);
      IOException e = assertThrows(IOException.class, failing::commit);
      faulty.disarm();
      assertThrows(CheckpointException.class, failing::commit, "stopped");

      List<RecordedEvent> stops = named(events(), "dev.metamori.FailStop");
      assertEquals(1, stops.size(), stops.toString());
      assertEquals(dir.resolve("store").toRealPath().toString(), stops.get(0).getString("store"));
      assertTrue(stops.get(0).getString("error").contains("injected I/O error"), stops.get(0).toString());
      assertTrue(e.toString().contains("injected I/O error"), e.toString());
    } finally {
      failing.close();
    }
  }

  @Test
  void theEventsAreRegisteredInTheMetamoriCategoryWithoutStackTraces() throws IOException {
    Files.writeString(p("small.txt"), "x\n");
    cp.commit();
    cp.restore(0);
    for (String name : NAMES.subList(0, 2)) {
      EventType type =
          FlightRecorder.getFlightRecorder().getEventTypes().stream()
              .filter(t -> t.getName().equals(name))
              .findFirst()
              .orElseThrow(() -> new AssertionError(name + " is not registered"));
      assertEquals(List.of("Metamori"), type.getCategoryNames());
      assertTrue(type.getLabel().startsWith("Metamori "), type.getLabel());
      assertTrue(type.getDescription() != null && !type.getDescription().isEmpty());
    }
  }
}
