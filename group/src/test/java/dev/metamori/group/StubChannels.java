package dev.metamori.group;

import dev.metamori.group.internal.ChannelHost;
import dev.metamori.group.internal.MemberChannels;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * Channels that carry nothing but keep the state the coordinator drives (captured round,
 * incarnation, fenced), so the protocol can be tested without the real channels; {@link
 * #factory()} takes the real ones when they are built.
 */
final class StubChannels implements MemberChannels {
  volatile long captured;
  volatile long prepared;
  volatile long incarnation;
  volatile boolean fenced;

  /** The real channels if they can be made, else these. */
  static MemberChannels.Factory factory() {
    try {
      MemberChannels.REAL.create(new NoHost(), Set.of()).close();
      return MemberChannels.REAL;
    } catch (UnsupportedOperationException | IOException e) {
      return (host, peers) -> new StubChannels();
    }
  }

  @Override
  public InetSocketAddress listen(InetAddress bind) {
    return new InetSocketAddress(bind, 1);
  }

  @Override
  public GroupChannel channel(String peer) {
    throw new UnsupportedOperationException("this test runs without channels");
  }

  @Override
  public void prepareCapture(long round) {
    prepared = round;
  }

  @Override
  public long capturedRound() {
    return captured;
  }

  @Override
  public void resume(long incarnation) {
    this.incarnation = incarnation;
  }

  @Override
  public void fenced(boolean fenced) {
    this.fenced = fenced;
  }

  @Override
  public void save(OutputStream out) throws IOException {
    captured = prepared;
    new DataOutputStream(out).writeLong(captured);
  }

  @Override
  public void restore(InputStream in) throws IOException {
    captured = new DataInputStream(in).readLong();
  }

  @Override
  public void close() {}

  private static final class NoHost implements ChannelHost {
    @Override
    public String self() {
      return "probe";
    }

    @Override
    public InetSocketAddress address(String member) {
      return null;
    }

    @Override
    public void checkUsable() {}

    @Override
    public void captureRequested(long round) {}

    @Override
    public void blocking(boolean blocked) {}
  }
}
