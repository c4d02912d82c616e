package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.concurrent.locks.Lock;

/**
 * A channel on a tracked file. Reads pass straight to the underlying channel; every write,
 * truncation and writable mapping first has the {@link BeforeImages} save what it would
 * overwrite, under the shared epoch lock, then goes to the underlying channel.
 */
final class MetamoriFileChannel extends FileChannel {
  private static final int TRANSFER_CHUNK = 64 * 1024;
  /**
   * Whether the running JDK's own {@code transferFrom} writes at a position past the end of
   * the file (JDK 21 and later, JDK-8303260) rather than transferring nothing (JDK 17).
   */
  private static final boolean TRANSFER_PAST_END = Runtime.version().feature() >= 21;

  private final ChannelFactory factory;
  private final EpochGate gate;
  private final BeforeImages beforeImages;
  private final TrackedFile file;
  private final FileChannel delegate;
  private final boolean readable;
  private final boolean writable;
  private final boolean append;
  /** The underlying channel can read, so old blocks are read through it. */
  private final boolean delegateReadable;
  private final MetamoriPath deleteOnClose;
  /**
   * The delegate's position as this channel moved it, or -1 when not known (then the delegate
   * is asked: an {@code lseek}). Not kept for an {@code APPEND} channel, whose writes move the
   * delegate to the end of the file. Guarded by this channel's monitor, which every relative
   * read and write of a channel without {@code APPEND} holds.
   */
  private long knownPosition = -1;

  MetamoriFileChannel(
      ChannelFactory factory,
      EpochGate gate,
      BeforeImages beforeImages,
      TrackedFile file,
      FileChannel delegate,
      boolean readable,
      boolean writable,
      boolean append,
      boolean delegateReadable,
      MetamoriPath deleteOnClose) {
    this.factory = factory;
    this.gate = gate;
    this.beforeImages = beforeImages;
    this.file = file;
    this.delegate = delegate;
    this.readable = readable;
    this.writable = writable;
    this.append = append;
    this.delegateReadable = delegateReadable;
    this.deleteOnClose = deleteOnClose;
  }

  private void checkReadable() throws IOException {
    ensureOpen();
    if (!readable) {
      throw new NonReadableChannelException();
    }
  }

  private void checkWritable() throws IOException {
    ensureOpen();
    if (!writable) {
      throw new NonWritableChannelException();
    }
  }

  private void ensureOpen() throws ClosedChannelException {
    if (!isOpen()) {
      throw new ClosedChannelException();
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    checkReadable();
    return (int) readRelative(new ByteBuffer[] {dst}, 0, 1);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    checkReadable();
    return readRelative(dsts, offset, length);
  }

  private long readRelative(ByteBuffer[] dsts, int offset, int length) throws IOException {
    if (append) {
      return length == 1 ? delegate.read(dsts[offset]) : delegate.read(dsts, offset, length);
    }
    synchronized (this) {
      long at = knownPosition;
      knownPosition = -1; // unknown if the read fails
      long n = length == 1 ? delegate.read(dsts[offset]) : delegate.read(dsts, offset, length);
      knownPosition = at < 0 ? -1 : at + Math.max(n, 0);
      return n;
    }
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    checkReadable();
    return delegate.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    checkWritable();
    return (int) journaledWrite(new ByteBuffer[] {src}, 0, 1, -1);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    checkWritable();
    return journaledWrite(srcs, offset, length, -1);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkWritable();
    if (position < 0) {
      throw new IllegalArgumentException("negative position");
    }
    return (int) journaledWrite(new ByteBuffer[] {src}, 0, 1, position);
  }

  /**
   * Saves what the write overwrites, then writes: at {@code position}, or at the channel's
   * position if it is negative.
   */
  private long journaledWrite(ByteBuffer[] srcs, int offset, int length, long position)
      throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      total += srcs[i].remaining();
    }
    Lock lock = gate.shared();
    try {
      // checked under the epoch lock: a rollback closes the channel while a write waits for
      // the lock, and the write must then fail as closed, journaling nothing in the new epoch
      ensureOpen();
      if (position >= 0) {
        beforeImages.beforeWrite(file, delegate, delegateReadable, position, total);
        return delegate.write(srcs[offset], position);
      }
      beforeImages.touch(file);
      // nothing to save, so no position needed: an append lands at the end of the file, and
      // every byte between the current size and the epoch's start size is saved already
      // (truncation saves what it cuts)
      if (append) {
        return writeRelative(srcs, offset, length);
      }
      synchronized (this) {
        // the position this channel keeps: no lseek unless it is unknown
        long at = knownPosition >= 0 ? knownPosition : delegate.position();
        knownPosition = -1; // unknown if the write fails
        if (!file.savesNothing()) { // a new, detached or initially empty file saves nothing
          beforeImages.beforeWrite(file, delegate, delegateReadable, at, total);
        }
        long n = writeRelative(srcs, offset, length);
        knownPosition = at + n;
        return n;
      }
    } finally {
      lock.unlock();
    }
  }

  /** A single buffer goes through {@code write}, not the gathering {@code writev}. */
  private long writeRelative(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return length == 1 ? delegate.write(srcs[offset]) : delegate.write(srcs, offset, length);
  }

  @Override
  public long position() throws IOException {
    if (append) {
      return delegate.position();
    }
    synchronized (this) {
      ensureOpen();
      if (knownPosition < 0) {
        knownPosition = delegate.position();
      }
      return knownPosition;
    }
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    if (append) {
      delegate.position(newPosition);
      return this;
    }
    synchronized (this) {
      knownPosition = -1;
      delegate.position(newPosition);
      knownPosition = newPosition;
    }
    return this;
  }

  @Override
  public long size() throws IOException {
    return delegate.size();
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    checkWritable();
    if (size < 0) {
      throw new IllegalArgumentException("negative size");
    }
    Lock lock = gate.shared();
    try {
      ensureOpen(); // under the epoch lock, as for a write
      if (size < delegate.size()) {
        beforeImages.beforeTruncate(file, delegate, delegateReadable, size);
      }
      synchronized (this) {
        knownPosition = -1; // a truncation may move it back
        delegate.truncate(size);
      }
    } finally {
      lock.unlock();
    }
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    delegate.force(metaData);
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    checkReadable();
    return delegate.transferTo(position, count, target);
  }

  /** Copies through a buffer so that exactly the bytes written are journaled. */
  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    checkWritable();
    if (position < 0 || count < 0) {
      throw new IllegalArgumentException("negative position or count");
    }
    if (position > size() && !TRANSFER_PAST_END) {
      return 0;
    }
    ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(TRANSFER_CHUNK, Math.max(count, 1)));
    long done = 0;
    while (done < count) {
      buffer.clear().limit((int) Math.min(buffer.capacity(), count - done));
      int n = src.read(buffer);
      if (n <= 0) {
        break;
      }
      buffer.flip();
      while (buffer.hasRemaining()) {
        done += write(buffer, position + done);
      }
    }
    return done;
  }

  /**
   * A {@code READ_WRITE} mapping saves the whole mapped range up front (writes to memory cannot
   * be intercepted) and again at the start of every later epoch while the buffer is reachable.
   */
  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
    if (mode == MapMode.READ_WRITE) {
      checkWritable();
      Lock lock = gate.shared();
      try {
        ensureOpen(); // under the epoch lock, as for a write
        beforeImages.beforeWrite(file, delegate, delegateReadable, position, size);
        MappedByteBuffer buffer = delegate.map(MapMode.READ_WRITE, position, size);
        file.addMapping(buffer, position, size);
        return buffer;
      } finally {
        lock.unlock();
      }
    }
    return delegate.map(mode, position, size);
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return wrap(delegate.lock(position, size, shared));
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    FileLock lock = delegate.tryLock(position, size, shared);
    return lock == null ? null : wrap(lock);
  }

  private FileLock wrap(FileLock lock) {
    return new ForwardingFileLock(this, lock);
  }


  @Override
  protected void implCloseChannel() throws IOException {
    try {
      delegate.close();
    } finally {
      factory.closed(this, file);
    }
    if (deleteOnClose != null) {
      try {
        deleteOnClose.getFileSystem().provider().delete(deleteOnClose);
      } catch (NoSuchFileException ignored) {
        // already gone, as with the default file system
      }
    }
  }
}
