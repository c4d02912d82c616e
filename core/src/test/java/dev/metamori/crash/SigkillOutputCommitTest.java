package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.Output;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Output commit under SIGKILL: a child JVM ({@link OutputsChild}) records outputs and commits,
 * and is killed before a commit, during a delivery, and at random points of a loop of commits;
 * the store is then opened again here. Outputs of committed epochs are delivered (again, if
 * their delivery was cut short), those of epochs never committed never are.
 */
class SigkillOutputCommitTest {
  private static final long LIMIT_SECONDS = 120;

  @TempDir Path tmp;

  /** What a reopened store delivers up to a probe output committed after it is opened. */
  private List<Output> reopenAndDrain(Path store, Path data) throws Exception {
    LinkedBlockingQueue<Output> seen = new LinkedBlockingQueue<>();
    List<Output> out = new ArrayList<>();
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      cp.onCommitted(seen::add);
      cp.deferUntilCommitted("probe", new byte[] {1});
      probeEpochs.add(cp.commit());
      while (true) {
        Output o = seen.poll(LIMIT_SECONDS, TimeUnit.SECONDS);
        if (o == null) {
          throw new AssertionError("the probe output was not delivered; got " + out);
        }
        if (o.key().equals("probe")) {
          return out;
        }
        out.add(o);
      }
    }
  }

  private CrashChild start(String mode, String... more) throws IOException {
    Files.createDirectories(tmp.resolve("data"));
    List<String> args = new ArrayList<>(List.of(tmp.resolve("store").toString(), tmp.resolve("data").toString(), mode));
    args.addAll(List.of(more));
    return CrashChild.start(
        OutputsChild.class, tmp.resolve("stderr-" + mode), LIMIT_SECONDS, args.toArray(new String[0]));
  }

  private static String await(CrashChild child, String prefix) throws IOException {
    for (String line; (line = child.nextLine()) != null; ) {
      if (line.startsWith(prefix)) {
        return line;
      }
    }
    throw new AssertionError("the child ended before printing " + prefix + "\n" + child.describe());
  }

  @Test
  void anOutputOfAnEpochNeverCommittedIsNeverDelivered() throws Exception {
    try (CrashChild child = start("uncommitted")) {
      await(child, "DEFERRED");
      child.kill();
    }
    assertEquals(List.of(), reopenAndDrain(tmp.resolve("store"), tmp.resolve("data")));
  }

  @Test
  void aDeliveryCutShortIsMadeAgainAfterTheReopenAndOnlyThatOne() throws Exception {
    long epoch;
    try (CrashChild child = start("blocked")) {
      String delivered = await(child, "DELIVERED k1 ");
      String handling = await(child, "HANDLING k2 ");
      epoch = Long.parseLong(handling.split(" ")[2]);
      assertEquals(delivered.split(" ")[2], handling.split(" ")[2]);
      child.kill();
    }
    List<Output> again = reopenAndDrain(tmp.resolve("store"), tmp.resolve("data"));
    assertEquals(List.of(new Output(epoch, "k2", OutputsChild.payloadOf("k2"))), again);
  }

  @Test
  void killedAtRandomPointsOfCommitsEveryCommittedOutputIsDeliveredWithItsEpoch() throws Exception {
    Random random = new Random(20261207);
    Map<String, Long> delivered = new HashMap<>();
    Map<String, Long> announced = new HashMap<>();
    for (int round = 0; round < 4; round++) {
      int commits = 1 + random.nextInt(5);
      Path deliveries = tmp.resolve("deliveries-" + round);
      try (CrashChild child = start("loop", deliveries.toString())) {
        int seen = 0;
        while (seen < commits) {
          String line = child.nextLine();
          if (line == null) {
            throw new AssertionError("the child ended early\n" + child.describe());
          }
          seen += note(line, announced, delivered);
        }
        child.kill();
      }
      if (Files.exists(deliveries)) {
        String all = Files.readString(deliveries);
        // a line the kill cut short is of an output whose delivery did not finish
        for (String line : all.substring(0, all.lastIndexOf('\n') + 1).split("\n")) {
          if (!line.isEmpty()) {
            note("DELIVERED " + line, announced, delivered);
          }
        }
      }
      List<Output> again = reopenAndDrain(tmp.resolve("store"), tmp.resolve("data"));
      for (Output o : again) {
        assertArrayEquals(OutputsChild.payloadOf(o.key()), o.payload(), o.toString());
        Long before = delivered.put(o.key(), o.epoch());
        assertTrue(before == null || before == o.epoch(), o + " was delivered before with epoch " + before);
      }
      // every epoch the store has committed delivered its one output, under that epoch, and
      // every output delivered is of an epoch the store has committed
      try (Checkpointer cp = Checkpointer.builder(tmp.resolve("store")).track(tmp.resolve("data")).open()) {
        Map<Long, String> byEpoch = new HashMap<>();
        delivered.forEach((k, e) -> assertEquals(null, byEpoch.put(e, k), "two outputs of epoch " + e));
        java.util.Set<Long> committed = new java.util.HashSet<>();
        for (Epoch e : cp.epochs()) {
          committed.add(e.id());
          if (e.id() > 0 && !probeEpochs.contains(e.id())) {
            assertTrue(byEpoch.containsKey(e.id()), "epoch " + e.id() + " delivered nothing: " + delivered);
          }
        }
        for (Map.Entry<String, Long> a : announced.entrySet()) {
          assertEquals(a.getValue(), delivered.get(a.getKey()), "the output of the commit " + a);
        }
        for (Map.Entry<String, Long> d : delivered.entrySet()) {
          assertTrue(committed.contains(d.getValue()), d + " is of an epoch never committed");
        }
      }
    }
  }

  private final java.util.Set<Long> probeEpochs = new java.util.HashSet<>();

  /** Notes a child's line; returns 1 for a commit announced. */
  private static int note(String line, Map<String, Long> announced, Map<String, Long> delivered) {
    String[] w = line.split(" ");
    if (w[0].equals("COMMITTED")) {
      announced.put(w[1], Long.parseLong(w[2]));
      return 1;
    }
    if (w[0].equals("DELIVERED")) {
      Long before = delivered.put(w[1], Long.parseLong(w[2]));
      if (before != null && before != Long.parseLong(w[2])) {
        throw new AssertionError(line + ", delivered before with epoch " + before);
      }
    }
    return 0;
  }
}
