package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileLock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * An asynchronous channel on a tracked file: each operation runs on the executor through a
 * journaling {@link MetamoriFileChannel}, so a write is journaled and performed as one step
 * inside a single epoch.
 */
final class MetamoriAsynchronousFileChannel extends AsynchronousFileChannel {
  private final MetamoriFileChannel channel;
  private final ExecutorService executor;

  MetamoriAsynchronousFileChannel(MetamoriFileChannel channel, ExecutorService executor) {
    this.channel = channel;
    this.executor = executor;
  }

  private interface IoCall<V> {
    V call() throws IOException;
  }

  private <V> Future<V> submit(IoCall<V> call) {
    CompletableFuture<V> future = new CompletableFuture<>();
    executor.execute(
        () -> {
          try {
            future.complete(call.call());
          } catch (Throwable t) {
            future.completeExceptionally(t);
          }
        });
    return future;
  }

  private <V, A> void submit(IoCall<V> call, A attachment, CompletionHandler<V, ? super A> handler) {
    executor.execute(
        () -> {
          V result;
          try {
            result = call.call();
          } catch (Throwable t) {
            handler.failed(t, attachment);
            return;
          }
          handler.completed(result, attachment);
        });
  }

  @Override
  public long size() throws IOException {
    return channel.size();
  }

  @Override
  public AsynchronousFileChannel truncate(long size) throws IOException {
    channel.truncate(size);
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    channel.force(metaData);
  }

  private FileLock wrap(FileLock lock) {
    return new ForwardingFileLock(this, lock);
  }


  @Override
  public <A> void lock(
      long position, long size, boolean shared, A attachment, CompletionHandler<FileLock, ? super A> handler) {
    submit(() -> wrap(channel.lock(position, size, shared)), attachment, handler);
  }

  @Override
  public Future<FileLock> lock(long position, long size, boolean shared) {
    return submit(() -> wrap(channel.lock(position, size, shared)));
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    FileLock lock = channel.tryLock(position, size, shared);
    return lock == null ? null : wrap(lock);
  }

  @Override
  public <A> void read(
      ByteBuffer dst, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
    submit(() -> channel.read(dst, position), attachment, handler);
  }

  @Override
  public Future<Integer> read(ByteBuffer dst, long position) {
    return submit(() -> channel.read(dst, position));
  }

  @Override
  public <A> void write(
      ByteBuffer src, long position, A attachment, CompletionHandler<Integer, ? super A> handler) {
    submit(() -> channel.write(src, position), attachment, handler);
  }

  @Override
  public Future<Integer> write(ByteBuffer src, long position) {
    return submit(() -> channel.write(src, position));
  }

  @Override
  public boolean isOpen() {
    return channel.isOpen();
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
