package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChannelsTest {
  /** Only keeps a broken run from hanging; nothing here waits for time to pass. */
  private static final Duration BOUND = Duration.ofSeconds(20);

  private static void send(Channels from, String to, String text) throws Exception {
    from.channel(to).send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String poll(Channels at, String from, Duration timeout) throws Exception {
    ByteBuffer b = at.channel(from).poll(timeout);
    return b == null ? null : StandardCharsets.UTF_8.decode(b).toString();
  }

  @Test
  void messagesArriveInOrderAndTheSenderForgetsThemOnceAcknowledged() throws Exception {
    try (Group g = new Group(3)) {
      for (int i = 0; i < 100; i++) {
        send(g.get(0), "m1", "to 1: " + i);
        send(g.get(2), "m1", "from 2: " + i);
      }
      for (int i = 0; i < 100; i++) {
        assertEquals("to 1: " + i, poll(g.get(1), "m0", BOUND));
        assertEquals("from 2: " + i, new String(g.get(1).channel("m2").receive().array(), StandardCharsets.UTF_8));
      }
      assertTrue(Probe.await(g.get(0), m -> m.get("m1")[Probe.RETAINED] == 0, BOUND));
      assertTrue(Probe.await(g.get(2), m -> m.get("m1")[Probe.RETAINED] == 0, BOUND));
    }
  }

  @Test
  void aFullWindowBlocksSendAsAWaitUntilThePeerReceives() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Group g = new Group(2, 2, 1 << 20)) {
      send(g.get(0), "m1", "0");
      send(g.get(0), "m1", "1");
      Future<?> third = pool.submit(() -> {
        send(g.get(0), "m1", "2");
        return null;
      });
      assertTrue(g.hosts.get(0).awaitBlocked(BOUND), "send reports that it waits");
      assertFalse(third.isDone(), "nothing was received, so nothing acknowledged: the window is still full");
      assertEquals("0", poll(g.get(1), "m0", BOUND));
      third.get(BOUND.toSeconds(), TimeUnit.SECONDS);
      assertEquals("1", poll(g.get(1), "m0", BOUND));
      assertEquals("2", poll(g.get(1), "m0", BOUND));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aMessageLargerThanTheWindowGoesAlone() throws Exception {
    try (Group g = new Group(2, 8, 1000)) {
      byte[] big = new byte[5000];
      big[4999] = 7;
      g.get(0).channel("m1").send(ByteBuffer.wrap(big));
      ByteBuffer got = g.get(1).channel("m0").poll(BOUND);
      assertEquals(5000, got.remaining());
      assertEquals(7, got.get(4999));
    }
  }

  @Test
  void aReceiveThatWaitsReportsItsWait() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (Group g = new Group(2)) {
      Future<ByteBuffer> r = pool.submit(() -> g.get(1).channel("m0").receive());
      assertTrue(g.hosts.get(1).awaitBlocked(BOUND));
      send(g.get(0), "m1", "wake");
      assertEquals("wake", StandardCharsets.UTF_8.decode(r.get(BOUND.toSeconds(), TimeUnit.SECONDS)).toString());
      assertEquals(1, g.hosts.get(1).blockings());
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFencedMemberDeliversNothingAndSendsNothingUntilUnfenced() throws Exception {
    try (Group g = new Group(2)) {
      Channels a = g.get(0);
      Channels b = g.get(1);
      send(a, "m1", "arrived before the fence");
      assertTrue(Probe.await(b, m -> m.get("m0")[Probe.ARRIVED] == 1, BOUND));
      b.fenced(true);
      assertNull(poll(b, "m0", Duration.ZERO), "fenced: nothing is delivered");
      assertEquals(1, Probe.count(a, "m1", Probe.RETAINED));

      a.fenced(true);
      b.fenced(false);
      send(a, "m1", "sent while fenced");
      assertEquals("arrived before the fence", poll(b, "m0", BOUND));
      assertNull(poll(b, "m0", Duration.ZERO), "a is fenced: it sent nothing");
      a.fenced(false);
      assertEquals("sent while fenced", poll(b, "m0", BOUND));
      assertTrue(Probe.await(a, m -> m.get("m1")[Probe.RETAINED] == 0, BOUND));
    }
  }

  @Test
  void droppedConnectionsAndADamagedFrameLoseAndDuplicateNothing() throws Exception {
    try (Group g = new Group(2)) {
      for (int i = 0; i < 50; i++) {
        send(g.get(0), "m1", "n" + i);
        if (i % 10 == 3) {
          Probe.dropConnections(g.get(i % 20 == 3 ? 0 : 1));
        }
        if (i % 10 == 6) {
          Probe.damageNextFrame(g.get(0));
        }
        if (i % 3 == 0) {
          assertEquals("n" + (i / 3), poll(g.get(1), "m0", BOUND));
        }
      }
      for (int i = 17; i < 50; i++) {
        assertEquals("n" + i, poll(g.get(1), "m0", BOUND));
      }
      assertTrue(Probe.await(g.get(0), m -> m.get("m1")[Probe.RETAINED] == 0, BOUND));
      assertNull(poll(g.get(1), "m0", Duration.ZERO));
    }
  }

  @Test
  void aPeerThatJoinsLaterGetsWhatWasSentBefore() throws Exception {
    Map<String, java.net.InetSocketAddress> addresses = new ConcurrentHashMap<>();
    TestHost ha = new TestHost("a", addresses);
    TestHost hb = new TestHost("b", addresses);
    try (Channels a = new Channels(ha, Set.of("b"))) {
      addresses.put("a", a.listen(InetAddress.getLoopbackAddress()));
      send(a, "b", "early");
      try (Channels b = new Channels(hb, Set.of("a"))) {
        addresses.put("b", b.listen(InetAddress.getLoopbackAddress()));
        assertEquals("early", poll(b, "a", BOUND));
      }
    }
  }

  @Test
  void membersInDifferentIncarnationsExchangeNothingUntilBothResumed() throws Exception {
    try (Group g = new Group(2)) {
      g.get(0).resume(1);
      send(g.get(0), "m1", "in incarnation 1");
      assertNull(poll(g.get(1), "m0", Duration.ZERO));
      g.get(1).resume(1);
      assertEquals("in incarnation 1", poll(g.get(1), "m0", BOUND));
    }
  }

  @Test
  void closedChannelsRefuseWork() throws Exception {
    Group g = new Group(2);
    g.close();
    assertThrows(ClosedChannelException.class, () -> send(g.get(0), "m1", "late"));
    assertThrows(ClosedChannelException.class, () -> g.get(1).channel("m0").poll(Duration.ZERO));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> g.get(0).channel("m9"));
    assertEquals("m9 is not a peer of m0; its peers are [m1]", e.getMessage());
  }
}
