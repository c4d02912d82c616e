package dev.metamori.group.internal;

import dev.metamori.group.GroupException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The passes of a member's {@link Coordinator}, counted, for the threads that wait for the
 * group to change: they check again after every pass. Stopping wakes them all.
 */
final class Passes {
  /** What a waiting thread checks after every pass. */
  interface Check {
    boolean waiting() throws Exception;
  }

  private final String member;
  private final Object monitor = new Object();
  private long count;
  private volatile boolean stopped;

  Passes(String member) {
    this.member = member;
  }

  /** A pass ended (or the member stopped): the waiting threads check again. */
  void passed() {
    synchronized (monitor) {
      count++;
      monitor.notifyAll();
    }
  }

  void stop() {
    stopped = true;
    passed();
  }

  /** Waits while {@code check} says so, checking again after every pass; fails at {@code deadline}. */
  void awaitChange(long deadline, Check check, Supplier<String> timeoutMessage) throws Exception {
    while (true) {
      long seen;
      synchronized (monitor) {
        seen = count;
      }
      if (!check.waiting()) {
        return;
      }
      if (stopped) {
        throw new GroupException("member '" + member + "' left the group");
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new GroupException(timeoutMessage.get());
      }
      synchronized (monitor) {
        while (count == seen && left > 0 && !stopped) {
          TimeUnit.NANOSECONDS.timedWait(monitor, left);
          left = deadline - System.nanoTime();
        }
      }
    }
  }

  /** Waits for the next pass, or until the member stops. */
  void awaitNext() {
    try {
      synchronized (monitor) {
        long seen = count;
        while (count == seen && !stopped) {
          monitor.wait();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
