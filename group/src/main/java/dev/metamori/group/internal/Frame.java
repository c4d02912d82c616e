package dev.metamori.group.internal;

import java.io.DataInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * One frame of a channel connection, and its wire format.
 *
 * <p>Wire format (big-endian), version 1:
 *
 * <pre>
 * offset  size  field
 *      0     2  magic 0x4D43 ("MC")
 *      2     1  kind: 1 DATA, 2 ACK, 3 HELLO
 *      3     8  incarnation of the group the sender is in
 *     11     8  tag: the sender's newest captured round when it made the frame
 *     19     8  seq: DATA its sequence number; ACK the number of messages delivered (the next
 *               sequence number expected); HELLO the protocol version (1)
 *     27     4  length n of the payload, 0 to {@link #MAX_PAYLOAD}
 *     31     4  CRC32C of bytes 0 to 30 (the header)
 *     35     n  payload: DATA the message; ACK empty; HELLO the sender's member id in UTF-8
 *   35+n     4  CRC32C of the payload
 * </pre>
 *
 * The header has its own checksum so that a damaged length is found before the payload is
 * read. A reader that finds a bad magic, kind, length or checksum throws {@link
 * DamagedFrameException}; the connection is then closed and the sender resends what is not
 * acknowledged on a new one.
 */
record Frame(byte kind, long incarnation, long tag, long seq, byte[] payload) {
  static final byte DATA = 1;
  static final byte ACK = 2;
  static final byte HELLO = 3;

  /** The protocol version a HELLO carries in its sequence field. */
  static final long PROTOCOL = 1;

  /** The largest message a channel carries. */
  static final int MAX_PAYLOAD = 64 << 20;

  static final short MAGIC = 0x4D43;
  static final int HEADER = 31;
  static final int OVERHEAD = HEADER + 8;

  private static final byte[] EMPTY = new byte[0];

  static Frame data(long tag, long seq, byte[] payload) {
    return new Frame(DATA, 0, tag, seq, payload);
  }

  static Frame ack(long incarnation, long tag, long delivered) {
    return new Frame(ACK, incarnation, tag, delivered, EMPTY);
  }

  static Frame hello(long incarnation, String member) {
    return new Frame(HELLO, incarnation, 0, PROTOCOL, member.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  /** This frame as sent in {@code incarnation}. */
  Frame in(long incarnation) {
    return new Frame(kind, incarnation, tag, seq, payload);
  }

  String member() {
    return new String(payload, java.nio.charset.StandardCharsets.UTF_8);
  }

  /** The frame's bytes on the wire. */
  byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(OVERHEAD + payload.length);
    b.putShort(MAGIC).put(kind).putLong(incarnation).putLong(tag).putLong(seq).putInt(payload.length);
    b.putInt(crc(b.array(), 0, HEADER));
    b.put(payload);
    b.putInt(crc(payload, 0, payload.length));
    return b.array();
  }

  /**
   * Reads one frame.
   *
   * @throws java.io.EOFException if the stream ends, within a frame or before one
   * @throws DamagedFrameException if the frame is damaged
   */
  static Frame read(DataInputStream in) throws IOException {
    byte[] header = new byte[HEADER + 4];
    in.readFully(header);
    ByteBuffer h = ByteBuffer.wrap(header);
    short magic = h.getShort();
    byte kind = h.get();
    long incarnation = h.getLong();
    long tag = h.getLong();
    long seq = h.getLong();
    int length = h.getInt();
    int headerCrc = h.getInt();
    if (headerCrc != crc(header, 0, HEADER)) {
      throw new DamagedFrameException(
          "frame header checksum mismatch (magic 0x" + Integer.toHexString(magic & 0xFFFF) + ", kind " + kind
              + ", length " + length + ")");
    }
    if (magic != MAGIC) {
      throw new DamagedFrameException("not a channel frame: magic 0x" + Integer.toHexString(magic & 0xFFFF));
    }
    if (kind < DATA || kind > HELLO) {
      throw new DamagedFrameException("unknown frame kind " + kind);
    }
    if (length < 0 || length > MAX_PAYLOAD) {
      throw new DamagedFrameException("frame length " + length + " out of range 0.." + MAX_PAYLOAD);
    }
    byte[] payload = new byte[length];
    in.readFully(payload);
    int payloadCrc = in.readInt();
    if (payloadCrc != crc(payload, 0, length)) {
      throw new DamagedFrameException(
          "payload checksum mismatch in frame kind " + kind + " seq " + seq + " (" + length + " bytes)");
    }
    return new Frame(kind, incarnation, tag, seq, payload);
  }

  static int crc(byte[] bytes, int offset, int length) {
    CRC32C c = new CRC32C();
    c.update(bytes, offset, length);
    return (int) c.getValue();
  }

  @Override
  public String toString() {
    String k = kind == DATA ? "DATA" : kind == ACK ? "ACK" : kind == HELLO ? "HELLO" : "kind " + kind;
    return k + "(incarnation " + incarnation + ", tag " + tag + ", seq " + seq + ", " + payload.length + " bytes)";
  }

  /** A frame failed its checks: the connection it came on is reset. */
  static final class DamagedFrameException extends IOException {
    private static final long serialVersionUID = 1L;

    DamagedFrameException(String message) {
      super("damaged channel frame: " + message + "; the connection is reset and unacknowledged frames are resent");
    }
  }
}
