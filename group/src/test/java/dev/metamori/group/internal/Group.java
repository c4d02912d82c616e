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

  Group(int n) {
    this(n, Channels.WINDOW_FRAMES, Channels.WINDOW_BYTES);
  }

  Group(int n, int windowFrames, long windowBytes) {
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
