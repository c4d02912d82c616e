package dev.metamori.group.internal;

import java.io.IOException;
import java.net.ProtocolException;
import java.nio.channels.ClosedChannelException;

/**
 * The channels' state as their network threads ({@link Links}) change it, under the channels'
 * lock: frames arriving (sequence checks, the hold rule of {@link Channels}) and connections
 * attached and detached.
 */
final class Wire {
  private final Channels ch;
  /** The newest round a held frame asked this member to capture; reset when connections drop. */
  long requested;

  Wire(Channels channels) {
    this.ch = channels;
  }

  /** An ACK arrived on {@code c}; returns a round to request a capture of, or 0. */
  long onAck(Outbox o, Connection c, Frame f) throws IOException {
    ch.lock.lock();
    try {
      if (o.conn != c) {
        throw new ClosedChannelException();
      }
      if (f.kind() != Frame.ACK || f.incarnation() != ch.incarnation) {
        throw new ProtocolException("expected an ACK of incarnation " + ch.incarnation + " from " + o.peer + ", got " + f);
      }
      if (f.seq() > o.nextSend()) {
        throw new ProtocolException(o.peer + " acknowledged " + f.seq() + " messages but only " + o.nextSend()
            + " were sent to it in incarnation " + ch.incarnation);
      }
      if (f.tag() > ch.captured) {
        o.holdAck(f.tag(), f.seq());
        return requestLocked(f.tag());
      }
      try {
        if (o.acknowledge(f.seq())) {
          ch.appChanged.signalAll();
        }
      } catch (IllegalArgumentException e) {
        throw new ProtocolException(e.getMessage());
      }
      return 0;
    } finally {
      ch.lock.unlock();
    }
  }

  /** Outcome of a DATA frame: an ACK to send back (or null), a round to request (or 0). */
  record Arrival(Frame ack, long request) {}

  Arrival onData(Inbox in, Connection c, Frame f) throws IOException {
    ch.lock.lock();
    try {
      if (in.conn != c) {
        throw new ClosedChannelException();
      }
      if (f.kind() != Frame.DATA || f.incarnation() != ch.incarnation) {
        throw new ProtocolException("expected DATA of incarnation " + ch.incarnation + " from " + in.peer + ", got " + f);
      }
      if (f.seq() < in.delivered) {
        return new Arrival(Frame.ack(ch.incarnation, ch.captured, in.delivered), 0);
      }
      if (f.seq() < in.expected()) {
        return new Arrival(null, 0);
      }
      if (f.seq() > in.expected()) {
        throw new ProtocolException("frame " + f.seq() + " from " + in.peer + " skips ahead of " + in.expected());
      }
      in.arrived.addLast(f);
      if (f.tag() > ch.captured) {
        return new Arrival(null, requestLocked(f.tag()));
      }
      if (in.arrived.size() == 1) {
        ch.appChanged.signalAll();
      }
      return new Arrival(null, 0);
    } finally {
      ch.lock.unlock();
    }
  }

  private long requestLocked(long round) {
    if (round <= requested) {
      return 0;
    }
    requested = round;
    return round;
  }

  /** Makes {@code c} the connection of {@code o} if nothing changed since {@code gen}. */
  boolean attachOutbound(Outbox o, Connection c, long gen) {
    ch.lock.lock();
    try {
      if (gen != ch.generation || !ch.activeLocked() || c.incarnation != ch.incarnation) {
        return false;
      }
      o.conn = c;
      o.cursor = o.first();
      return true;
    } finally {
      ch.lock.unlock();
    }
  }

  /**
   * Makes {@code c} the connection of {@code in} if nothing changed since {@code gen}; returns
   * the one it replaces, or {@code c} if refused.
   */
  Connection attachInbound(Inbox in, Connection c, long gen) {
    ch.lock.lock();
    try {
      if (gen != ch.generation || !ch.activeLocked() || c.incarnation != ch.incarnation) {
        return c;
      }
      Connection old = in.conn;
      in.conn = c;
      return old;
    } finally {
      ch.lock.unlock();
    }
  }

  /** Forgets {@code c} if it is still the current connection of its outbox or inbox. */
  void detach(Connection c) {
    ch.lock.lock();
    try {
      Outbox o = ch.outboxes.get(c.peer);
      if (o != null && o.conn == c) {
        o.conn = null;
        o.disconnectAll();
        o.ready.signalAll();
        ch.linksChanged.signalAll();
      }
      Inbox in = ch.inboxes.get(c.peer);
      if (in != null && in.conn == c) {
        in.conn = null;
      }
    } finally {
      ch.lock.unlock();
    }
    c.close();
  }

}
