package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;

/** A lock of an underlying channel, reported as held by our wrapping channel. */
final class ForwardingFileLock extends FileLock {
  private final FileLock lock;

  ForwardingFileLock(FileChannel owner, FileLock lock) {
    super(owner, lock.position(), lock.size(), lock.isShared());
    this.lock = lock;
  }

  ForwardingFileLock(AsynchronousFileChannel owner, FileLock lock) {
    super(owner, lock.position(), lock.size(), lock.isShared());
    this.lock = lock;
  }

  @Override
  public boolean isValid() {
    return lock.isValid();
  }

  @Override
  public void release() throws IOException {
    lock.release();
  }
}
