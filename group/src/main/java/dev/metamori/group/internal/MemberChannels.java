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
 * What the coordinator uses of a member's {@link Channels}: exactly their contract. The
 * coordinator creates them through a {@link Factory}, in one place ({@link GroupMember#join});
 * {@link #REAL} makes the real ones.
 */
public interface MemberChannels extends Checkpointable, Closeable {

  /** Makes the channels of a member. */
  interface Factory {
    MemberChannels create(ChannelHost host, Set<String> peers);
  }

  /** The real channels ({@link Channels}). */
  Factory REAL = (host, peers) -> new Real(new Channels(host, peers));

  InetSocketAddress listen(InetAddress bind) throws IOException;

  GroupChannel channel(String peer);

  void prepareCapture(long round);

  long capturedRound();

  void resume(long incarnation);

  void fenced(boolean fenced);

  /** Forwards everything to a {@link Channels}, listener hooks included. */
  final class Real implements MemberChannels {
    private final Channels channels;

    Real(Channels channels) {
      this.channels = channels;
    }

    @Override
    public InetSocketAddress listen(InetAddress bind) throws IOException {
      return channels.listen(bind);
    }

    @Override
    public GroupChannel channel(String peer) {
      return channels.channel(peer);
    }

    @Override
    public void prepareCapture(long round) {
      channels.prepareCapture(round);
    }

    @Override
    public long capturedRound() {
      return channels.capturedRound();
    }

    @Override
    public void resume(long incarnation) {
      channels.resume(incarnation);
    }

    @Override
    public void fenced(boolean fenced) {
      channels.fenced(fenced);
    }

    @Override
    public void save(OutputStream out) throws IOException {
      channels.save(out);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      channels.restore(in);
    }

    @Override
    public void beforeCheckpoint() throws Exception {
      channels.beforeCheckpoint();
    }

    @Override
    public void afterCheckpoint(long epoch) {
      channels.afterCheckpoint(epoch);
    }

    @Override
    public void beforeRestore(long epoch) {
      channels.beforeRestore(epoch);
    }

    @Override
    public void afterRestore(long epoch) {
      channels.afterRestore(epoch);
    }

    @Override
    public void close() throws IOException {
      channels.close();
    }
  }
}
