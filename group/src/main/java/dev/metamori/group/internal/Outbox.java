package dev.metamori.group.internal;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;

/**
 * What one member sends to one peer: the next sequence number, the frames sent and not yet
 * acknowledged (sender-based retention), and the acknowledgements held back by the hold rule.
 * Guarded by the lock of its {@link Channels}; no locking of its own.
 */
final class Outbox {
  final String peer;

  /** Signalled when there is something new to transmit or the connection changes. */
  final Condition ready;

  /** Retained frames, a ring: seq {@code nextSend - size} to {@code nextSend - 1}. */
  private Frame[] ring = new Frame[16];

  private int head;
  private int size;
  private long bytes;
  private long nextSend;

  /** Acknowledgements tagged newer than the captured round: {tag, delivered}, oldest first. */
  private final ArrayDeque<long[]> heldAcks = new ArrayDeque<>();

  /** The outbound connection carrying these frames, or null. */
  Connection conn;

  /** The next sequence number to transmit on {@link #conn}. */
  long cursor;

  Outbox(String peer, Condition ready) {
    this.peer = peer;
    this.ready = ready;
  }

  long nextSend() {
    return nextSend;
  }

  /** The sequence number of the oldest retained frame ({@link #nextSend} if none). */
  long first() {
    return nextSend - size;
  }

  int size() {
    return size;
  }

  long bytes() {
    return bytes;
  }

  /** Whether a message of {@code length} bytes fits in a window of the given bounds. */
  boolean fits(int length, int maxFrames, long maxBytes) {
    return size == 0 || (size < maxFrames && bytes + length <= maxBytes);
  }

  /** Retains a new message sent with {@code tag}; returns its frame. */
  Frame append(long tag, byte[] payload) {
    Frame f = Frame.data(tag, nextSend, payload);
    if (size == ring.length) {
      Frame[] bigger = new Frame[ring.length * 2];
      for (int i = 0; i < size; i++) {
        bigger[i] = ring[(head + i) % ring.length];
      }
      ring = bigger;
      head = 0;
    }
    ring[(head + size) % ring.length] = f;
    size++;
    bytes += payload.length;
    nextSend++;
    return f;
  }

  /** Up to {@code max} retained frames from the cursor on, advancing it past them. */
  List<Frame> takeFromCursor(int max) {
    cursor = Math.max(cursor, first());
    List<Frame> out = new ArrayList<>();
    while (cursor < nextSend && out.size() < max) {
      out.add(ring[(int) ((head + (cursor - first())) % ring.length)]);
      cursor++;
    }
    return out;
  }

  /**
   * The peer has delivered {@code delivered} messages: frames below it are released.
   *
   * @return whether any frame was released
   * @throws IllegalArgumentException if more were delivered than were sent
   */
  boolean acknowledge(long delivered) {
    if (delivered > nextSend) {
      throw new IllegalArgumentException(
          peer + " acknowledged " + delivered + " messages but only " + nextSend + " were sent to it");
    }
    boolean released = false;
    while (size > 0 && first() < delivered) {
      bytes -= ring[head].payload().length;
      ring[head] = null;
      head = (head + 1) % ring.length;
      size--;
      released = true;
    }
    return released;
  }

  void holdAck(long tag, long delivered) {
    heldAcks.addLast(new long[] {tag, delivered});
  }

  int heldAcks() {
    return heldAcks.size();
  }

  /** Applies the held acknowledgements tagged up to {@code round}; whether any frame was released. */
  boolean releaseAcks(long round) {
    boolean released = false;
    while (!heldAcks.isEmpty() && heldAcks.peekFirst()[0] <= round) {
      released |= acknowledge(heldAcks.removeFirst()[1]);
    }
    return released;
  }

  /** Retained frames, oldest first. */
  List<Frame> retained() {
    List<Frame> out = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      out.add(ring[(head + i) % ring.length]);
    }
    return out;
  }

  /** Forgets what only lives while connected: held acknowledgements, the cursor. */
  void disconnectAll() {
    heldAcks.clear();
    cursor = first();
  }

  /** Replaces the state with a restored one. */
  void reset(long nextSend, List<Frame> retained) {
    ring = new Frame[Math.max(16, Integer.highestOneBit(Math.max(1, retained.size())) * 2)];
    head = 0;
    size = 0;
    bytes = 0;
    this.nextSend = nextSend - retained.size();
    for (Frame f : retained) {
      append(f.tag(), f.payload());
    }
    disconnectAll();
  }
}
