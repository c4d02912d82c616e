package dev.metamori.internal.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.internal.stream.StreamRecord.Entry;
import dev.metamori.internal.stream.StreamRecord.Header;
import dev.metamori.internal.stream.StreamRecord.Identity;
import dev.metamori.testing.Seeds;
import dev.metamori.testing.TreeSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams crafted to escape: well-formed and correctly checksummed (written with the stream's own
 * writer), with records that name absolute paths, {@code ..}, empty names, roots that do not
 * exist, entries below links that point out of the trees, files over links, moves onto links,
 * data beyond a file's size, mixed with ordinary records. Whatever a stream holds, the directory
 * beside the tracked roots (the target of the links) never changes; a refused stream leaves the
 * trees and the current epoch as they were; an accepted one leaves no link written through and
 * the store with no change behind its back.
 */
class HostileStreamProperties {
  private static final long SEED = 0x4057113L;
  private static final int EXAMPLES = Integer.getInteger("metamori.hostile.examples", 40);
  private static final UUID SOURCE = new UUID(7, 7);

  @TempDir Path tmp;

  @Test
  void noStreamWritesOutsideTheTrackedRootsOrThroughALink() {
    long seed = Seeds.seed(SEED);
    Seeds.runTrials(
        "HostileStreamProperties.noStreamWritesOutsideTheTrackedRootsOrThroughALink",
        seed,
        EXAMPLES,
        6,
        this::trial,
        "metamori.hostile.examples=" + EXAMPLES);
  }

  private void trial(List<Long> seeds) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "trial");
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Files.write(outside.resolve("canary"), "keep me".getBytes(StandardCharsets.UTF_8));
    Files.createDirectories(outside.resolve("sub"));
    Path first = Files.createDirectories(dir.resolve("first"));
    Path second = Files.createDirectories(dir.resolve("second"));
    TreeSnapshot outsideBefore = TreeSnapshot.of(outside);
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(first).track(second).open()) {
      // a benign base: a directory, a file and two links out of the trees, received in full
      ByteArrayOutputStream base = new ByteArrayOutputStream();
      try (StreamWriter w = new StreamWriter(base)) {
        w.header(new Header(null, new Identity(SOURCE, 1), null, 0, 2));
        w.directory(new Entry(0, "d"), 0, 0755);
        w.file(new Entry(0, "d/f"), false, 3, 0, 0644);
        w.data(0, new byte[] {1, 2, 3}, 3);
        w.fileEnd();
        w.link(new Entry(0, "out"), outside.toString(), 0);
        w.link(new Entry(1, "up"), "../outside", 0);
      }
      cp.receive(new ByteArrayInputStream(base.toByteArray()));
      long epoch = 1;
      List<String> log = new ArrayList<>();
      for (long s : seeds) {
        Random random = new Random(s);
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        boolean incremental = random.nextInt(6) != 0;
        // a third of the streams break the stream's rules somewhere (refused before anything
        // changes); the others only use plain names, many of them through the links
        boolean malformed = random.nextInt(3) == 0;
        try (StreamWriter w = new StreamWriter(stream)) {
          w.header(new Header(incremental ? new Identity(SOURCE, epoch) : null, new Identity(SOURCE, epoch + 1), null, 0, 2));
          int slots = 0;
          int placed = 0;
          for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
            boolean bad = malformed && random.nextInt(3) == 0;
            Entry at = new Entry(bad && random.nextBoolean() ? 2 + random.nextInt(3) : random.nextInt(2), path(random, bad));
            int kind = random.nextInt(incremental ? 7 : 4);
            log.add((incremental ? "inc " : "full ") + kind + " " + at);
            switch (kind) {
              case 0 -> w.directory(at, 0, 0700);
              case 1 -> {
                w.file(at, incremental && random.nextBoolean(), 10, 0, 0600);
                int offset = bad ? random.nextInt(12) - 1 : random.nextInt(10);
                w.data(offset, "0123456789".getBytes(StandardCharsets.UTF_8), 1 + random.nextInt(bad ? 10 : 10 - offset));
                w.fileEnd();
              }
              case 2 -> w.link(at, random.nextBoolean() ? "/" : "../../" + path(random, false), 0);
              case 3 -> w.object("o" + random.nextInt(2), new byte[] {(byte) i});
              case 4 -> w.delete(at);
              case 5 -> w.stage(slots++, at);
              default -> {
                if (placed < slots) {
                  w.place(placed++, at);
                }
              }
            }
          }
          while (placed < slots && (!malformed || random.nextBoolean())) {
            w.place(placed++, new Entry(random.nextInt(2), path(random, false)));
          }
        } catch (RuntimeException e) {
          continue; // the writer itself refused (e.g. a negative offset): nothing to send
        }
        TreeSnapshot firstBefore = TreeSnapshot.of(first);
        TreeSnapshot secondBefore = TreeSnapshot.of(second);
        long current = cp.currentEpoch();
        try {
          cp.receive(new ByteArrayInputStream(stream.toByteArray()));
          epoch++;
          log.add("accepted");
        } catch (IOException | RuntimeException refused) {
          log.add("refused: " + refused.getMessage());
          assertEquals(current, cp.currentEpoch(), () -> String.join("\n", log));
          assertEquals(firstBefore, TreeSnapshot.of(first), () -> String.join("\n", log));
          assertEquals(secondBefore, TreeSnapshot.of(second), () -> String.join("\n", log));
        }
        TreeSnapshot outsideNow = TreeSnapshot.of(outside);
        assertEquals(outsideBefore, outsideNow, () -> String.join("\n", log) + "\n" + outsideBefore.describeDifferences(outsideNow));
        assertEquals(List.of(), cp.status(), () -> String.join("\n", log));
      }
      assertEquals(List.of(), cp.verify(), () -> String.join("\n", log));
    }
  }

  /** Plain names of the tree, some of them links out of it ({@code out}, {@code up}). */
  private static final String[] PLAIN = {"d", "f", "out", "up", "x", "d/f", "out/evil", "up/canary", "out/sub"};
  private static final String[] HOSTILE = {"..", ".", "", "/etc", "a\0b", "../outside/canary", "d/../.."};

  /** A path of one to three names: plain ones, or (if {@code bad}) at least one hostile one. */
  private static String path(Random random, boolean bad) {
    StringBuilder b = new StringBuilder();
    int n = 1 + random.nextInt(3);
    int hostile = bad ? random.nextInt(n) : -1;
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(i == hostile ? HOSTILE[random.nextInt(HOSTILE.length)] : PLAIN[random.nextInt(PLAIN.length)]);
    }
    return b.toString();
  }
}
