package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Call;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** A change whose undo record cannot be saved must not reach the file. */
class UndoRecordFaultTest {
  @TempDir Path tmp;

  interface Change {
    void apply(FileChannel c) throws IOException;
  }

  static List<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    String[] targets = {"creating the segment", "writing the segment", "forcing the segment"};
    for (Durability d : new Durability[] {Durability.PROCESS, Durability.SYSTEM}) {
      for (String target : targets) {
        if (target.startsWith("forcing") && d != Durability.SYSTEM) {
          continue; // PROCESS does not force before the data write
        }
        for (String change : new String[] {"overwrite", "append", "truncate"}) {
          for (boolean fromThenOn : new boolean[] {false, true}) {
            cases.add(Arguments.of(d, target, change, fromThenOn));
          }
        }
      }
    }
    return cases;
  }

  @ParameterizedTest(name = "{0}: a failure {1} stops an {2} (fault persists: {3})")
  @MethodSource("cases")
  void aChangeWhoseUndoRecordCannotBeSavedDoesNotReachTheFile(
      Durability durability, String target, String change, boolean fromThenOn) throws IOException {
    Path store = tmp.resolve("store");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Path file = root.resolve("data.bin");
    byte[] original = FaultWorkload.bytes(10_000, 1);
    Files.write(file, original);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString()))
            .track(faulty.getPath(root.toString()))
            .durability(durability)
            .open();
    Predicate<Call> segment = c -> c.path().toString().endsWith(".seg");
    Predicate<Call> when;
    if (target.startsWith("creating")) {
      when = segment.and(c -> c.op().startsWith("open"));
    } else if (target.startsWith("writing")) {
      when = segment.and(c -> c.op().equals("write"));
    } else {
      when = segment.and(c -> c.op().equals("force"));
    }
    Path tracked = cp.fileSystem().getPath(file.toString());
    FileChannel c = FileChannel.open(tracked, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      faulty.failWhen(when, Fault.DISK_FULL, fromThenOn);
      assertThrows(
          IOException.class,
          () -> {
            if (change.equals("overwrite")) {
              c.write(ByteBuffer.wrap(new byte[3000]), 1000);
            } else if (change.equals("append")) {
              c.write(ByteBuffer.wrap(new byte[3000]), 10_000);
            } else {
              c.truncate(10);
            }
          });
      assertNotNull(faulty.firstFaulted(), "the fault was not reached");
      assertArrayEquals(original, Files.readAllBytes(file), "the change reached the file");
    } finally {
      faulty.disarm();
      try {
        c.close();
      } catch (IOException ignored) {
        // the reopen below is what is checked
      }
      IoFaultTest.closeQuietly(cp);
    }
    try (Checkpointer reopened = Checkpointer.builder(store).track(root).open()) {
      assertEquals(0, reopened.currentEpoch());
      assertArrayEquals(original, Files.readAllBytes(file));
      assertEquals(List.of(), reopened.verify());
    }
  }
}
