package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channels registered with real Checkpointers, one store per member, captured by commits and
 * put back by a restore and by a restart from the store, as the coordinator will drive them.
 */
class CheckpointerChannelsTest {
  private static final Duration BOUND = Duration.ofSeconds(20);

  @TempDir Path dir;

  private final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();

  private Checkpointer open(String member) throws Exception {
    Path data = Files.createDirectories(dir.resolve(member + "-data"));
    return Checkpointer.builder(dir.resolve(member + "-store")).track(data).open();
  }

  private Channels join(Checkpointer cp, TestHost host, String peer) throws Exception {
    Channels c = new Channels(host, Set.of(peer));
    cp.register("group-channels", c);
    addresses.put(host.self(), c.listen(InetAddress.getLoopbackAddress()));
    return c;
  }

  private static void send(Channels from, String to, String text) throws Exception {
    from.channel(to).send(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
  }

  private static String poll(Channels at, String from, Duration timeout) throws Exception {
    ByteBuffer b = at.channel(from).poll(timeout);
    return b == null ? null : StandardCharsets.UTF_8.decode(b).toString();
  }

  @Test
  void aGroupRestoreThroughTheCheckpointersDeliversWhatWasInFlightOnceAndNoOrphan() throws Exception {
    TestHost ha = new TestHost("a", addresses);
    TestHost hb = new TestHost("b", addresses);
    try (Checkpointer cpa = open("a");
        Checkpointer cpb = open("b");
        Channels a = join(cpa, ha, "b");
        Channels b = join(cpb, hb, "a")) {
      send(a, "b", "delivered before the cut");
      assertEquals("delivered before the cut", poll(b, "a", BOUND));

      b.prepareCapture(1);
      long b1 = cpb.commit("g:1");
      send(a, "b", "in flight at the cut");
      assertEquals("in flight at the cut", poll(b, "a", BOUND));
      assertTrue(ha.awaitRequest(1, BOUND), "b's acknowledgement, tagged 1, is held by a");
      a.prepareCapture(1);
      long a1 = cpa.commit("g:1");
      send(a, "b", "sent after the cut");
      assertEquals("sent after the cut", poll(b, "a", BOUND));

      cpa.restore(a1);
      cpb.restore(b1);
      assertEquals(1, a.capturedRound());
      a.resume(1);
      b.resume(1);
      assertEquals("in flight at the cut", poll(b, "a", BOUND));
      assertTrue(Probe.await(a, m -> m.get("b")[Probe.RETAINED] == 0, BOUND));
      assertNull(poll(b, "a", Duration.ZERO), "the message sent after the cut is gone with a's rollback");
    }
  }

  @Test
  void aMemberRestartedFromItsStoreGetsWhatItHadNotReceived() throws Exception {
    TestHost ha = new TestHost("a", addresses);
    try (Checkpointer cpa = open("a");
        Channels a = join(cpa, ha, "b")) {
      long b1;
      try (Checkpointer cpb = open("b");
          Channels b = join(cpb, new TestHost("b", addresses), "a")) {
        send(a, "b", "one");
        assertEquals("one", poll(b, "a", BOUND));
        b.prepareCapture(1);
        b1 = cpb.commit("g:1");
        send(a, "b", "two");
        assertEquals("two", poll(b, "a", BOUND)); // delivered, but after b's capture
        a.prepareCapture(1);
        cpa.commit("g:1");
      }
      addresses.remove("b");
      // the group rolls back to round 1: a restores its epoch, b restarts from its store
      cpa.restore(cpa.epoch("g:1").id());
      a.resume(2);
      try (Checkpointer cpb = open("b")) {
        cpb.restore(b1);
        try (Channels b = join(cpb, new TestHost("b", addresses), "a")) {
          assertEquals(1, b.capturedRound(), "restored when registered");
          b.resume(2);
          assertEquals("two", poll(b, "a", BOUND));
          assertNull(poll(b, "a", Duration.ZERO));
        }
      }
    }
  }
}
