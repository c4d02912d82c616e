package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Classification resolves a path's parent to its real path; when that fails once and the
 * operation itself then succeeds, a path that reaches the tracked tree through a symbolic link
 * must still be journaled (or the operation refused), never passed through unjournaled.
 */
class TransientFaultClassificationTest {
  @TempDir Path tmp;

  @Test
  void aDeleteThroughALinkedDirectoryWhoseRealPathFailsOnceIsStillUndone() throws IOException {
    Path store = tmp.resolve("store");
    Path root = Files.createDirectories(tmp.resolve("root"));
    Files.writeString(root.resolve("x.txt"), "kept");
    Path link = Files.createSymbolicLink(tmp.resolve("link"), root);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    try (Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString())).track(faulty.getPath(root.toString())).open()) {
      faulty.failWhen(
          c -> c.op().equals("toRealPath") && c.path().equals(link), Fault.DISK_FULL, false);
      try {
        Files.delete(cp.fileSystem().getPath(link.resolve("x.txt").toString()));
      } catch (IOException refused) {
        // refusing is fine; deleting without journaling is not
      }
      faulty.disarm();
      cp.rollback(0);
      assertTrue(Files.exists(root.resolve("x.txt")), "the delete was not journaled");
      assertEquals("kept", Files.readString(root.resolve("x.txt")));
    }
  }
}
