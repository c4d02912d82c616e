package dev.metamori.group.internal;

import dev.metamori.group.testing.Seeds;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Members with real channels over loopback TCP, driven by random sends, receives, captures
 * (each member captures round r at its own moment, sends and receives going on in between;
 * some rounds are abandoned), group rollbacks to any round every member captured (on any
 * branch; sometimes one member dies first and restarts from its state), dropped connections,
 * damaged frames and fenced members, checked against a model.
 *
 * <p>The model: per ordered pair, the list of messages the sender's state has sent (each with
 * the sender's captured round when it sent it) and the number the receiver's state has
 * delivered. A receive must return exactly the next message if its tag is at most the
 * receiver's captured round (it will arrive), and nothing at once otherwise (it is held or was
 * never sent). A member's capture records its sent lists and delivered counts; a rollback to
 * round r sets each pair to the sender's sent list and the receiver's count at their captures
 * of r, which must form a consistent cut (delivered at most sent). Every message is unique, so
 * a lost message (never arrives), an orphan or a duplicate (arrives unexpected) is found.
 */
class ChannelProperties {
  private static final long SEED = 0x6A1E_C0DE_5EEDL;
  private static final int TRIALS = Integer.getInteger("metamori.examples", 6);
  private static final int STEPS = Integer.getInteger("metamori.steps", 250);
  private static final Duration ARRIVAL_BOUND = Duration.ofSeconds(20);

  @Test
  void everyReceiverGetsExactlyTheMessagesTheModelSaysThroughCapturesRollbacksAndDrops() {
    long seed = Seeds.seed(SEED);
    Seeds.run(
        "ChannelProperties.everyReceiverGetsExactlyTheMessagesTheModelSays",
        seed,
        () -> {
          for (int i = 0; i < TRIALS; i++) {
            new Trial(Seeds.trialSeed(seed, i), i).run();
          }
        },
        "metamori.examples=" + TRIALS,
        "metamori.steps=" + STEPS);
  }

  record Msg(String body, long tag) {}

  /** A member's capture of a round: what it had sent to each peer, delivered from each peer. */
  record Snapshot(byte[] saved, Map<String, List<Msg>> sentTo, Map<String, Integer> deliveredFrom) {}

  private static final class Trial {
    private final Random rnd;
    private final int trial;
    private final int n;
    private final long[] captured;
    private final boolean[] fenced;
    private final Map<String, List<Msg>> sent = new HashMap<>(); // "i>j"
    private final Map<String, Integer> delivered = new HashMap<>();
    private final Map<Long, Snapshot[]> snapshots = new HashMap<>();
    private final List<Long> complete = new ArrayList<>();
    private final List<Integer> pending = new ArrayList<>();
    private long openRound;
    private long nextRound = 1;
    private long incarnation;
    private int counter;
    private final StringBuilder log = new StringBuilder();
    private Group g;

    Trial(long seed, int trial) {
      this.rnd = new Random(seed);
      this.trial = trial;
      this.n = 3 + rnd.nextInt(2);
      this.captured = new long[n];
      this.fenced = new boolean[n];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i != j) {
            sent.put(i + ">" + j, new ArrayList<>());
            delivered.put(i + ">" + j, 0);
          }
        }
      }
    }

    void run() throws Exception {
      try (Group group = new Group(n)) {
        g = group;
        for (int step = 0; step < STEPS; step++) {
          int op = rnd.nextInt(100);
          if (op < 38) {
            send(rnd.nextInt(n), -1);
          } else if (op < 68) {
            receive(rnd.nextInt(n), -1);
          } else if (op < 84) {
            captureStep();
          } else if (op < 88) {
            int k = rnd.nextInt(n);
            note("drop connections of m" + k);
            Probe.dropConnections(g.get(k));
          } else if (op < 91) {
            int k = rnd.nextInt(n);
            note("damage next frame of m" + k);
            Probe.damageNextFrame(g.get(k));
          } else if (op < 93) {
            int k = rnd.nextInt(n);
            fenced[k] = !fenced[k];
            note((fenced[k] ? "fence" : "unfence") + " m" + k);
            g.get(k).fenced(fenced[k]);
          } else if (op < 95) {
            if (openRound != 0) {
              note("abandon round " + openRound);
              openRound = 0;
              pending.clear();
            }
          } else if (!complete.isEmpty()) {
            rollback(complete.get(rnd.nextInt(complete.size())));
          }
        }
        drain();
      } catch (Throwable e) {
        throw new AssertionError("trial " + trial + " (" + n + " members), steps:\n" + tail(), e);
      }
    }

    private void send(int i, int j) throws Exception {
      if (j < 0) {
        j = (i + 1 + rnd.nextInt(n - 1)) % n;
      }
      String body = "t" + trial + "#" + counter++ + " m" + i + ">m" + j + " " + "x".repeat(rnd.nextInt(4) == 0 ? rnd.nextInt(3000) : 0);
      note("m" + i + " sends #" + (counter - 1) + " to m" + j + " (tag " + captured[i] + ")");
      g.get(i).channel("m" + j).send(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)));
      sent.get(i + ">" + j).add(new Msg(body, captured[i]));
    }

    private void receive(int i, int j) throws Exception {
      if (j < 0) {
        j = (i + 1 + rnd.nextInt(n - 1)) % n;
      }
      String pair = j + ">" + i;
      List<Msg> s = sent.get(pair);
      int d = delivered.get(pair);
      if (fenced[j] && !fenced[i]) {
        return; // whether j's messages got out before its fence is a matter of timing
      }
      boolean expected = d < s.size() && s.get(d).tag() <= captured[i] && !fenced[i];
      ByteBuffer got = g.get(i).channel("m" + j).poll(expected ? ARRIVAL_BOUND : Duration.ZERO);
      String text = got == null ? null : StandardCharsets.UTF_8.decode(got).toString();
      note("m" + i + " receives from m" + j + ": " + (text == null ? "nothing" : text.substring(0, text.indexOf(' ', text.indexOf(' ') + 1)))
          + (expected ? "" : fenced[i] ? " (fenced)" : d < s.size() ? " (next is held)" : " (none sent)"));
      if (expected) {
        assertEquals(s.get(d).body(), text, "m" + i + " from m" + j + ": message " + d + " of " + s.size());
        delivered.put(pair, d + 1);
      } else {
        assertNull(text, "m" + i + " from m" + j + ": nothing may be delivered (" + d + " of " + s.size() + " delivered)");
      }
    }

    private void captureStep() throws Exception {
      if (openRound == 0) {
        openRound = nextRound++;
        pending.clear();
        for (int k = 0; k < n; k++) {
          pending.add(k);
        }
        Collections.shuffle(pending, rnd);
      }
      int k = pending.remove(pending.size() - 1);
      capture(k, openRound);
      if (pending.isEmpty()) {
        complete.add(openRound);
        checkCut(openRound);
        openRound = 0;
      }
    }

    private void capture(int k, long round) throws Exception {
      note("m" + k + " captures round " + round);
      Channels c = g.get(k);
      c.prepareCapture(round);
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      c.save(out);
      assertEquals(round, c.capturedRound());
      captured[k] = round;
      Map<String, List<Msg>> sentTo = new HashMap<>();
      Map<String, Integer> deliveredFrom = new HashMap<>();
      for (int j = 0; j < n; j++) {
        if (j != k) {
          sentTo.put(k + ">" + j, List.copyOf(sent.get(k + ">" + j)));
          deliveredFrom.put(j + ">" + k, delivered.get(j + ">" + k));
        }
      }
      snapshots.computeIfAbsent(round, r -> new Snapshot[n])[k] = new Snapshot(out.toByteArray(), sentTo, deliveredFrom);
    }

    /** At a round all captured: each receiver delivered a prefix of what its sender had sent. */
    private void checkCut(long round) {
      Snapshot[] s = snapshots.get(round);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i != j) {
            int d = s[j].deliveredFrom().get(i + ">" + j);
            int sentCount = s[i].sentTo().get(i + ">" + j).size();
            assertTrue(d <= sentCount, "round " + round + ": m" + j + " delivered " + d + " from m" + i + ", which sent " + sentCount);
          }
        }
      }
    }

    /**
     * Members restore round {@code round} and resume one by one, in random order; meanwhile the
     * others go on in the old incarnation (their sends are discarded by their own restore and
     * must never arrive), and those that resumed already send and receive.
     */
    private void rollback(long round) throws Exception {
      incarnation++;
      unfenceAll();
      openRound = 0;
      pending.clear();
      note("roll back to round " + round + ", incarnation " + incarnation);
      Snapshot[] s = snapshots.get(round);
      boolean[] resumed = new boolean[n];
      int dead = rnd.nextInt(3) == 0 ? rnd.nextInt(n) : -1;
      if (dead >= 0) {
        note("m" + dead + " dies");
        g.kill(dead);
      }
      for (int k : shuffled()) {
        meanwhile(resumed, dead);
        if (k == dead) {
          note("m" + k + " restarts");
          g.restart(k, s[k].saved());
        } else {
          g.get(k).restore(new ByteArrayInputStream(s[k].saved()));
        }
        assertEquals(round, g.get(k).capturedRound());
        captured[k] = round;
        for (int j = 0; j < n; j++) {
          if (j != k) {
            sent.put(k + ">" + j, new ArrayList<>(s[k].sentTo().get(k + ">" + j)));
            delivered.put(j + ">" + k, s[k].deliveredFrom().get(j + ">" + k));
          }
        }
        note("m" + k + " restored");
        g.get(k).resume(incarnation);
        resumed[k] = true;
        note("m" + k + " resumes");
      }
    }

    /** Traffic while a rollback goes through the members. */
    private void meanwhile(boolean[] resumed, int dead) throws Exception {
      for (int step = rnd.nextInt(4); step > 0; step--) {
        int i = rnd.nextInt(n);
        int j = (i + 1 + rnd.nextInt(n - 1)) % n;
        if (i == dead && !resumed[i]) {
          continue;
        }
        if (!resumed[i]) {
          String body = "t" + trial + "#" + counter++ + " m" + i + ">m" + j + " from the old incarnation";
          note("m" + i + " (old incarnation) sends #" + (counter - 1) + " to m" + j);
          g.get(i).channel("m" + j).send(ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)));
        } else if (rnd.nextBoolean()) {
          send(i, j);
        } else if (resumed[j]) {
          receive(i, j);
        } else {
          ByteBuffer got = g.get(i).channel("m" + j).poll(Duration.ZERO);
          note("m" + i + " receives from m" + j + " (not resumed): " + (got == null ? "nothing" : "something"));
          assertNull(got, "m" + i + " received from m" + j + ", which has not resumed: "
              + (got == null ? "" : StandardCharsets.UTF_8.decode(got)));
        }
      }
    }

    /** Everyone captures a last round; then every message sent is delivered, and nothing else. */
    private void drain() throws Exception {
      unfenceAll();
      openRound = 0;
      long round = nextRound++;
      for (int k : shuffled()) {
        capture(k, round);
      }
      note("drain");
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i != j) {
            while (delivered.get(j + ">" + i) < sent.get(j + ">" + i).size()) {
              receive(i, j);
            }
          }
        }
      }
      for (int k = 0; k < n; k++) {
        int sender = k;
        assertTrue(
            Probe.await(g.get(k), m -> m.values().stream().allMatch(v -> v[Probe.RETAINED] == 0 && v[Probe.HELD_ACKS] == 0), ARRIVAL_BOUND),
            () -> "m" + sender + " still retains frames nobody acknowledged: " + Probe.describe(Probe.counts(g.get(sender))));
        for (int j = 0; j < n; j++) {
          if (j != k) {
            long[] v = Probe.counts(g.get(k)).get("m" + j);
            assertEquals(sent.get(k + ">" + j).size(), v[Probe.NEXT_SEND], "m" + k + " sent to m" + j);
            assertEquals((long) delivered.get(j + ">" + k), v[Probe.DELIVERED], "m" + k + " delivered from m" + j);
          }
        }
      }
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
          if (i != j) {
            assertNull(g.get(i).channel("m" + j).poll(Duration.ZERO), "m" + i + " got a message from m" + j + " nobody sent");
          }
        }
      }
    }

    private void unfenceAll() {
      for (int k = 0; k < n; k++) {
        if (fenced[k]) {
          note("unfence m" + k);
          fenced[k] = false;
          g.get(k).fenced(false);
        }
      }
    }

    private List<Integer> shuffled() {
      List<Integer> order = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        order.add(k);
      }
      Collections.shuffle(order, rnd);
      return order;
    }

    private void note(String line) {
      log.append(line).append('\n');
    }

    private String tail() {
      String[] lines = log.toString().split("\n");
      return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }
  }
}
