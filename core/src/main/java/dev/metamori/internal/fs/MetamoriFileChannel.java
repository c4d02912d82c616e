package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.NonReadableChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;

/**
 * A channel on a tracked file. Reads pass straight to the underlying channel; every write,
 * truncation and writable mapping first lets the {@link Tracker} save what it would overwrite.
 */
final class MetamoriFileChannel extends FileChannel {
  private static final int TRANSFER_CHUNK = 64 * 1024;
  /**
   * Whether the running JDK's own {@code transferFrom} writes at a position past the end of
   * the file (JDK 21 and later, JDK-8303260) rather than transferring nothing (JDK 17).
   */
  private static final boolean TRANSFER_PAST_END = Runtime.version().feature() >= 21;

  private final Tracker tracker;
  final TrackedFile file;
  final FileChannel delegate;
  private final boolean readable;
  private final boolean writable;
  final boolean append;
  /** The underlying channel can read, so old blocks are read through it. */
  final boolean delegateReadable;
  private final MetamoriPath deleteOnClose;

  MetamoriFileChannel(
      Tracker tracker,
      TrackedFile file,
      FileChannel delegate,
      boolean readable,
      boolean writable,
      boolean append,
      boolean delegateReadable,
      MetamoriPath deleteOnClose) {
    this.tracker = tracker;
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

  private void ensureOpen() throws IOException {
    if (!isOpen()) {
      throw new java.nio.channels.ClosedChannelException();
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    checkReadable();
    return delegate.read(dst);
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    checkReadable();
    return delegate.read(dsts, offset, length);
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    checkReadable();
    return delegate.read(dst, position);
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    checkWritable();
    return (int) tracker.write(this, new ByteBuffer[] {src}, 0, 1, -1);
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    checkWritable();
    return tracker.write(this, srcs, offset, length, -1);
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    checkWritable();
    if (position < 0) {
      throw new IllegalArgumentException("negative position");
    }
    return (int) tracker.write(this, new ByteBuffer[] {src}, 0, 1, position);
  }

  @Override
  public long position() throws IOException {
    return delegate.position();
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    delegate.position(newPosition);
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
    tracker.truncate(this, size);
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
      return tracker.mapReadWrite(this, position, size);
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
      tracker.channelClosed(this);
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
