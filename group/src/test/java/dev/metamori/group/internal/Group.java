package dev.metamori.group.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/** Members {@code m0..m(n-1)}, each with its Channels listening on loopback, for tests. */
final class Group implements AutoCloseable {
  final List<String> names = new ArrayList<>();
  final List<TestHost> hosts = new ArrayList<>();
  final List<Channels> channels = new ArrayList<>();
  final Map<String, InetSocketAddress> addresses = new ConcurrentHashMap<>();
  private final int windowFrames;
  private final long windowBytes;

  Group(int n) {
    this(n, Channels.WINDOW_FRAMES, Channels.WINDOW_BYTES);
  }

  Group(int n, int windowFrames, long windowBytes) {
    this.windowFrames = windowFrames;
    this.windowBytes = windowBytes;
    for (int i = 0; i < n; i++) {
      names.add("m" + i);
    }
    try {
      for (String name : names) {
        Set<String> peers = new TreeSet<>(names);
        peers.remove(name);
        TestHost h = new TestHost(name, addresses);
        Channels c = new Channels(h, peers, windowFrames, windowBytes);
        hosts.add(h);
        channels.add(c);
        addresses.put(name, c.listen(InetAddress.getLoopbackAddress()));
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    }
  }

  Channels get(int i) {
    return channels.get(i);
  }

  /** Member {@code i} dies: its channels close and its address goes. */
  void kill(int i) throws IOException {
    addresses.remove(names.get(i));
    channels.get(i).close();
    hosts.get(i).check();
  }

  /**
   * Member {@code i} starts again, as a new process would: new channels restored from {@code
   * state} (as registering them with its Checkpointer does), listening on a new port.
   */
  void restart(int i, byte[] state) throws IOException {
    Set<String> peers = new TreeSet<>(names);
    peers.remove(names.get(i));
    TestHost h = new TestHost(names.get(i), addresses);
    Channels c = new Channels(h, peers, windowFrames, windowBytes);
    c.restore(new java.io.ByteArrayInputStream(state));
    hosts.set(i, h);
    channels.set(i, c);
    addresses.put(names.get(i), c.listen(InetAddress.getLoopbackAddress()));
  }

  @Override
  public void close() {
    for (Channels c : channels) {
      try {
        c.close();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    for (TestHost h : hosts) {
      h.check();
    }
  }
}
