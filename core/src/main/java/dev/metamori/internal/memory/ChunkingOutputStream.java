package dev.metamori.internal.memory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Objects;

/**
 * An {@link OutputStream} that splits what is written into {@link Chunker} chunks and hands
 * each one to a {@link Sink} as soon as its end is known. At most one maximum-size chunk is
 * buffered, so a serialised object of many GiB never sits in memory whole. The chunks are the
 * same as {@link Chunker#chunkLengths} gives for the whole input, however the input is split
 * into {@code write} calls. {@link #close()} emits the last, possibly short, chunk.
 *
 * <p>Not thread-safe.
 */
public final class ChunkingOutputStream extends OutputStream {

  /** Receives chunks in order. */
  @FunctionalInterface
  public interface Sink {
    /**
     * Accepts one chunk: a read-only buffer holding exactly the chunk, valid only during the
     * call (its bytes are overwritten afterwards), so a sink that keeps the bytes copies them.
     */
    void accept(ByteBuffer chunk) throws IOException;
  }

  private final Chunker chunker;
  private final Sink sink;
  private final byte[] buf;
  private final long[] fp = new long[1];
  /** The pending chunk is {@code buf[start..filled)}; bytes up to {@code scanned} are hashed. */
  private int start;
  private int filled;
  private int scanned;
  private boolean closed;

  /** Creates a stream that chunks with {@code chunker} and emits to {@code sink}. */
  public ChunkingOutputStream(Chunker chunker, Sink sink) {
    this.chunker = Objects.requireNonNull(chunker, "chunker");
    this.sink = Objects.requireNonNull(sink, "sink");
    this.buf = new byte[chunker.maxSize()];
    this.scanned = chunker.minSize();
  }

  @Override
  public void write(int b) throws IOException {
    ensureOpen();
    makeRoom();
    buf[filled++] = (byte) b;
    drain();
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    Objects.checkFromIndexSize(off, len, b.length);
    ensureOpen();
    while (len > 0) {
      makeRoom();
      int n = Math.min(len, buf.length - filled);
      System.arraycopy(b, off, buf, filled, n);
      filled += n;
      off += n;
      len -= n;
      drain();
    }
  }

  /** Emits the last chunks, if any, and closes the stream; later writes throw. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    // At the end of the input the rule of Chunker.cut decides what is left.
    while (start < filled) {
      int n = chunker.cut(buf, start, filled - start);
      emit(n);
    }
  }

  /** Emits every chunk whose boundary lies in the buffered bytes; keeps the rest. */
  private void drain() throws IOException {
    while (filled > scanned) {
      int n = chunker.scan(buf, start, scanned, filled, fp);
      if (n < 0) {
        scanned = filled;
        return;
      }
      emit(n);
      scanned = start + chunker.minSize();
      fp[0] = 0;
    }
  }

  private void emit(int n) throws IOException {
    sink.accept(ByteBuffer.wrap(buf, start, n).slice().asReadOnlyBuffer());
    start += n;
  }

  /**
   * Moves the pending bytes to the front when the buffer is full. The pending chunk is shorter
   * than the buffer (a full one is emitted at once), so there is always room afterwards, and
   * each byte moves at most once per buffer's worth of input.
   */
  private void makeRoom() {
    if (filled < buf.length) {
      return;
    }
    int pending = filled - start;
    System.arraycopy(buf, start, buf, 0, pending);
    scanned -= start;
    filled = pending;
    start = 0;
  }

  private void ensureOpen() throws IOException {
    if (closed) {
      throw new IOException("Stream closed");
    }
  }
}
