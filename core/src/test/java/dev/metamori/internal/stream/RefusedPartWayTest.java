package dev.metamori.internal.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.StreamException;
import dev.metamori.internal.stream.StreamRecord.Entry;
import dev.metamori.internal.stream.StreamRecord.Header;
import dev.metamori.internal.stream.StreamRecord.Identity;
import dev.metamori.testing.Blob;
import dev.metamori.testing.TreeSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stream refused after some of it was applied (files written, a directory removed, a region's
 * pages and objects received): everything it did is undone, and the store goes on as before.
 */
class RefusedPartWayTest {
  private static final UUID SOURCE = new UUID(3, 4);
  @TempDir Path tmp;


  @Test
  void whatARefusedStreamAppliedIsUndone() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("root"));
    try (Checkpointer cp = Checkpointer.builder(tmp.resolve("store")).track(root).open()) {
      Blob registered = new Blob();
      cp.register("registered", registered);
      MemoryRegion region = cp.region("r", 3 * 4096);
      ByteArrayOutputStream base = new ByteArrayOutputStream();
      try (StreamWriter w = new StreamWriter(base)) {
        w.header(new Header(null, new Identity(SOURCE, 1), "base", 0, 1));
        w.directory(new Entry(0, "d"), 0, 0755);
        w.file(new Entry(0, "d/f"), false, 5, 0, 0644);
        w.data(0, "hello".getBytes(StandardCharsets.UTF_8), 5);
        w.fileEnd();
        w.region("r", 3 * 4096, true);
        w.page(1, filled(4096, (byte) 1));
        w.regionEnd();
        w.object("registered", new byte[] {1});
      }
      long received = cp.receive(new ByteArrayInputStream(base.toByteArray()));
      TreeSnapshot before = TreeSnapshot.of(root);
      byte[] regionBefore = bytes(region);

      ByteArrayOutputStream bad = new ByteArrayOutputStream();
      try (StreamWriter w = new StreamWriter(bad)) {
        w.header(new Header(new Identity(SOURCE, 1), new Identity(SOURCE, 2), null, 0, 1));
        w.file(new Entry(0, "new"), false, 3, 0, 0600);
        w.data(0, new byte[] {1, 2, 3}, 3);
        w.fileEnd();
        w.file(new Entry(0, "d/f"), true, 2, 0, 0600);
        w.fileEnd();
        w.region("r", 3 * 4096, false);
        w.page(0, filled(4096, (byte) 9));
        w.regionEnd();
        w.object("registered", new byte[] {2});
        w.object("unregistered", new byte[] {3});
        w.delete(new Entry(0, "d"));
        w.file(new Entry(0, "new"), false, 1, 0, 0600); // already there: refused here
        w.fileEnd();
      }
      StreamException e = assertThrows(StreamException.class, () -> cp.receive(new ByteArrayInputStream(bad.toByteArray())));
      assertTrue(e.getMessage().contains("is already there"), e.getMessage());
      assertEquals(received, cp.currentEpoch());
      TreeSnapshot after = TreeSnapshot.of(root);
      assertEquals(before, after, () -> before.describeDifferences(after));
      assertArrayEquals(regionBefore, bytes(region));
      assertArrayEquals(new byte[] {1}, registered.bytes);
      Blob late = new Blob();
      cp.register("unregistered", late);
      assertArrayEquals(new byte[0], late.bytes, "an object received by a refused stream is not kept");
      assertEquals(java.util.List.of(), cp.status());
      // the store goes on: a commit holds what the base had
      long next = cp.commit();
      cp.restore(received);
      cp.restore(next);
      assertEquals(before, TreeSnapshot.of(root));
    }
  }

  private static byte[] filled(int n, byte b) {
    byte[] a = new byte[n];
    java.util.Arrays.fill(a, b);
    return a;
  }

  private static byte[] bytes(MemoryRegion region) {
    byte[] all = new byte[(int) region.size()];
    region.get(0, all, 0, all.length);
    return all;
  }
}
