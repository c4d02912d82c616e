package dev.metamori.group.internal;

import java.util.ArrayDeque;

/**
 * What one member receives from one peer: how many messages were delivered to the
 * application (the only part that is checkpointed), and the frames that arrived in order and
 * wait to be delivered, some of them held by the hold rule. Guarded by the lock of its {@link
 * Channels}.
 */
final class Inbox {
  final String peer;

  /** Messages delivered to the application: the next sequence number to deliver. */
  long delivered;

  /** Frames {@code delivered, delivered + 1, ...} that arrived and are not yet delivered. */
  final ArrayDeque<Frame> arrived = new ArrayDeque<>();

  /** The inbound connection the peer's frames come on, or null. */
  Connection conn;

  Inbox(String peer) {
    this.peer = peer;
  }

  /** The sequence number the next arriving frame must have to be kept. */
  long expected() {
    return delivered + arrived.size();
  }
}
