package dev.metamori.group;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;

/**
 * An ordered, reliable channel from this member to one peer of its group, that survives
 * checkpoints and group rollbacks without being flushed: what the sender's checkpoint has sent
 * and the receiver's has not received is delivered after a restore, exactly once and in order.
 * Obtained from {@link CheckpointGroup#channel(String)}; the peer's channel to this member
 * receives what this one sends.
 */
public interface GroupChannel {
  /**
   * The member at the other end.
   *
   * @return the peer's member id
   */
  String peer();

  /**
   * Sends a copy of the remaining bytes of {@code message}. Blocks while the peer has not
   * acknowledged a full window of earlier messages.
   *
   * @param message the message
   * @throws GroupRolledBackException once after a group rollback
   * @throws GroupFencedException while this member is fenced
   * @throws IOException if the channel failed
   * @throws InterruptedException if interrupted while waiting
   */
  void send(ByteBuffer message) throws IOException, InterruptedException;

  /**
   * The next message from the peer, waiting as long as it takes.
   *
   * @return the message
   * @throws GroupRolledBackException once after a group rollback
   * @throws GroupFencedException while this member is fenced
   * @throws IOException if the channel failed
   * @throws InterruptedException if interrupted while waiting
   */
  ByteBuffer receive() throws IOException, InterruptedException;

  /**
   * The next message from the peer, or null if none arrives within {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the message, or null
   * @throws IOException as for {@link #receive()}
   * @throws InterruptedException if interrupted while waiting
   */
  ByteBuffer poll(Duration timeout) throws IOException, InterruptedException;
}
