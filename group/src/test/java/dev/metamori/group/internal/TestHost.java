package dev.metamori.group.internal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** A {@link ChannelHost} for tests: addresses from a shared map, requests and waits recorded. */
final class TestHost implements ChannelHost {
  private final String self;
  private final Map<String, InetSocketAddress> addresses;
  private final List<Long> requests = new ArrayList<>();
  private int blocked;
  private int blockings;
  private String violation;

  TestHost(String self, Map<String, InetSocketAddress> addresses) {
    this.self = self;
    this.addresses = addresses;
  }

  @Override
  public String self() {
    return self;
  }

  @Override
  public InetSocketAddress address(String member) {
    return addresses.get(member);
  }

  @Override
  public void checkUsable() throws IOException {}

  @Override
  public synchronized void captureRequested(long round) {
    requests.add(round);
    notifyAll();
  }

  @Override
  public synchronized void blocking(boolean blocked) {
    this.blocked += blocked ? 1 : -1;
    if (blocked) {
      blockings++;
    }
    if (this.blocked < 0 || this.blocked > 1) {
      violation = "blocking(" + blocked + ") left " + this.blocked + " waits open";
    }
    notifyAll();
  }

  /** The rounds requested so far, in order. */
  synchronized List<Long> requests() {
    return List.copyOf(requests);
  }

  /** Waits until a capture of {@code round} (or later) was requested; false after {@code bound}. */
  synchronized boolean awaitRequest(long round, Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (requests.stream().noneMatch(r -> r >= round)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  /** Waits until the application thread reports it waits; false after {@code bound}. */
  synchronized boolean awaitBlocked(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (blocked == 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      wait(Math.max(1, left / 1_000_000));
    }
    return true;
  }

  synchronized int blockings() {
    return blockings;
  }

  /** Throws if blocking(true) and blocking(false) were not called in pairs. */
  synchronized void check() {
    if (violation != null) {
      throw new AssertionError(self + ": " + violation);
    }
  }
}
