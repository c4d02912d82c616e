package dev.metamori.internal.memory;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A zeroed, fixed-size block of off-heap memory addressed by {@code long} offsets, made of
 * direct {@link ByteBuffer} chunks of at most 1 GiB each so that it may exceed 2 GiB.
 *
 * <p>Every chunk is a whole number of pages, so a page never straddles two chunks and {@link
 * #page(long)} is always a single slice; multi-byte and array accessors do cross chunk
 * boundaries. Multi-byte values are big-endian, like a fresh {@code ByteBuffer}.
 *
 * <p>Not thread-safe for concurrent mutation; concurrent reads of disjoint ranges are safe
 * because no shared buffer position is used.
 */
public final class OffHeapMemory {

  /** Largest chunk: a power of two that a {@code ByteBuffer} can hold. */
  static final int MAX_CHUNK = 1 << 30;

  private final long size;
  private final int pageSize;
  private final int chunkSize;
  private final ByteBuffer[] chunks;

  /**
   * Allocates {@code size} zeroed bytes split into pages of {@code pageSize} bytes.
   *
   * @param size total bytes, at least 0
   * @param pageSize bytes per page, between 1 and 1 GiB
   * @throws IllegalArgumentException if a size is out of range
   */
  public OffHeapMemory(long size, int pageSize) {
    this(size, pageSize, chunkSize(pageSize));
  }

  /** The largest whole number of pages of {@code pageSize} bytes that fits in a chunk. */
  static int chunkSize(int pageSize) {
    return MAX_CHUNK / Math.max(1, pageSize) * Math.max(1, pageSize);
  }

  /** Lets tests use small chunks so that boundaries are crossed without allocating GiBs. */
  OffHeapMemory(long size, int pageSize, int chunkSize) {
    // allocateDirect zeroes the memory, which is the documented initial state.
    this(size, pageSize, chunkSize, (offset, length) -> ByteBuffer.allocateDirect(length));
  }

  /** Where the chunks come from: zeroed buffers of the length asked, position 0. */
  @FunctionalInterface
  interface ChunkSource {
    /** Returns the zeroed chunk that holds bytes {@code [offset, offset + length)}. */
    ByteBuffer chunk(long offset, int length);
  }

  /** Over chunks the caller provides, such as memory it mapped itself. */
  OffHeapMemory(long size, int pageSize, int chunkSize, ChunkSource source) {
    if (size < 0) {
      throw new IllegalArgumentException("size " + size + " < 0");
    }
    if (pageSize <= 0 || pageSize > MAX_CHUNK) {
      throw new IllegalArgumentException("pageSize " + pageSize + " not in [1, " + MAX_CHUNK + "]");
    }
    if (chunkSize < pageSize || chunkSize % pageSize != 0) {
      throw new IllegalArgumentException(
          "chunkSize " + chunkSize + " is not a positive multiple of pageSize " + pageSize);
    }
    this.size = size;
    this.pageSize = pageSize;
    this.chunkSize = chunkSize;
    long n = (size + chunkSize - 1) / chunkSize;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("size " + size + " needs too many chunks");
    }
    chunks = new ByteBuffer[(int) n];
    for (int i = 0; i < chunks.length; i++) {
      long len = Math.min(chunkSize, size - (long) i * chunkSize);
      chunks[i] = source.chunk((long) i * chunkSize, (int) len);
    }
  }

  /** Returns the total size in bytes. */
  public long size() {
    return size;
  }

  /** Returns the page size in bytes. */
  public int pageSize() {
    return pageSize;
  }

  /** Returns the number of pages; the last one is shorter when the size is not a multiple. */
  public long pageCount() {
    return (size + pageSize - 1) / pageSize;
  }

  /** Returns the length of page {@code n}: {@link #pageSize()} except perhaps for the last. */
  public int pageLength(long n) {
    checkPage(n);
    return (int) Math.min(pageSize, size - n * pageSize);
  }

  /**
   * Returns independent duplicates of the chunks, in address order; together they cover the
   * memory exactly. Positions and limits of the returned buffers do not affect this object.
   */
  public List<ByteBuffer> buffers() {
    List<ByteBuffer> out = new ArrayList<>(chunks.length);
    for (ByteBuffer c : chunks) {
      out.add(c.duplicate().clear());
    }
    return Collections.unmodifiableList(out);
  }

  /** Returns a view of page {@code n} with position 0 and limit {@link #pageLength(long)}. */
  public ByteBuffer page(long n) {
    int len = pageLength(n);
    long off = n * pageSize;
    return chunks[chunkIndex(off)].slice(chunkOffset(off), len);
  }

  /** Returns the byte at {@code offset}. */
  public byte get(long offset) {
    checkRange(offset, 1);
    return chunks[chunkIndex(offset)].get(chunkOffset(offset));
  }

  /** Stores {@code b} at {@code offset}. */
  public void put(long offset, byte b) {
    checkRange(offset, 1);
    chunks[chunkIndex(offset)].put(chunkOffset(offset), b);
  }

  /** Returns the big-endian long at {@code offset}, which may straddle two chunks. */
  public long getLong(long offset) {
    checkRange(offset, Long.BYTES);
    ByteBuffer c = chunks[chunkIndex(offset)];
    int o = chunkOffset(offset);
    if (o + Long.BYTES <= c.capacity()) {
      return c.getLong(o);
    }
    long v = 0;
    for (int i = 0; i < Long.BYTES; i++) {
      v = (v << 8) | (get(offset + i) & 0xFF);
    }
    return v;
  }

  /** Stores {@code v} big-endian at {@code offset}, which may straddle two chunks. */
  public void putLong(long offset, long v) {
    checkRange(offset, Long.BYTES);
    ByteBuffer c = chunks[chunkIndex(offset)];
    int o = chunkOffset(offset);
    if (o + Long.BYTES <= c.capacity()) {
      c.putLong(o, v);
      return;
    }
    for (int i = 0; i < Long.BYTES; i++) {
      put(offset + i, (byte) (v >>> (56 - 8 * i)));
    }
  }

  /** Copies {@code len} bytes starting at {@code offset} into {@code dst[off..off+len)}. */
  public void get(long offset, byte[] dst, int off, int len) {
    Objects.checkFromIndexSize(off, len, dst.length);
    checkRange(offset, len);
    while (len > 0) {
      ByteBuffer c = chunks[chunkIndex(offset)];
      int o = chunkOffset(offset);
      int n = Math.min(len, c.capacity() - o);
      c.get(o, dst, off, n);
      offset += n;
      off += n;
      len -= n;
    }
  }

  /** Copies {@code src[off..off+len)} to the memory starting at {@code offset}. */
  public void put(long offset, byte[] src, int off, int len) {
    Objects.checkFromIndexSize(off, len, src.length);
    checkRange(offset, len);
    while (len > 0) {
      ByteBuffer c = chunks[chunkIndex(offset)];
      int o = chunkOffset(offset);
      int n = Math.min(len, c.capacity() - o);
      c.put(o, src, off, n);
      offset += n;
      off += n;
      len -= n;
    }
  }

  /**
   * Copies page {@code n} into {@code dst} at its position, advancing it by the page length.
   *
   * @throws java.nio.BufferOverflowException if {@code dst} has too little room
   */
  public void copyPage(long n, ByteBuffer dst) {
    dst.put(page(n));
  }

  /**
   * Overwrites page {@code n} with the bytes remaining in {@code src}, advancing its position.
   *
   * @throws IllegalArgumentException if {@code src.remaining()} differs from the page length
   */
  public void writePage(long n, ByteBuffer src) {
    ByteBuffer p = page(n);
    if (src.remaining() != p.capacity()) {
      throw new IllegalArgumentException(
          "page " + n + " has " + p.capacity() + " bytes, source has " + src.remaining());
    }
    p.put(src);
  }

  private int chunkIndex(long offset) {
    return (int) (offset / chunkSize);
  }

  private int chunkOffset(long offset) {
    return (int) (offset % chunkSize);
  }

  private void checkRange(long offset, int len) {
    if (offset < 0 || len < 0 || offset > size - len) {
      throw new IndexOutOfBoundsException(
          "range [" + offset + ", " + offset + " + " + len + ") out of bounds for size " + size);
    }
  }

  private void checkPage(long n) {
    if (n < 0 || n >= pageCount()) {
      throw new IndexOutOfBoundsException(
          "page " + n + " out of bounds for page count " + pageCount());
    }
  }
}
