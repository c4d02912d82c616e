package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Checkpointer;
import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A rename that is journaled and then fails (its target directory does not exist) changes
 * nothing, so undoing it does nothing; restoring forward to its epoch must not perform it
 * either. Found by {@link IoFaultTest} (a fault on the directory's creation, then the move into
 * it).
 */
class FailedMoveRedoTest {
  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withTree(root -> Files.writeString(root.resolve("c.txt"), "c"));

  @Test
  void aMoveThatFailedIsNotRedone(Checkpointer cp) throws Exception {
    Path root = harness.root();
    long first = cp.commit();
    assertThrows(NoSuchFileException.class, () -> Files.move(harness.path("c.txt"), harness.path("e/c2.txt")));
    TreeSnapshot second = TreeSnapshot.of(root);
    long secondId = cp.commit();
    cp.rollback(first);
    cp.restore(secondId);
    IoFaultTest.assertSame(second, root, "restore forward to the epoch whose move failed");
    assertEquals("c", Files.readString(root.resolve("c.txt")));
  }
}
