package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.FaultyFileSystem;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The order of a durable commit's writes and forces, as the store's file system sees them. Most
 * of what the commit makes durable is forced at once, from several threads, so the order a power
 * loss could break is the one between those forces and the writes after them: the segment's
 * records so far, the directories that hold the segment and the trash entries, and the data of
 * every trash entry the epoch made (read for its checksum) must all be forced before the commit
 * record is written; the witness in {@code undo.progress} is written after the commit record
 * (a failed append leaves no witness of a commit that never reached the segment) and forced,
 * with the segment, before the commit returns.
 */
class CommitForceOrderTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void whatTheCommitRecordNeedsIsForcedBeforeItIsWritten(Durability durability) throws IOException {
    Path store = dir.resolve("store");
    Path root = Files.createDirectories(dir.resolve("root"));
    Files.write(root.resolve("a"), new byte[10_000]);
    Files.write(root.resolve("b"), new byte[5_000]);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    List<FaultyFileSystem.Call> calls = Collections.synchronizedList(new ArrayList<>());
    long id;
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString()))
            .track(faulty.getPath(root.toString()))
            .durability(durability)
            .open()) {
      FileSystem fs = cp.fileSystem();
      Files.write(fs.getPath(root.resolve("a").toString()), new byte[] {1, 2, 3}, StandardOpenOption.WRITE);
      Files.delete(fs.getPath(root.resolve("b").toString())); // into the trash
      faulty.recorder(
          new FaultyFileSystem.Recorder() {
            @Override
            public void call(FaultyFileSystem.Call c) {
              calls.add(c);
            }
          });
      id = cp.commit();
      faulty.recorder(null);
    }
    List<FaultyFileSystem.Call> order = List.copyOf(calls);
    String segment = store.resolve("segments").resolve(String.format("%020d.seg", id)).toString();
    String progress = store.resolve("undo.progress").toString();
    int commitRecord = last(order, "write", segment);
    assertTrue(commitRecord >= 0, "the commit wrote no record: " + order);
    for (String forced :
        List.of(
            segment,
            store.resolve("segments").toString(),
            store.resolve("trash").resolve(Long.toString(id)).toString(),
            store.resolve("trash").toString(),
            store.resolve("trash").resolve(id + "/1").toString())) {
      int at = first(order, "force", forced);
      assertTrue(at >= 0 && at < commitRecord, forced + " is not forced before the commit record (call " + commitRecord + "): " + order);
    }
    int witness = last(order, "write", progress);
    assertTrue(witness > commitRecord, "the witness is not written after the commit record: " + order);
    assertTrue(last(order, "force", progress) > witness, "the witness is not forced: " + order);
    assertTrue(last(order, "force", segment) > commitRecord, "the commit record is not forced: " + order);
  }

  private static int first(List<FaultyFileSystem.Call> calls, String op, String path) {
    for (int i = 0; i < calls.size(); i++) {
      if (calls.get(i).op().startsWith(op) && String.valueOf(calls.get(i).path()).equals(path)) {
        return i;
      }
    }
    return -1;
  }

  private static int last(List<FaultyFileSystem.Call> calls, String op, String path) {
    for (int i = calls.size() - 1; i >= 0; i--) {
      if (calls.get(i).op().startsWith(op) && String.valueOf(calls.get(i).path()).equals(path)) {
        return i;
      }
    }
    return -1;
  }
}
