package dev.metamori.group.internal;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The safe points of one member: steps of the application hold it shared, a capture or restore
 * holds it exclusively. A thread blocked in a receive or poll inside a step gives its share
 * back while it waits, so a capture may run then.
 */
final class SafePoints {
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final ThreadLocal<int[]> depth = ThreadLocal.withInitial(() -> new int[2]); // steps, shares given back while blocked
  private int active;
  private boolean exclusive;

  /** Whether the calling thread is inside a step (and not blocked in a receive). */
  boolean inStep() {
    int[] d = depth.get();
    return d[0] > d[1];
  }

  /** Opens a step: waits while a capture or restore runs. */
  void enterStep() throws InterruptedException {
    lock.lock();
    try {
      while (exclusive) {
        changed.await();
      }
      active++;
      depth.get()[0]++;
    } finally {
      lock.unlock();
    }
  }

  void exitStep() {
    lock.lock();
    try {
      int[] d = depth.get();
      if (d[0] > 0) {
        d[0]--;
        active--;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The calling thread blocks in a receive (true) or stopped blocking (false). */
  void blocking(boolean blocked) {
    lock.lock();
    try {
      int[] d = depth.get();
      if (blocked) {
        if (d[0] > d[1]) { // every step this thread has open, nested ones too
          active -= d[0] - d[1];
          d[1] = d[0];
          changed.signalAll();
        }
      } else if (d[1] > 0) {
        while (exclusive) {
          changed.awaitUninterruptibly();
        }
        active += d[1];
        d[1] = 0;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Waits until no step is open (up to {@code timeoutNanos}), then holds out new ones. False on timeout. */
  boolean enterExclusive(long timeoutNanos) throws InterruptedException {
    lock.lock();
    try {
      long left = timeoutNanos;
      while (exclusive || active > 0) {
        if (left <= 0) {
          return false;
        }
        left = changed.awaitNanos(left);
      }
      exclusive = true;
      return true;
    } finally {
      lock.unlock();
    }
  }

  void exitExclusive() {
    lock.lock();
    try {
      exclusive = false;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  static long nanos(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }
}
