package dev.metamori.group.internal;

import dev.metamori.group.GroupException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The checkpointed state of a member's channels, and its binary format.
 *
 * <p>Format version 1 (big-endian), as {@link Channels#save} writes it:
 *
 * <pre>
 * int    magic 0x4D434853 ("MCHS")
 * int    format version, 1
 * long   incarnation of the group when captured
 * long   captured round (the tag of frames sent after this state)
 * int    number of peers p, then p times, sorted by member id:
 *   short  length of the peer's member id in UTF-8, then its bytes
 *   long   next sequence number to send to the peer
 *   long   messages from the peer delivered to the application (next to deliver)
 *   int    number of retained (sent, unacknowledged) frames r, then r times, oldest first:
 *     long   sequence number (consecutive, the last one next-to-send minus one)
 *     long   tag the frame was sent with
 *     int    payload length, then the payload
 * int    CRC32C of every byte before it
 * </pre>
 *
 * A restore reads all of it and checks magic, version, checksum, the peers against the roster
 * and the sequence numbers before anything is replaced; a damaged state is refused with a
 * {@link GroupException} that says so.
 */
record ChannelState(long incarnation, long round, Map<String, Peer> peers) {
  static final int MAGIC = 0x4D434853;
  static final int VERSION = 1;

  /** One peer's part: what was sent to it and is retained, what was delivered from it. */
  record Peer(long nextSend, long delivered, List<Frame> retained) {}

  byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(MAGIC);
      out.writeInt(VERSION);
      out.writeLong(incarnation);
      out.writeLong(round);
      out.writeInt(peers.size());
      for (Map.Entry<String, Peer> e : new TreeMap<>(peers).entrySet()) {
        byte[] id = e.getKey().getBytes(StandardCharsets.UTF_8);
        out.writeShort(id.length);
        out.write(id);
        Peer p = e.getValue();
        out.writeLong(p.nextSend());
        out.writeLong(p.delivered());
        out.writeInt(p.retained().size());
        for (Frame f : p.retained()) {
          out.writeLong(f.seq());
          out.writeLong(f.tag());
          out.writeInt(f.payload().length);
          out.write(f.payload());
        }
      }
      out.flush();
      byte[] body = bytes.toByteArray();
      out.writeInt(Frame.crc(body, 0, body.length));
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a byte array does not fail
    }
  }

  /**
   * Reads a state saved by member {@code self} whose peers are {@code roster}.
   *
   * @throws GroupException if it is damaged or does not belong to this member's roster
   */
  static ChannelState decode(byte[] bytes, String self, Set<String> roster) throws GroupException {
    String what = "the saved channel state of member " + self + " (" + bytes.length + " bytes)";
    String refuse = "; nothing was restored. Restore another global epoch, or check the store with metamori verify";
    if (bytes.length < 32) {
      throw new GroupException(what + " is truncated: a state has at least 32 bytes" + refuse);
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int magic = b.getInt();
    if (magic != MAGIC) {
      throw new GroupException(what + " is not a channel state: magic 0x" + Integer.toHexString(magic) + refuse);
    }
    int version = b.getInt();
    if (version != VERSION) {
      throw new GroupException(what + " has format version " + version + ", this build reads version " + VERSION
          + refuse + " (or use the version of metamori-group that wrote it)");
    }
    int stored = ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt();
    int actual = Frame.crc(bytes, 0, bytes.length - 4);
    if (stored != actual) {
      throw new GroupException(what + " is damaged: its checksum is 0x" + Integer.toHexString(stored)
          + " but its bytes sum to 0x" + Integer.toHexString(actual) + refuse);
    }
    try {
      long incarnation = b.getLong();
      long round = b.getLong();
      int count = b.getInt();
      if (incarnation < 0 || round < 0 || count < 0 || count > 100_000) {
        throw new GroupException(what + " is damaged: incarnation " + incarnation + ", round " + round + ", "
            + count + " peers" + refuse);
      }
      Map<String, Peer> peers = new TreeMap<>();
      for (int i = 0; i < count; i++) {
        byte[] id = new byte[b.getShort() & 0xFFFF];
        b.get(id);
        String peer = new String(id, StandardCharsets.UTF_8);
        long nextSend = b.getLong();
        long delivered = b.getLong();
        int r = b.getInt();
        if (nextSend < 0 || delivered < 0 || r < 0 || r > nextSend) {
          throw new GroupException(what + " is damaged: peer " + peer + " has next send " + nextSend
              + ", delivered " + delivered + ", " + r + " retained" + refuse);
        }
        List<Frame> retained = new ArrayList<>(Math.min(r, 1 << 16));
        for (int k = 0; k < r; k++) {
          long seq = b.getLong();
          long tag = b.getLong();
          int length = b.getInt();
          if (seq != nextSend - r + k || tag < 0 || tag > round || length < 0 || length > b.remaining()) {
            throw new GroupException(what + " is damaged: retained frame " + k + " to " + peer + " has seq " + seq
                + " (expected " + (nextSend - r + k) + "), tag " + tag + " (round " + round + "), length "
                + length + refuse);
          }
          byte[] payload = new byte[length];
          b.get(payload);
          retained.add(Frame.data(tag, seq, payload));
        }
        if (peers.put(peer, new Peer(nextSend, delivered, retained)) != null) {
          throw new GroupException(what + " is damaged: peer " + peer + " appears twice" + refuse);
        }
      }
      if (b.remaining() != 4) {
        throw new GroupException(what + " is damaged: " + (b.remaining() - 4) + " bytes after its end" + refuse);
      }
      if (!peers.keySet().equals(roster)) {
        throw new GroupException(what + " was saved with peers " + new TreeSet<>(peers.keySet())
            + " but this member's peers are " + new TreeSet<>(roster)
            + "; the roster of a group must not change: start the member with the roster it was checkpointed with");
      }
      return new ChannelState(incarnation, round, peers);
    } catch (BufferUnderflowException e) {
      throw new GroupException(what + " is damaged: it ends inside a record" + refuse, e);
    }
  }
}
