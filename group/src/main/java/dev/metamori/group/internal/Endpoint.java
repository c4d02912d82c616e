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
    boolean blocked = false;
    try {
      while (true) {
        ch.lock.lock();
        try {
          if (blocked) {
            ch.awaitRoomLocked(out, payload.length);
          } else if (ch.tryAppendLocked(out, payload)) {
            return;
          }
        } finally {
          ch.lock.unlock();
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
  public ByteBuffer receive() throws IOException, InterruptedException {
    return take(true, 0);
  }

  @Override
  public ByteBuffer poll(Duration timeout) throws IOException, InterruptedException {
    return take(false, System.nanoTime() + Math.max(0, timeout.toNanos()));
  }

  private ByteBuffer take(boolean forever, long deadline) throws IOException, InterruptedException {
    ch.host.checkUsable();
    boolean blocked = false;
    try {
      while (true) {
        Channels.Delivery d;
        ch.lock.lock();
        try {
          if (blocked) {
            ch.awaitDeliverableLocked(in, forever, deadline);
            d = null;
          } else {
            d = ch.tryDeliverLocked(in);
            if (d == null && !forever && deadline - System.nanoTime() <= 0) {
              return null;
            }
          }
        } finally {
          ch.lock.unlock();
        }
        if (d != null) {
          if (d.conn() != null) {
            ch.links.writeAck(d.conn(), d.ack());
          }
          return ByteBuffer.wrap(d.message());
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
