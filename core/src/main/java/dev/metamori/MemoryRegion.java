package dev.metamori;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * A named block of off-heap memory whose contents belong to the checkpointed state: {@link
 * Checkpointer#commit()} stores the pages that changed since the last commit, in the same epoch
 * as the file changes, and {@link Checkpointer#rollback(long)} puts every byte back as it was.
 * A new process that opens the store and asks for the region by name gets it as of the last
 * committed epoch.
 *
 * <pre>{@code
 * MemoryRegion grid = cp.region("grid", 512L << 20); // zeroed, or as last committed
 * ByteBuffer b = grid.buffer();
 * b.putDouble(8 * cell, 1.5);                        // plain writes: nothing to declare
 * long epoch = cp.commit();                          // stores only the pages that changed
 * }</pre>
 *
 * <p>The application reads and writes the memory freely, through the buffers or the
 * long-indexed accessors, from any thread. Nothing needs to be declared: on Linux 6.7 or later
 * with Java 22 or later, the kernel marks the pages written since the last commit
 * (write-protect tracking, so a commit does not read the whole region), provided native access
 * is enabled for Metamori: {@code --enable-native-access=dev.metamori} on the module path,
 * {@code --enable-native-access=ALL-UNNAMED} on the class path. Elsewhere each page's hash is
 * compared at commit with the one it had at the previous commit (see docs/design.md for the
 * hash and its collision analysis). {@link StoreStats.StateStats#pageTracking()} says which
 * method a region uses, and why. Writes that race a commit land in that epoch or the next:
 * quiesce writers in {@link CheckpointListener#beforeCheckpoint()} where an epoch must be
 * consistent.
 *
 * <p>The buffers stay valid as long as the application holds them, also after the {@link
 * Checkpointer} is closed; their memory is freed when the garbage collector finds them
 * unreachable.
 */
public interface MemoryRegion {

  /**
   * The name given to {@link Checkpointer#region(String, long)}.
   *
   * @return the region's name
   */
  String name();

  /**
   * Size in bytes.
   *
   * @return the region's size in bytes
   */
  long size();

  /**
   * The whole region as one direct buffer (a new view each call: position 0, limit {@link
   * #size()}, big-endian).
   *
   * @return a view of the whole region
   * @throws IllegalStateException if the region is larger than one buffer can be: use {@link
   *     #buffers()} or the long-indexed accessors
   */
  ByteBuffer buffer();

  /**
   * The region as consecutive direct buffers (new views, big-endian), each but the last of the
   * same size, a multiple of the page size; one buffer for regions up to 1 GiB.
   *
   * @return views of the whole region, in order
   */
  List<ByteBuffer> buffers();

  /**
   * The byte at {@code offset}.
   *
   * @param offset the byte offset in the region
   * @return the byte read
   */
  byte get(long offset);

  /**
   * Writes a byte at {@code offset}.
   *
   * @param offset the byte offset in the region
   * @param value the byte to write
   */
  void put(long offset, byte value);

  /**
   * The big-endian long at {@code offset}, which may straddle two buffers.
   *
   * @param offset the byte offset in the region
   * @return the long read
   */
  long getLong(long offset);

  /**
   * Writes a big-endian long at {@code offset}, which may straddle two buffers.
   *
   * @param offset the byte offset in the region
   * @param value the long to write
   */
  void putLong(long offset, long value);

  /**
   * Copies {@code length} bytes from {@code offset} into {@code dst[at, at + length)}.
   *
   * @param offset the byte offset in the region
   * @param dst the array to copy into
   * @param at the index in {@code dst} of the first byte copied
   * @param length how many bytes to copy
   */
  void get(long offset, byte[] dst, int at, int length);

  /**
   * Copies {@code src[at, at + length)} to {@code offset}.
   *
   * @param offset the byte offset in the region
   * @param src the array to copy from
   * @param at the index in {@code src} of the first byte copied
   * @param length how many bytes to copy
   */
  void put(long offset, byte[] src, int at, int length);
}
