package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.group.GroupException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class ChannelStateTest {
  private static Channels member(String self, Set<String> peers) {
    return new Channels(new TestHost(self, new ConcurrentHashMap<>()), peers);
  }

  private static byte[] save(Channels c) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    c.save(out);
    return out.toByteArray();
  }

  @Test
  void aStateReadsBackAsWritten() throws GroupException {
    ChannelState s =
        new ChannelState(
            4,
            9,
            Map.of(
                "b", new ChannelState.Peer(12, 30, List.of(Frame.data(8, 10, new byte[] {1, 2}), Frame.data(9, 11, new byte[0]))),
                "c", new ChannelState.Peer(0, 0, List.of())));
    ChannelState back = ChannelState.decode(s.encode(), "a", Set.of("b", "c"));
    assertEquals(4, back.incarnation());
    assertEquals(9, back.round());
    assertEquals(30, back.peers().get("b").delivered());
    assertEquals(12, back.peers().get("b").nextSend());
    List<Frame> retained = back.peers().get("b").retained();
    assertEquals(2, retained.size());
    assertEquals(10, retained.get(0).seq());
    assertEquals(8, retained.get(0).tag());
    assertArrayEquals(new byte[] {1, 2}, retained.get(0).payload());
    assertEquals(11, retained.get(1).seq());
    assertArrayEquals(s.encode(), back.encode());
  }

  @Test
  void channelsRestoredFromTheirSavedStateSaveTheSameBytes() throws Exception {
    try (Channels a = member("a", Set.of("b", "c"))) {
      a.channel("b").send(ByteBuffer.wrap("one".getBytes(StandardCharsets.UTF_8)));
      a.prepareCapture(3);
      a.channel("b").send(ByteBuffer.wrap("two".getBytes(StandardCharsets.UTF_8)));
      a.channel("c").send(ByteBuffer.wrap(new byte[5000]));
      a.prepareCapture(5);
      byte[] saved = save(a);
      assertEquals(5, a.capturedRound());
      try (Channels again = member("a", Set.of("b", "c"))) {
        again.restore(new ByteArrayInputStream(saved));
        assertEquals(5, again.capturedRound());
        assertArrayEquals(saved, save(again));
        assertEquals(2, Probe.count(again, "b", Probe.RETAINED));
        assertEquals(1, Probe.count(again, "c", Probe.NEXT_SEND));
      }
    }
  }

  @Test
  void aSaveWithoutAPreparedRoundKeepsTheRound() throws Exception {
    try (Channels a = member("a", Set.of("b"))) {
      a.prepareCapture(2);
      save(a);
      save(a);
      assertEquals(2, a.capturedRound());
      assertThrows(IllegalArgumentException.class, () -> a.prepareCapture(1));
    }
  }

  @Test
  void aDamagedStateIsRefusedAndNothingIsRestored() throws Exception {
    byte[] saved;
    try (Channels a = member("a", Set.of("b"))) {
      a.channel("b").send(ByteBuffer.wrap("kept".getBytes(StandardCharsets.UTF_8)));
      a.prepareCapture(1);
      saved = save(a);
    }
    try (Channels a = member("a", Set.of("b"))) {
      a.prepareCapture(7);
      byte[] before = save(a);
      for (int i = 0; i < saved.length; i++) {
        byte[] bad = saved.clone();
        bad[i] ^= 0x10;
        GroupException e = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(bad)), "flip at " + i);
        assertTrue(e.getMessage().startsWith("the saved channel state of member a ("), e.getMessage());
        assertTrue(e.getMessage().contains("nothing was restored. Restore another global epoch"), e.getMessage());
      }
      byte[] truncated = java.util.Arrays.copyOf(saved, saved.length - 1);
      GroupException e = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(truncated)));
      assertTrue(e.getMessage().contains("is damaged: its checksum is"), e.getMessage());
      assertEquals(7, a.capturedRound());
      assertArrayEquals(before, save(a));
    }
  }

  @Test
  void aDamagedChecksumIsNamedAsSuch() throws Exception {
    try (Channels a = member("a", Set.of("b"))) {
      byte[] saved = save(a);
      saved[saved.length - 1] ^= 1;
      GroupException e = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(saved)));
      assertTrue(e.getMessage().matches("the saved channel state of member a \\(\\d+ bytes\\) is damaged: its checksum is 0x[0-9a-f]+"
          + " but its bytes sum to 0x[0-9a-f]+; nothing was restored\\. Restore another global epoch, or check the store with metamori verify"),
          e.getMessage());
    }
  }

  @Test
  void aStateOfAnotherRosterIsRefused() throws Exception {
    byte[] saved;
    try (Channels a = member("a", Set.of("b", "c"))) {
      saved = save(a);
    }
    try (Channels a = member("a", Set.of("b", "d"))) {
      GroupException e = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(saved)));
      assertTrue(e.getMessage().contains("was saved with peers [b, c] but this member's peers are [b, d]"), e.getMessage());
    }
  }

  @Test
  void somethingElseIsNotTakenForAState() {
    Channels a = member("a", Set.of("b"));
    byte[] other = "this is not the state of any channel at all, honestly".getBytes(StandardCharsets.UTF_8);
    GroupException e = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(other)));
    assertTrue(e.getMessage().contains("is not a channel state: magic 0x"), e.getMessage());
    GroupException empty = assertThrows(GroupException.class, () -> a.restore(new ByteArrayInputStream(new byte[0])));
    assertTrue(empty.getMessage().contains("is truncated"), empty.getMessage());
  }

  @Test
  void resumingInAnOlderIncarnationIsRefused() throws Exception {
    try (Channels a = member("a", Set.of("b"))) {
      a.resume(4);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.resume(3));
      assertEquals("incarnation 3 is older than incarnation 4 of the channels of a", e.getMessage());
    }
  }
}
