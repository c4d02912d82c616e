package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.EpochTree;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Runs a workload through a checkpointer on a file system that fails the k-th I/O call, for
 * every k a clean run makes, and checks that the store always reopens at a committed epoch,
 * exactly, with no committed epoch lost.
 *
 * <p>Faults rotate through a plain I/O error, "No space left on device", and "No space left on
 * device" after half the bytes of a write were written, each once or from then on.
 *
 * <p>{@code -Dmetamori.faults.stride=N} explores every N-th call (default 2; 1 explores all of
 * them).
 */
class IoFaultTest {
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

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFaultAtAnyIoCallLeavesTheStoreAtACommittedEpochWithNoCommittedEpochLost(Durability durability)
      throws IOException {
    long clean = calls(durability);
    long stride = Long.getLong("metamori.faults.stride", 2);
    int explored = 0;
    int swallowed = 0;
    List<String> swallowedCalls = new ArrayList<>();
    long only = Long.getLong("metamori.faults.only", -1); // replays one fault point
    for (long k = only > 0 ? only : 1; k <= (only > 0 ? only : clean); k += stride) {
      Fault kind = Fault.values()[(int) (k % 3)];
      boolean fromThenOn = (k / 3) % 2 == 1;
      Path dir = Files.createTempDirectory(tmp, "k" + k);
      Path store = dir.resolve("store");
      Path root = Files.createDirectories(dir.resolve("root"));
      FaultWorkload.createInitialTree(root);
      FaultyFileSystem faulty = FaultyFileSystem.create();
      faulty.failAt(k, kind, fromThenOn);
      FaultWorkload.Outcome o = new FaultWorkload(faulty, store, root, durability).run();
      faulty.disarm();
      closeQuietly(o.open);
      String context = "fault " + kind + (fromThenOn ? " from then on" : " once") + " at " + faulty.firstFaulted()
          + " (" + durability + "); workload failures " + o.failures;
      assertTrue(faulty.firstFaulted() != null, "call " + k + " was never made: the workload is not deterministic");
      if (o.failures.isEmpty()) {
        swallowed++;
        swallowedCalls.add(faulty.firstFaulted().op());
      }
      try {
        checkRecovered(store, root, o, context);
      } catch (IOException | RuntimeException e) {
        throw new AssertionError(context + ": reopening failed", e);
      }
      explored++;
      ScratchSpace.delete(dir);
    }
    System.out.printf(
        "IoFaultTest %s: %d I/O calls in a clean run, %d fault points explored, %d faults tolerated without an exception: %s%n",
        durability, clean, explored, swallowed,
        swallowedCalls.stream().collect(Collectors.groupingBy(s -> s, Collectors.counting())));
    if (only < 0) {
      assertEquals((clean + stride - 1) / stride, explored);
    }
  }

  private long calls(Durability durability) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "clean");
    Path store = dir.resolve("store");
    Path root = Files.createDirectories(dir.resolve("root"));
    FaultWorkload.createInitialTree(root);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    FaultWorkload.Outcome o = new FaultWorkload(faulty, store, root, durability).run();
    assertEquals(List.of(), o.failures);
    o.open.close();
    long n = faulty.calls();
    checkRecovered(store, root, o, "clean run");
    // the workload must make the same calls every time
    Path dir2 = Files.createTempDirectory(tmp, "clean2");
    Path root2 = Files.createDirectories(dir2.resolve("root"));
    FaultWorkload.createInitialTree(root2);
    FaultyFileSystem faulty2 = FaultyFileSystem.create();
    FaultWorkload.Outcome o2 = new FaultWorkload(faulty2, dir2.resolve("store"), root2, durability).run();
    o2.open.close();
    assertEquals(n, faulty2.calls(), "the workload is not deterministic");
    return n;
  }

  static void closeQuietly(Checkpointer cp) {
    if (cp != null) {
      try {
        cp.close();
      } catch (IOException | RuntimeException ignored) {
        // the fault may hit close too; the reopen below is what is checked
      }
    }
  }

  /**
   * Reopens the store with the default file system and checks the trees are exactly at an
   * acceptable committed epoch, every committed epoch is listed with its parent, and restoring
   * each one, in id order and then back in reverse (so undo, redo and moves across branches),
   * is exact.
   */
  static void checkRecovered(Path store, Path root, FaultWorkload.Outcome o, String context) throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      long current = cp.currentEpoch();
      if (!o.acceptable.contains(current)) {
        fail(context + ": reopened at epoch " + current + ", expected one of " + o.acceptable);
      }
      Map<Long, TreeSnapshot> committed = new LinkedHashMap<>(o.committed);
      Map<Long, Long> parents = new LinkedHashMap<>(o.parents);
      if (o.maybe != null && current == o.maybe) {
        committed.put(o.maybe, o.maybeTree);
        parents.put(o.maybe, o.maybeParent);
      }
      String listed = EpochTree.differences(cp.epochs(), parents);
      if (listed != null) {
        fail(context + ": every committed epoch stays listed, with its parent: " + listed);
      }
      assertSame(committed.get(current), root, context + ": tree after recovery at epoch " + current);
      List<Long> ids = new ArrayList<>(committed.keySet());
      List<Long> order = new ArrayList<>(ids);
      Collections.reverse(ids);
      order.addAll(ids);
      long at = current;
      for (long id : order) {
        cp.rollback(id);
        assertSame(committed.get(id), root, context + ": tree after restore from " + at + " to " + id);
        at = id;
      }
      assertTrue(cp.verify().isEmpty(), context + ": verify");
    }
  }

  static void assertSame(TreeSnapshot expected, Path root, String context) throws IOException {
    TreeSnapshot actual = TreeSnapshot.of(root);
    if (!expected.equals(actual)) {
      fail(context + ":\n" + expected.describeDifferences(actual));
    }
  }
}
