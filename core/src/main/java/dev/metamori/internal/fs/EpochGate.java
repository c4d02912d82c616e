package dev.metamori.internal.fs;

import com.google.common.util.concurrent.Uninterruptibles;
import java.nio.file.ClosedFileSystemException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The epoch lock, and whether the file system is still open.
 *
 * <p>Data writes, creations and attribute changes hold it {@linkplain #shared() shared};
 * deletes, moves, copies, captures and rollbacks hold it {@linkplain #exclusive() exclusively},
 * so every change belongs wholly to one epoch. An exclusive holder also waits until the epoch
 * being committed, if any, is committed.
 */
final class EpochGate {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  /** Counted down once the epoch being committed is; null before the first capture. */
  private volatile CountDownLatch committing;
  private volatile boolean open = true;

  /** The read lock, locked: the caller unlocks it. */
  Lock shared() {
    Lock shared = lock.readLock();
    shared.lock();
    return shared;
  }

  /** The write lock, locked once no epoch is being committed: the caller unlocks it. */
  Lock exclusive() {
    while (true) {
      CountDownLatch c = committing;
      if (c != null) {
        Uninterruptibles.awaitUninterruptibly(c);
      }
      Lock exclusive = lock.writeLock();
      exclusive.lock();
      c = committing;
      if (c == null || c.getCount() == 0) {
        return exclusive;
      }
      exclusive.unlock();
    }
  }

  /**
   * Makes later {@link #exclusive()} callers wait for {@code done}: the epoch just sealed is
   * being committed. Called with the write lock held.
   */
  void committing(CountDownLatch done) {
    committing = done;
  }

  boolean isOpen() {
    return open;
  }

  void checkOpen() {
    if (!open) {
      throw new ClosedFileSystemException();
    }
  }

  /** Later {@link #checkOpen()} calls fail. */
  void close() {
    open = false;
  }
}
