package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The hold rule between two members a (m0) and b (m1): a frame, data or acknowledgement,
 * tagged with a round newer than the receiver's captured round waits until the receiver
 * captures it, and asks for that capture.
 */
class HoldRuleTest {
  /** Only keeps a broken run from hanging; nothing here waits for time to pass. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static byte[] capture(Channels c, long round) throws IOException {
    c.prepareCapture(round);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    c.save(out);
    return out.toByteArray();
  }

  private static void send(Channels from, String to, String text) throws Exception {
    from.channel(to).send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String text(ByteBuffer b) {
    return b == null ? null : StandardCharsets.UTF_8.decode(b).toString();
  }

  @Test
  void dataTaggedNewerThanTheReceiversRoundIsNeitherDeliveredNorAcknowledgedUntilItCaptures() throws Exception {
    try (Group g = new Group(2)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      capture(a, 1);
      send(a, "m1", "after a's capture");

      assertTrue(g.hosts.get(1).awaitRequest(1, BOUND), "the frame reached b and asked for round 1");
      assertEquals(1, Probe.count(b, "m0", Probe.ARRIVED));
      assertNull(b.channel("m0").poll(Duration.ZERO), "held: b has not captured round 1");
      assertEquals(0, Probe.count(b, "m0", Probe.DELIVERED), "not delivered, so b acknowledges nothing");
      assertEquals(1, Probe.count(a, "m1", Probe.RETAINED));

      capture(b, 1);
      assertEquals("after a's capture", text(b.channel("m0").poll(Duration.ZERO)), "released by b's capture");
      assertTrue(Probe.await(a, m -> m.get("m1")[Probe.RETAINED] == 0, BOUND), "acknowledged once delivered");
    }
  }

  @Test
  void anAcknowledgementTaggedNewerThanTheSendersRoundIsHeldUntilTheSenderCaptures() throws Exception {
    try (Group g = new Group(2)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      capture(b, 1);
      send(a, "m1", "before a's capture");
      assertEquals("before a's capture", text(b.channel("m0").poll(BOUND)));

      assertTrue(g.hosts.get(0).awaitRequest(1, BOUND), "b's acknowledgement reached a and asked for round 1");
      assertEquals(1, Probe.count(a, "m1", Probe.HELD_ACKS));
      assertEquals(1, Probe.count(a, "m1", Probe.RETAINED), "the acknowledgement is held: the frame stays");

      byte[] saved = capture(a, 1);
      assertEquals(0, Probe.count(a, "m1", Probe.RETAINED), "applied once a captured round 1");
      assertEquals(0, Probe.count(a, "m1", Probe.HELD_ACKS));
      ChannelState state = ChannelState.decode(saved, "m0", java.util.Set.of("m1"));
      assertEquals(1, state.peers().get("m1").retained().size(), "but a's round 1 still retains it");
    }
  }

  /**
   * The usual way a held frame is released: the receiver's application waits in {@code
   * receive} (a safe point), the frame asks for a capture, the member captures while the
   * application waits, and the receive returns the frame.
   */
  @Test
  void aCaptureWhileTheApplicationWaitsInReceiveReleasesTheHeldFrame() throws Exception {
    ExecutorService app = Executors.newSingleThreadExecutor();
    try (Group g = new Group(2)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      Future<ByteBuffer> waiting = app.submit(() -> b.channel("m0").receive());
      assertTrue(g.hosts.get(1).awaitBlocked(BOUND));
      capture(a, 4);
      send(a, "m1", "tagged 4");
      assertTrue(g.hosts.get(1).awaitRequest(4, BOUND));
      assertFalse(waiting.isDone(), "held while b has not captured round 4");
      capture(b, 4);
      assertEquals("tagged 4", text(waiting.get(BOUND.toSeconds(), TimeUnit.SECONDS)));
      assertEquals(List.of(4L), g.hosts.get(1).requests(), "asked once");
    } finally {
      app.shutdownNow();
    }
  }

  /**
   * A held acknowledgement keeps the sender's window full until the sender captures: a send
   * that waits for room is a safe point too, where that capture runs.
   */
  @Test
  void aSendWaitingOnAHeldAcknowledgementGoesOnOnceTheSenderCaptures() throws Exception {
    ExecutorService app = Executors.newSingleThreadExecutor();
    try (Group g = new Group(2, 1, 1 << 20)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      capture(b, 1);
      send(a, "m1", "first");
      assertEquals("first", text(b.channel("m0").poll(BOUND)));
      assertTrue(g.hosts.get(0).awaitRequest(1, BOUND), "b's acknowledgement is held by a");
      Future<?> second = app.submit(() -> {
        send(a, "m1", "second");
        return null;
      });
      assertTrue(g.hosts.get(0).awaitBlocked(BOUND), "the send waits, and says so");
      assertFalse(second.isDone(), "the window of one is full until a applies the acknowledgement");
      capture(a, 1);
      second.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      assertEquals("second", text(b.channel("m0").poll(BOUND)));
    } finally {
      app.shutdownNow();
    }
  }

  /**
   * Why acknowledgements are held: b captured round 1 before it received m, a after b
   * acknowledged it. Rolled back to round 1, b has not received m; a's round 1 must still hold
   * it, and m is delivered once more, exactly once.
   */
  @Test
  void aMessageReceivedAfterTheReceiversCaptureIsDeliveredAgainAfterARollback() throws Exception {
    try (Group g = new Group(2)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      byte[] b1 = capture(b, 1);
      send(a, "m1", "m");
      assertEquals("m", text(b.channel("m0").poll(BOUND)));
      assertTrue(g.hosts.get(0).awaitRequest(1, BOUND));
      byte[] a1 = capture(a, 1);
      send(a, "m1", "orphan after rollback");

      a.restore(new ByteArrayInputStream(a1));
      b.restore(new ByteArrayInputStream(b1));
      b.resume(1);
      a.resume(1);
      assertEquals("m", text(b.channel("m0").poll(BOUND)));
      send(a, "m1", "new");
      assertEquals("new", text(b.channel("m0").poll(BOUND)));
      assertTrue(Probe.await(a, m -> m.get("m1")[Probe.RETAINED] == 0, BOUND));
      assertNull(b.channel("m0").poll(Duration.ZERO));
    }
  }
}
