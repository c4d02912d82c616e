package dev.metamori.group.internal;

import dev.metamori.group.GroupChannel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * A member's channel to one peer, as the application sees it. A send that finds the window
 * full and a receive or poll that finds nothing to deliver wait outside the channels' lock and
 * report it with {@link ChannelHost#blocking} (a capture or a restore may run meanwhile); when
 * the wait ends they call {@link ChannelHost#checkUsable} again, so that a message is neither
 * delivered nor retained across a group rollback.
 */
final class Endpoint implements GroupChannel {
  private final Channels ch;
  private final String peer;
  private final Outbox out;
  private final Inbox in;

  Endpoint(Channels ch, String peer) {
    this.ch = ch;
    this.peer = peer;
    this.out = ch.outboxes.get(peer);
    this.in = ch.inboxes.get(peer);
  }

  @Override
  public String peer() {
    return peer;
  }

  @Override
  public void send(ByteBuffer message) throws IOException, InterruptedException {
    ch.host.checkUsable();
    byte[] payload = new byte[message.remaining()];
    message.duplicate().get(payload);
    if (payload.length > Frame.MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "a message of " + payload.length + " bytes is larger than the limit of " + Frame.MAX_PAYLOAD + " bytes");
    }
    untilDone(
        blocked -> {
          if (blocked) {
            ch.awaitRoomLocked(out, payload.length);
            return null;
          }
          return ch.tryAppendLocked(out, payload) ? Boolean.TRUE : null;
        });
  }

  @Override
  public ByteBuffer receive() throws IOException, InterruptedException {
    return take(true, 0);
  }

  @Override
  public ByteBuffer poll(Duration timeout) throws IOException, InterruptedException {
    return take(false, System.nanoTime() + Math.max(0, timeout.toNanos()));
  }

  /** Nothing arrived before a poll's deadline. */
  private static final Channels.Delivery TIMED_OUT = new Channels.Delivery(null, null, null);

  private ByteBuffer take(boolean forever, long deadline) throws IOException, InterruptedException {
    ch.host.checkUsable();
    Channels.Delivery d =
        untilDone(
            blocked -> {
              if (blocked) {
                ch.awaitDeliverableLocked(in, forever, deadline);
                return null;
              }
              Channels.Delivery found = ch.tryDeliverLocked(in);
              return found == null && !forever && deadline - System.nanoTime() <= 0 ? TIMED_OUT : found;
            });
    if (d == TIMED_OUT) {
      return null;
    }
    if (d.conn() != null) {
      ch.links.writeAck(d.conn(), d.ack());
    }
    return ByteBuffer.wrap(d.message());
  }

  /** One try under the channels' lock: a result, or null to wait (and, when {@code blocked}, the wait itself). */
  private interface Attempt<T> {
    T tryLocked(boolean blocked) throws IOException, InterruptedException;
  }

  /**
   * Tries {@code attempt} until it gives a result. Between a failed try and the wait it
   * reports the wait with {@link ChannelHost#blocking}, and after the wait it checks that the
   * member is still usable before trying again.
   */
  private <T> T untilDone(Attempt<T> attempt) throws IOException, InterruptedException {
    boolean blocked = false;
    try {
      while (true) {
        T result;
        ch.lock.lock();
        try {
          result = attempt.tryLocked(blocked);
        } finally {
          ch.lock.unlock();
        }
        if (result != null) {
          return result;
        }
        if (!blocked) {
          ch.host.blocking(true);
          blocked = true;
        } else {
          blocked = false;
          ch.host.blocking(false);
          ch.host.checkUsable();
        }
      }
    } finally {
      if (blocked) {
        ch.host.blocking(false);
      }
    }
  }

  @Override
  public String toString() {
    return "channel " + ch.self + " -> " + peer;
  }
}
