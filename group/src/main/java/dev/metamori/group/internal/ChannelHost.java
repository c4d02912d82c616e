package dev.metamori.group.internal;

import java.io.IOException;
import java.net.InetSocketAddress;

/** What a member's {@link Channels} need from its group. */
public interface ChannelHost {
  /** This member's id. */
  String self();

  /**
   * Where {@code member}'s channels listen, as it published when it joined (its {@code
   * members/{id}} znode), or null while it is not connected to the group.
   */
  InetSocketAddress address(String member);

  /**
   * Called at the start of every send, receive and poll: throws {@code
   * GroupRolledBackException} once after a group rollback, {@code GroupFencedException} while
   * the member is fenced.
   */
  void checkUsable() throws IOException;

  /**
   * A frame tagged with {@code round} arrived before this member captured that round: the
   * member captures at its next safe point (joining round {@code round} if it is open, or
   * starting a new round if it was aborted), else the frame is held for ever.
   */
  void captureRequested(long round);

  /**
   * The application thread is about to block in a receive or poll ({@code true}) or has
   * stopped blocking ({@code false}): while it is blocked, a capture may run (a safe point).
   */
  void blocking(boolean blocked);
}
