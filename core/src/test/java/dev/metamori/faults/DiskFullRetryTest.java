package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.DiskFullException;
import dev.metamori.Durability;
import dev.metamori.internal.journal.IoFaults;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Call;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * "No space left on device" ({@link FaultyFileSystem}) at each I/O call of a change through the
 * file system, of a commit and of a restore that a full disk can fail ({@link #allocates}: the
 * bytes of a write half written), once, or, as a disk that stays full, at that call and every
 * later one that needs space until the space is freed; and at each force. The commit captures
 * file changes, region pages and object chunks; the restore undoes the working epoch, undoes an
 * epoch for the first time (saving its redo) and redoes another across a branch ({@link
 * FullDiskHistory}).
 *
 * <p>Unless the failed call is a force, the operation fails with a {@link DiskFullException}
 * that says what to do (or, for a change whose tracked file's own write failed, the system's
 * error, its undo journaled), the checkpointer stays usable, and once the fault is removed the
 * same instance commits (the failed epoch first, then the changes made while it waited) or
 * restores (or commits, which finishes the restore first) exactly: every epoch is listed with
 * its parent, and files, region and object are exactly as at each epoch when restored to it,
 * before and after a reopen. A failed force stops the checkpointer, and the store reopens at
 * one of the two epochs the operation went between.
 *
 * <p>Every call of changes and commits is tried; every third of a restore's by default ({@code
 * -Dmetamori.faults.restoreStride=1} tries them all).
 */
class DiskFullRetryTest {
  @TempDir Path disk;
  Path tmp;

  @BeforeEach
  void scratch() throws IOException {
    tmp = ScratchSpace.create(disk);
  }

  @AfterEach
  void deleteScratch() throws IOException {
    ScratchSpace.delete(tmp);
  }

  private enum Mode {
    ONCE,
    STAYS_FULL
  }

  private interface Operation {
    void run(FullDiskHistory h) throws IOException;
  }

  /**
   * Calls that a full disk can fail: those that may need space (writes, creations, copies, links,
   * and renames, which may need a new directory block). They fail while it stays full; the
   * others go through (reads, forces, truncations, deletes, and opens that create nothing).
   */
  static boolean allocates(Call c) {
    String op = c.op();
    return op.equals("write")
        || op.equals("transferFrom")
        || op.equals("createDirectory")
        || op.equals("createSymbolicLink")
        || op.equals("createLink")
        || op.startsWith("copy")
        || op.startsWith("move")
        || (op.startsWith("open") && op.contains("CREATE") && !Files.exists(c.path(), LinkOption.NOFOLLOW_LINKS));
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFullDiskAtAnyCallOfACommitIsRetriedByTheSameCheckpointer(Durability durability) throws IOException {
    List<String> clean = calls(durability, h -> h.commit(), 10);
    Map<String, Integer> outcomes = explore(clean, 1, (k, mode) -> commitTrial(durability, k, mode));
    System.out.printf("DiskFullRetryTest commit %s: %d calls, outcomes %s%n", durability, clean.size(), outcomes);
    assertTrue(outcomes.getOrDefault("retried", 0) >= 5, "too few failed commits were retried: " + outcomes);
    assertTrue(outcomes.getOrDefault("stopped", 0) >= 1, "no force failed: " + outcomes);
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFullDiskAtAnyCallOfARestoreIsFinishedByTheSameCheckpointer(Durability durability) throws IOException {
    List<String> clean = calls(durability, h -> h.restore(2), 100);
    int stride = Integer.getInteger("metamori.faults.restoreStride", 3);
    Map<String, Integer> outcomes = explore(clean, stride, (k, mode) -> restoreTrial(durability, k, mode));
    System.out.printf("DiskFullRetryTest restore %s: %d calls, outcomes %s%n", durability, clean.size(), outcomes);
    assertTrue(outcomes.getOrDefault("finished", 0) >= 10, "too few failed restores were finished: " + outcomes);
    assertTrue(outcomes.getOrDefault("stopped", 0) >= 1, "no force failed: " + outcomes);
  }

  /** Changes through the file system, each journaled before it is made. */
  private static final Map<String, Operation> CHANGES = new java.util.LinkedHashMap<>();

  static {
    CHANGES.put("overwrite", h -> h.writeAt("a.txt", 5_000, FaultWorkload.bytes(3_000, 20)));
    CHANGES.put("truncate", h -> {
      try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(h.p("f.txt"), java.nio.file.StandardOpenOption.WRITE)) {
        c.truncate(10);
      }
    });
    CHANGES.put("create", h -> Files.write(h.p("n.txt"), FaultWorkload.bytes(2_000, 21)));
    CHANGES.put("mkdir", h -> Files.createDirectory(h.p("m")));
    CHANGES.put("delete", h -> Files.delete(h.p("c.txt")));
    CHANGES.put("rename", h -> Files.move(h.p("f.txt"), h.p("d2/f.txt")));
    CHANGES.put("replace", h -> Files.move(h.p("g.txt"), h.p("c.txt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING));
    CHANGES.put("copy", h -> Files.copy(h.p("d2/b.txt"), h.p("b2.txt")));
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aChangeThatMeetsAFullDiskIsJournaledOrNotMade(Durability durability) throws IOException {
    Map<String, Integer> outcomes = new TreeMap<>();
    for (Map.Entry<String, Operation> change : CHANGES.entrySet()) {
      List<String> clean = calls(durability, change.getValue(), 1);
      explore(clean, 1, (k, mode) -> changeTrial(durability, change.getKey(), change.getValue(), k, mode))
          .forEach((outcome, n) -> outcomes.merge(outcome, n, Integer::sum));
    }
    System.out.printf("DiskFullRetryTest changes %s: outcomes %s%n", durability, outcomes);
    assertTrue(outcomes.getOrDefault("refused", 0) >= 8, "too few changes were refused: " + outcomes);
    if (durability == Durability.SYSTEM) {
      assertTrue(outcomes.getOrDefault("stopped", 0) >= 1, "no force failed: " + outcomes);
    }
  }

  /**
   * A change meets a full disk at its k-th call. If the store's disk refused it, it fails with a
   * {@link DiskFullException} and the tree is as before; if the tracked file's own write failed,
   * what was made of it is journaled. Either way the same checkpointer then commits, and every
   * epoch restores exactly. A failed force of an undo record (SYSTEM) stops the checkpointer.
   */
  private String changeTrial(Durability durability, String name, Operation change, int k, Mode mode) throws IOException {
    Path dir = Files.createTempDirectory(tmp, name + k);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    String outcome;
    try (FullDiskHistory h = new FullDiskHistory(faulty, dir, durability).build()) {
      FullDiskHistory.State before = h.state();
      arm(faulty, faulty.calls() + k, mode);
      IOException failure = null;
      try {
        change.run(h);
      } catch (IOException e) {
        failure = e;
      }
      Call hit = faulty.firstFaulted();
      faulty.disarm();
      String context = durability + " " + name + ", " + mode + " at call " + k + " (" + hit + "): " + failure;
      assertNotNull(hit, context + ": the call was never made");
      if (hit.op().equals("force")) {
        assertNotNull(failure, context + ": a failed force went unreported");
        checkStopped(() -> h.cp.commit(), context);
        checkStopped(() -> h.writeAt("a.txt", 0, new byte[10]), context + ": a write after the stop");
        reopenAfterStop(h, 3, null, context);
        h.checkEveryEpochAndReopen(context, FileSystems.getDefault());
        outcome = "stopped";
      } else {
        if (failure == null) {
          outcome = "no error";
        } else if (hit.path().startsWith(h.store)) {
          checkDiskFull(failure, h, context);
          h.check(before, context + ": a refused change was made");
          outcome = "refused";
        } else {
          // the tracked file's own write, after its undo was journaled
          assertEquals("No space left on device", IoFaults.reason(failure), context);
          outcome = "failed in the tree";
        }
        FullDiskHistory.State now = h.state();
        long id = h.cp.commit();
        h.committed(id, now);
        h.check(context + ", committed");
        // undoes the change (and the work before it), then redoes it
        h.checkAndReopen(List.of(3L, id), context, FileSystems.getDefault());
      }
    }
    ScratchSpace.delete(dir);
    return outcome;
  }

  private interface Trial {
    String run(int k, Mode mode) throws IOException;
  }

  /**
   * Runs a trial for every {@code stride}-th call a full disk can fail (in each mode) and every
   * force; returns how many trials ended how.
   */
  private static Map<String, Integer> explore(List<String> clean, int stride, Trial trial) throws IOException {
    Map<String, Integer> outcomes = new TreeMap<>();
    int seen = 0;
    for (int k = 1; k <= clean.size(); k++) {
      List<Mode> modes = modes(clean.get(k - 1));
      if (modes.isEmpty() || seen++ % stride != 0) {
        continue;
      }
      for (Mode mode : modes) {
        outcomes.merge(trial.run(k, mode), 1, Integer::sum);
      }
    }
    return outcomes;
  }

  /**
   * How a call is failed: a force once (it must stop the checkpointer), a call a full disk can
   * fail once and as a disk that stays full from it on; others not at all.
   */
  private static List<Mode> modes(String kind) {
    return kind.equals("force") ? List.of(Mode.ONCE) : kind.equals("full") ? List.of(Mode.ONCE, Mode.STAYS_FULL) : List.of();
  }

  /**
   * For each I/O call {@code operation} makes after the history is built, without faults,
   * "force", "full" if a full disk can fail it ({@link #allocates}), or "other".
   */
  private List<String> calls(Durability durability, Operation operation, int atLeast) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "clean");
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<String> calls = new ArrayList<>();
    try (FullDiskHistory h = new FullDiskHistory(faulty, dir, durability).build()) {
      faulty.recorder(
          new FaultyFileSystem.Recorder() {
            @Override
            public void call(Call c) {
              calls.add(c.op().equals("force") ? "force" : allocates(c) ? "full" : "other");
            }
          });
      operation.run(h);
      faulty.recorder(null);
    }
    ScratchSpace.delete(dir);
    assertTrue(calls.size() >= atLeast, "the operation made only " + calls.size() + " I/O calls");
    return calls;
  }

  private static void arm(FaultyFileSystem faulty, long call, Mode mode) {
    if (mode == Mode.ONCE) {
      faulty.failAt(call, Fault.DISK_FULL_PART_WRITTEN, false);
    } else {
      faulty.failWhenever(c -> c.number() >= call && allocates(c), Fault.DISK_FULL_PART_WRITTEN);
    }
  }

  private String commitTrial(Durability durability, int k, Mode mode) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "commit" + k);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    String outcome;
    try (FullDiskHistory h = new FullDiskHistory(faulty, dir, durability).build()) {
      FullDiskHistory.State working = h.state();
      arm(faulty, faulty.calls() + k, mode);
      IOException failure = null;
      try {
        h.committed(h.cp.commit(), working);
      } catch (IOException e) {
        failure = e;
      }
      Call hit = faulty.firstFaulted();
      String context = durability + " commit, " + mode + " at call " + k + " (" + hit + "): " + failure;
      assertNotNull(hit, context + ": the call was never made");
      if (hit.op().equals("force")) {
        assertNotNull(failure, context + ": a failed force went unreported");
        faulty.disarm();
        checkStopped(() -> h.cp.commit(), context);
        // the epoch the commit was heading to, or the one before
        reopenAfterStop(h, 4, working, context);
        h.checkEveryEpochAndReopen(context, FileSystems.getDefault());
        outcome = "stopped";
      } else {
        if (failure != null) {
          checkDiskFull(failure, h, context);
          assertEquals(3, h.cp.currentEpoch(), context + ": the store left epoch 3");
          h.check(working, context + ", after the failed commit: the work is still there");
          if (mode == Mode.STAYS_FULL) {
            // still full: the retry fails the same way, and the checkpointer stays usable
            assertThrows(DiskFullException.class, () -> h.cp.commit(), context + ": a retry on a full disk");
          }
        }
        faulty.disarm();
        h.more(); // while the failed epoch waits for its retry
        FullDiskHistory.State more = h.state();
        long id = h.cp.commit();
        if (failure != null) {
          h.committed(4, working);
        }
        assertEquals(5, id, context + ": the retry");
        h.committed(id, more);
        h.check(context + ", after the retry");
        outcome = failure == null ? "no error" : "retried";
        // back to before the commit, forward to each new epoch, across to the other branch
        h.checkAndReopen(List.of(3L, 4L, 2L, 5L), context, FileSystems.getDefault());
      }
    }
    ScratchSpace.delete(dir);
    return outcome;
  }

  private String restoreTrial(Durability durability, int k, Mode mode) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "restore" + k);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    String outcome;
    try (FullDiskHistory h = new FullDiskHistory(faulty, dir, durability).build()) {
      arm(faulty, faulty.calls() + k, mode);
      IOException failure = null;
      try {
        h.cp.restore(2);
      } catch (IOException e) {
        failure = e;
      }
      Call hit = faulty.firstFaulted();
      String context = durability + " restore, " + mode + " at call " + k + " (" + hit + "): " + failure;
      assertNotNull(hit, context + ": the call was never made");
      if (hit.op().equals("force")) {
        assertNotNull(failure, context + ": a failed force went unreported");
        faulty.disarm();
        checkStopped(() -> h.cp.restore(2), context);
        reopenAfterStop(h, 2, null, context);
        outcome = "stopped";
      } else {
        if (failure != null) {
          checkDiskFull(failure, h, context);
          checkChangesRefused(h, context);
          if (mode == Mode.STAYS_FULL) {
            try {
              h.cp.restore(2);
            } catch (DiskFullException stillFull) {
              checkChangesRefused(h, context + ", after a retry on a full disk");
            }
          }
        }
        faulty.disarm();
        if (failure == null || k % 2 == 0) {
          h.restore(2);
        } else {
          // a commit finishes the restore first, then commits its target's state
          long id = h.cp.commit();
          h.current = 2;
          h.committed(id, h.states.get(2L));
          h.check(context + ", after a commit finished the restore");
        }
        outcome = failure == null ? "no error" : "finished";
      }
      h.checkEveryEpochAndReopen(context, FileSystems.getDefault());
    }
    ScratchSpace.delete(dir);
    return outcome;
  }

  private static void checkDiskFull(IOException failure, FullDiskHistory h, String context) {
    DiskFullException full = assertInstanceOf(DiskFullException.class, failure, context);
    assertEquals("No space left on device", full.getReason(), context);
    String message = full.getMessage();
    assertTrue(message.contains("the disk of store " + h.store + " is full"), context);
    assertTrue(message.contains("free space on that disk"), context);
  }

  /** While a restore is unfinished no tracked file can be changed, and none is. */
  private static void checkChangesRefused(FullDiskHistory h, String context) throws IOException {
    Path created = h.root.resolve("new.txt");
    DiskFullException refused =
        assertThrows(DiskFullException.class, () -> Files.write(h.p("new.txt"), new byte[10]), context);
    assertTrue(refused.getMessage().contains("stopped part way"), context + ": " + refused.getMessage());
    assertFalse(Files.exists(created), context + ": a refused creation was made");
    Path a = h.root.resolve("a.txt");
    if (Files.isRegularFile(a)) {
      byte[] before = Files.readAllBytes(a);
      assertThrows(DiskFullException.class, () -> h.writeAt("a.txt", 0, new byte[100]), context);
      assertArrayEquals(before, Files.readAllBytes(a), context + ": a refused write reached the file");
    }
  }

  private interface Action {
    void run() throws IOException;
  }

  private static void checkStopped(Action next, String context) {
    IOException stopped = assertThrows(IOException.class, next::run, context);
    assertTrue(stopped.getMessage().contains("stopped after an I/O error"), context + ": " + stopped.getMessage());
  }

  /**
   * Reopens a stopped checkpointer's store with the default file system: at epoch 3, or at
   * {@code other} (the epoch a commit was heading to, holding {@code otherState}, or a
   * restore's target).
   */
  private static void reopenAfterStop(FullDiskHistory h, long other, FullDiskHistory.State otherState, String context)
      throws IOException {
    h.close();
    h.open(FileSystems.getDefault());
    long at = h.cp.currentEpoch();
    if (at != 3 && at != other) {
      fail(context + ": reopened at epoch " + at + ", expected 3 or " + other);
    }
    if (at == other && otherState != null) {
      h.committed(other, otherState);
    }
    h.current = at;
    h.check(context + ", reopened after the stop");
  }
}
