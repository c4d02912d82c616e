package dev.metamori.group.internal;

import dev.metamori.Checkpointable;
import dev.metamori.group.GroupChannel;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * The channels of one member to each of its peers, and their state, which the member
 * registers with its Checkpointer (a {@link Checkpointable}) so that it is captured with the
 * member's files, regions and objects.
 *
 * <p>CONTRACT between the group coordinator and the channels (this class is replaced by the
 * real implementation; the coordinator uses exactly these members):
 *
 * <ul>
 *   <li>{@link #listen} once at join: binds, starts accepting, returns the address published.
 *   <li>{@link #prepareCapture(long)} before each capture of round {@code r}; the capture then
 *       calls {@link #save}, which records the state atomically with the round as the channel's
 *       tag: frames sent after carry tag {@code r}, held frames tagged up to {@code r} are
 *       released.
 *   <li>{@link #restore} during a restore of the member's Checkpointer, then {@link
 *       #resume(long)} with the group's new incarnation: reconnect, drop frames of older
 *       incarnations, resend what is retained.
 *   <li>{@link #fenced(boolean)} while the ZooKeeper session is lost.
 * </ul>
 */
public final class Channels implements Checkpointable, Closeable {
  public Channels(ChannelHost host, Set<String> peers) {
    throw new UnsupportedOperationException("channels are being built");
  }

  /** Binds to an ephemeral port of {@code bind} and accepts peers; the address to publish. */
  public InetSocketAddress listen(InetAddress bind) throws IOException {
    throw new UnsupportedOperationException();
  }

  /** The channel to {@code peer}, one of the peers given at construction. */
  public GroupChannel channel(String peer) {
    throw new UnsupportedOperationException();
  }

  /** The next {@link #save} captures round {@code round}. */
  public void prepareCapture(long round) {
    throw new UnsupportedOperationException();
  }

  /** The newest round captured (saved or restored), 0 before the first. */
  public long capturedRound() {
    throw new UnsupportedOperationException();
  }

  /** After a restore: the group is now in {@code incarnation}; reconnect and resend. */
  public void resume(long incarnation) {
    throw new UnsupportedOperationException();
  }

  /** Stops (true) or resumes (false) all traffic. */
  public void fenced(boolean fenced) {
    throw new UnsupportedOperationException();
  }

  @Override
  public void save(OutputStream out) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void restore(InputStream in) throws IOException {
    throw new UnsupportedOperationException();
  }

  @Override
  public void close() throws IOException {}
}
