package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class FrameTest {
  private static Frame read(byte[] bytes) throws IOException {
    return Frame.read(new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  @Test
  void framesOfEveryKindReadBackAsWritten() throws IOException {
    List<Frame> frames =
        List.of(
            Frame.data(7, 42, "hello".getBytes(StandardCharsets.UTF_8)).in(3),
            Frame.data(0, 0, new byte[0]).in(0),
            Frame.ack(9, 8, 1234),
            Frame.hello(5, "member-é"));
    for (Frame f : frames) {
      Frame back = read(f.encode());
      assertEquals(f.kind(), back.kind());
      assertEquals(f.incarnation(), back.incarnation());
      assertEquals(f.tag(), back.tag());
      assertEquals(f.seq(), back.seq());
      assertArrayEquals(f.payload(), back.payload());
    }
    assertEquals("member-é", read(Frame.hello(5, "member-é").encode()).member());
  }

  @Test
  void aFlippedBitAnywhereInAFrameIsFoundAsDamage() {
    byte[] good = Frame.data(3, 17, "some payload".getBytes(StandardCharsets.UTF_8)).in(2).encode();
    for (int i = 0; i < good.length; i++) {
      for (int bit = 0; bit < 8; bit++) {
        byte[] bad = good.clone();
        bad[i] ^= (byte) (1 << bit);
        int at = i;
        Frame.DamagedFrameException e =
            assertThrows(Frame.DamagedFrameException.class, () -> read(bad), () -> "flip at byte " + at + " not found");
        assertTrue(e.getMessage().startsWith("damaged channel frame: "), e.getMessage());
        assertTrue(e.getMessage().endsWith("the connection is reset and unacknowledged frames are resent"), e.getMessage());
      }
    }
  }

  @Test
  void aDamagedLengthIsFoundBeforeThePayloadIsRead() {
    byte[] good = Frame.data(0, 0, new byte[10]).in(0).encode();
    byte[] bad = good.clone();
    bad[27] = 0x7F; // length becomes about 2 GB; the header checksum catches it
    Frame.DamagedFrameException e = assertThrows(Frame.DamagedFrameException.class, () -> read(bad));
    assertTrue(e.getMessage().contains("header checksum mismatch"), e.getMessage());
  }

  @Test
  void aTruncatedFrameIsTheEndOfTheStream() {
    byte[] good = Frame.data(1, 2, new byte[100]).in(1).encode();
    for (int cut : new int[] {0, 1, Frame.HEADER, Frame.HEADER + 4, good.length - 1}) {
      byte[] part = Arrays.copyOf(good, cut);
      assertThrows(EOFException.class, () -> read(part), () -> "cut at " + cut);
    }
  }
}
