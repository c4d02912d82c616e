package dev.metamori.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** {@link StoreExtension} driven by hand: what it opens, closes, verifies and deletes. */
class StoreExtensionTest {
  private static StoreExtension started(StoreExtension e) throws Exception {
    e.beforeEach(null);
    return e;
  }

  private static void damageASegment(Path store) throws IOException {
    Path segment;
    try (Stream<Path> s = Files.list(store.resolve("segments"))) {
      segment = s.sorted().reduce((a, b) -> b).orElseThrow();
    }
    try (FileChannel c = FileChannel.open(segment, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long at = c.size() / 2;
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, at);
      b.put(0, (byte) ~b.get(0));
      c.write(b.flip(), at);
    }
  }

  private static void commitSomething(StoreExtension e) throws IOException {
    Files.write(e.path("f"), new byte[64 * 1024]);
    e.cp().commit();
  }

  @Test
  void opensAStoreOnAFilledRootAndDeletesEverythingAfterASoundTest() throws Exception {
    StoreExtension e = started(StoreExtension.create().withTree(root -> Files.writeString(root.resolve("a"), "a")));
    assertEquals("a", Files.readString(e.path("a")));
    assertEquals(0, e.cp().currentEpoch());
    commitSomething(e);
    Checkpointer first = e.cp();
    assertTrue(e.reopen() != first);
    assertEquals(1, e.cp().currentEpoch());
    Path dir = e.dir();
    e.afterEach(null);
    assertFalse(Files.exists(dir));
  }

  @Test
  void aStoreDamagedDuringTheTestFailsTheCheckAfterIt() throws Exception {
    StoreExtension e = started(StoreExtension.create());
    commitSomething(e);
    e.cp().close();
    damageASegment(e.store());
    AssertionError failure = assertThrows(AssertionError.class, () -> e.afterEach(null));
    assertTrue(failure.getMessage().contains("verify() finds the store"), failure.getMessage());
  }

  @Test
  void aTestThatDamagesItsStoreOnPurposeSaysWhyAndIsNotVerified() throws Exception {
    StoreExtension e = started(StoreExtension.create().unopened());
    e.open();
    commitSomething(e);
    damageASegment(e.store());
    assertThrows(IllegalArgumentException.class, () -> e.skipVerifyAfter(" "));
    e.skipVerifyAfter("damaged on purpose");
    e.afterEach(null);
  }

  @Test
  void aCheckpointerOpenedByHandAndLeftOpenFailsTheCheck() throws Exception {
    StoreExtension e = started(StoreExtension.create());
    e.cp().close();
    Checkpointer left = Checkpointer.builder(e.store()).track(e.root()).open();
    try {
      AssertionError failure = assertThrows(AssertionError.class, () -> e.afterEach(null));
      assertTrue(failure.getMessage().contains("does not reopen"), failure.getMessage());
    } finally {
      left.close();
    }
  }
}
