package dev.metamori.faults;

import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Call;
import dev.metamori.testing.PowerLossRecorder;
import dev.metamori.testing.PowerLossRecorder.Keep;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A restore makes a run of epochs that only write blocks and attributes durable once, at its
 * end, and a crash inside the run repeats it from its start. A power loss anywhere in a forward
 * restore (redoing a run, then a rename, then another run) or in a rollback back across them
 * must leave a store that reopens at the restore's target with every epoch listed, with the
 * trees exactly there in {@code SYSTEM}, and from which every epoch can still be restored
 * exactly. A full disk inside a run stops the restore with its error; once space is back the
 * same checkpointer finishes it exactly.
 */
class RouteRunFaultsTest {
  @TempDir Path tmp;

  private static void overwrite(Path file, int at, int seed) throws IOException {
    try (FileChannel c = FileChannel.open(file, WRITE)) {
      c.write(ByteBuffer.wrap(FaultWorkload.bytes(1500, seed)), at);
    }
  }

  /**
   * Epochs 1 to 7: 2 and 3 overwrite blocks of two files, 4 renames one of them, 5 to 7
   * overwrite blocks again (one grows a file). Returns the trees at each epoch, index = id.
   */
  private static List<TreeSnapshot> build(Checkpointer cp, Path root) throws IOException {
    Path a = cp.fileSystem().getPath(root.resolve("a").toString());
    Path b = cp.fileSystem().getPath(root.resolve("b").toString());
    Path c = cp.fileSystem().getPath(root.resolve("c").toString());
    List<TreeSnapshot> trees = new ArrayList<>();
    trees.add(null);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    overwrite(a, 100, 2);
    overwrite(b, 7000, 3);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    overwrite(a, 4000, 4);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    Files.move(b, c);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    overwrite(c, 20, 5);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    overwrite(a, 9000, 6); // past the end: the file grows
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    overwrite(c, 3000, 7);
    overwrite(a, 100, 8);
    trees.add(TreeSnapshot.of(root));
    cp.commit();
    return trees;
  }

  private static void seed(Path root) throws IOException {
    Files.write(root.resolve("a"), FaultWorkload.bytes(9000, 1));
    Files.write(root.resolve("b"), FaultWorkload.bytes(9000, 9));
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aPowerLossInsideARunOfEpochsIsRepeatedFromTheRunsStart(Durability durability) throws IOException {
    Path store = Files.createDirectories(tmp.resolve("store"));
    Path root = Files.createDirectories(tmp.resolve("root"));
    seed(root);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<Path> states = new ArrayList<>();
    List<String> contexts = new ArrayList<>();
    List<Long> targets = new ArrayList<>();
    long[] restoring = {-1};
    faulty.recorder(
        new PowerLossRecorder(tmp.resolve("attic")) {
          {
            syncedWhenChanged(store.resolve("index.mv"));
          }

          @Override
          public void call(Call c) throws IOException {
            if (restoring[0] >= 0 && PowerLossProperties.changes(c) && c.path().endsWith("undo.progress")) {
              // everything written, just before the undo progress changes: the index and the
              // witness one write apart, which may be a whole run apart
              Path state = tmp.resolve("state-" + states.size());
              materialise(state, Keep.ALL, 0, -1, root, store);
              states.add(state);
              targets.add(restoring[0]);
              contexts.add("a crash before " + c + " restoring to " + restoring[0] + " (" + durability + ")");
            }
            if (restoring[0] >= 0 && PowerLossProperties.changes(c)) {
              for (int k = -1; k < unforcedDirectoryOperations(); k++) {
                Path state = tmp.resolve("state-" + states.size());
                String lost = materialise(state, k < 0 ? Keep.FORCED_ONLY : Keep.DIRECTORY_PREFIX, 0, k, root, store);
                states.add(state);
                targets.add(restoring[0]);
                contexts.add("power loss before " + c + " restoring to " + restoring[0] + " (" + durability + "): " + lost);
              }
            }
          }
        });
    List<TreeSnapshot> trees;
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).durability(durability).open()) {
      trees = build(cp, root);
      cp.rollback(1); // every epoch gets its redo
      restoring[0] = 7;
      cp.restore(7);
      IoFaultTest.assertSame(trees.get(7), root, "restored to 7");
      restoring[0] = 1;
      cp.restore(1);
      restoring[0] = -1;
      IoFaultTest.assertSame(trees.get(1), root, "restored to 1");
    }
    assertTrue(states.size() > 0);
    List<Long> all = LongStream.rangeClosed(0, 7).boxed().collect(Collectors.toList());
    List<String> failures = new ArrayList<>();
    // the index and the witness a run apart are what a restore leaves, not damage: no rebuild
    List<String> rebuilds = new ArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("dev.metamori");
    java.util.logging.Handler rebuilt =
        new java.util.logging.Handler() {
          @Override
          public void publish(java.util.logging.LogRecord r) {
            if (r.getMessage() != null && r.getMessage().contains("was rebuilt from")) {
              rebuilds.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    log.addHandler(rebuilt);
    for (int i = 0; i < states.size(); i++) {
      Path state = states.get(i);
      String context = contexts.get(i);
      ScratchSpace.delete(store);
      ScratchSpace.delete(root);
      PowerLossRecorder.copyTree(state.resolve("0"), root, null);
      PowerLossRecorder.copyTree(state.resolve("1"), store, null);
      try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
        long target = targets.get(i);
        assertEquals(target, cp.currentEpoch(), context);
        assertEquals(all, cp.epochs().stream().map(Epoch::id).collect(Collectors.toList()), context);
        if (durability == Durability.SYSTEM) {
          IoFaultTest.assertSame(trees.get((int) target), root, context);
          for (long e : new long[] {target == 7 ? 1 : 7, 5, 3, 6, 2}) {
            cp.restore(e);
            IoFaultTest.assertSame(trees.get((int) e), root, context + ", then a restore to " + e);
          }
        }
      } catch (IOException | RuntimeException e) {
        failures.add(context + ": " + e);
      }
      for (String r : rebuilds) {
        failures.add(context + ": " + r);
      }
      rebuilds.clear();
    }
    log.removeHandler(rebuilt);
    assertEquals(List.of(), failures);
  }

  /**
   * The run is made durable once: a restore across six epochs that only write blocks forces
   * the undo progress at the end of the run only (it witnesses the epoch reached), not once
   * for every epoch.
   */
  @Test
  void aRunOfBlockOnlyEpochsForcesTheProgressOnceNotPerEpoch() throws IOException {
    Path store = Files.createDirectories(tmp.resolve("store"));
    Path root = Files.createDirectories(tmp.resolve("root"));
    seed(root);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    int[] progressForces = {0};
    boolean[] counting = {false};
    faulty.recorder(
        new FaultyFileSystem.Recorder() {
          @Override
          public void call(Call c) {
            if (counting[0] && c.op().equals("force") && c.path().getFileName().toString().equals("undo.progress")) {
              progressForces[0]++;
            }
          }
        });
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).open()) {
      Path a = cp.fileSystem().getPath(root.resolve("a").toString());
      List<TreeSnapshot> trees = new ArrayList<>();
      long first = cp.commit();
      trees.add(TreeSnapshot.of(root));
      for (int i = 0; i < 6; i++) {
        overwrite(a, 1000 * i, 20 + i);
        cp.commit();
        trees.add(TreeSnapshot.of(root));
      }
      long last = cp.currentEpoch();
      cp.restore(first); // the first undo saves each epoch's redo
      cp.restore(last);
      counting[0] = true;
      cp.restore(first);
      counting[0] = false;
      IoFaultTest.assertSame(trees.get(0), root, "restored across the run");
      assertTrue(progressForces[0] <= 2, "the undo progress was forced " + progressForces[0] + " times across 6 epochs");
      cp.restore(first + 3);
      IoFaultTest.assertSame(trees.get(3), root, "restored into the middle of the run");
    }
  }

  /**
   * A full disk at each write of a restore across runs (the second write of every three): the
   * restore fails with the full disk's error; with space back, the same checkpointer restores
   * exactly, and so does the store reopened.
   */
  @Test
  void aFullDiskInsideARunIsRetriedExactly() throws IOException {
    List<String> failures = new ArrayList<>();
    int tried = 0;
    for (int k = 1; ; k += 3) {
      Path dir = Files.createDirectories(tmp.resolve("trial-" + k));
      Path store = dir.resolve("store");
      Path root = Files.createDirectories(dir.resolve("root"));
      seed(root);
      FaultyFileSystem faulty = FaultyFileSystem.create();
      List<TreeSnapshot> trees;
      boolean hit;
      try (Checkpointer cp =
          Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).open()) {
        trees = build(cp, root);
        cp.rollback(1);
        long[] writes = {0};
        int at = k;
        faulty.failWhen(c -> c.op().startsWith("write") && ++writes[0] == at, FaultyFileSystem.Fault.DISK_FULL_PART_WRITTEN, false);
        try {
          cp.restore(7);
        } catch (IOException e) {
          if (!e.getMessage().contains("is full")) {
            failures.add("write " + k + ": " + e);
          }
        }
        hit = faulty.firstFaulted() != null;
        faulty.disarm();
        cp.restore(7);
        IoFaultTest.assertSame(trees.get(7), root, "write " + k + ", restored again");
        cp.restore(3);
        IoFaultTest.assertSame(trees.get(3), root, "write " + k + ", then a restore to 3");
      }
      try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
        IoFaultTest.assertSame(trees.get(3), root, "write " + k + ", reopened");
        cp.restore(6);
        IoFaultTest.assertSame(trees.get(6), root, "write " + k + ", reopened, then a restore to 6");
      }
      ScratchSpace.delete(dir);
      if (!hit) {
        break;
      }
      tried++;
    }
    assertTrue(tried >= 5, "only " + tried + " writes of the restore were failed");
    assertEquals(List.of(), failures);
  }
}
