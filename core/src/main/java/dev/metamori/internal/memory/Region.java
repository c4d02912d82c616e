package dev.metamori.internal.memory;

import dev.metamori.MemoryRegion;
import java.nio.ByteBuffer;
import java.util.List;

/** A {@link MemoryRegion}: its memory, the tracker of its changed pages and its store id. */
final class Region implements MemoryRegion {
  static final int PAGE_SIZE = 4096;

  final String name;
  final OffHeapMemory memory;
  /** Finds the pages changed since the last commit (or load, or restore). */
  final DirtyPages pages;
  /** Its id in the store, or -1 until a commit names it. */
  long item = -1;

  Region(String name, long size) {
    this.name = name;
    this.pages = PageTracking.allocate(size, PAGE_SIZE);
    this.memory = pages.memory();
  }

  String key() {
    return "r:" + name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public long size() {
    return memory.size();
  }

  @Override
  public ByteBuffer buffer() {
    List<ByteBuffer> all = memory.buffers();
    if (all.size() != 1) {
      throw new IllegalStateException(
          "region " + name + " has " + memory.size()
              + " bytes, more than one buffer holds: use buffers() or the long-indexed accessors");
    }
    return all.get(0);
  }

  @Override
  public List<ByteBuffer> buffers() {
    return memory.buffers();
  }

  @Override
  public byte get(long offset) {
    return memory.get(offset);
  }

  @Override
  public void put(long offset, byte value) {
    memory.put(offset, value);
  }

  @Override
  public long getLong(long offset) {
    return memory.getLong(offset);
  }

  @Override
  public void putLong(long offset, long value) {
    memory.putLong(offset, value);
  }

  @Override
  public void get(long offset, byte[] dst, int at, int length) {
    memory.get(offset, dst, at, length);
  }

  @Override
  public void put(long offset, byte[] src, int at, int length) {
    memory.put(offset, src, at, length);
  }

  @Override
  public String toString() {
    return "MemoryRegion[" + name + ", " + memory.size() + " bytes]";
  }
}
