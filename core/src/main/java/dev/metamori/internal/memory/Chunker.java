package dev.metamori.internal.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Content-defined chunking with FastCDC (Xia et al., "FastCDC: a Fast and Efficient
 * Content-Defined Chunking Approach for Data Deduplication", USENIX ATC 2016): a gear rolling
 * hash {@code fp = (fp << 1) + GEAR[b]}, cut-point skipping below the minimum size, and
 * normalized chunking with a stricter mask before the average size and a looser one after it.
 * Because boundaries depend only on nearby content, inserting a few bytes into a large input
 * changes only the chunks around the edit, so unchanged chunks deduplicate.
 *
 * <p><b>Store format.</b> The boundaries are part of the store format (changing them defeats
 * deduplication against existing chunks), so everything here is fixed:
 *
 * <ul>
 *   <li>{@code GEAR[i]} for {@code i = 0..255} is the {@code (i+1)}-th output of SplitMix64
 *       (Steele, Lea, Flood 2014: {@code state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >>>
 *       30)) * 0xBF58476D1CE4E5B9; z = (z ^ (z >>> 27)) * 0x94D049BB133111EB; return z ^ (z >>>
 *       31)}) started from {@code state = 0x6D6574616D6F7269} (ASCII "metamori").
 *   <li>With {@code avg = 2^bits}, the strict mask {@code maskS} has the top {@code bits + 2} bits
 *       set and the loose mask {@code maskL} the top {@code bits - 2} (normalization level 2).
 *       Top bits are used because with a left-shifting hash bit {@code k} depends on the last
 *       {@code k + 1} bytes only, so high bits see the widest window (at least 48 bytes here).
 *   <li>A chunk starting at {@code s} ends after byte {@code i} for the first {@code i} in
 *       {@code [s + min, s + max)} with {@code fp & mask == 0}, where {@code fp} starts at 0 at
 *       {@code s + min} and {@code mask} is {@code maskS} while {@code i < s + avg}, else {@code
 *       maskL}; with no such {@code i} the chunk has {@code max} bytes, or all that remain at the
 *       end of the input.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class Chunker {

  /** Seed of the gear table (ASCII "metamori"); part of the store format. */
  static final long GEAR_SEED = 0x6D6574616D6F7269L;

  private static final long[] GEAR = gearTable(GEAR_SEED);

  /** FastCDC with 2 KiB minimum, 8 KiB average and 64 KiB maximum chunks. */
  public static final Chunker DEFAULT = new Chunker(2 << 10, 8 << 10, 64 << 10);

  private final int min;
  private final int avg;
  private final int max;
  private final long maskS;
  private final long maskL;

  /**
   * Creates a chunker.
   *
   * @param min minimum chunk size, at least 64
   * @param avg target average chunk size, a power of two in {@code [min, max]}, at least 256
   * @param max maximum chunk size
   * @throws IllegalArgumentException if the sizes are not so ordered
   */
  public Chunker(int min, int avg, int max) {
    if (min < 64 || avg < 256 || Integer.bitCount(avg) != 1 || min > avg || avg > max) {
      throw new IllegalArgumentException(
          "need 64 <= min <= avg <= max, avg a power of two >= 256; got min "
              + min
              + ", avg "
              + avg
              + ", max "
              + max);
    }
    this.min = min;
    this.avg = avg;
    this.max = max;
    int bits = Integer.numberOfTrailingZeros(avg);
    this.maskS = -1L << (64 - (bits + 2));
    this.maskL = -1L << (64 - (bits - 2));
  }

  /** Returns the minimum chunk size (every chunk but the last is at least this long). */
  public int minSize() {
    return min;
  }

  /** Returns the target average chunk size. */
  public int avgSize() {
    return avg;
  }

  /** Returns the maximum chunk size. */
  public int maxSize() {
    return max;
  }

  /**
   * Returns the length of the chunk that starts at {@code data[off]}, when the input ends at
   * {@code off + len}.
   */
  public int cut(byte[] data, int off, int len) {
    Objects.checkFromIndexSize(off, len, data.length);
    if (len <= min) {
      return len;
    }
    int end = off + Math.min(len, max);
    int normal = off + Math.min(len, avg);
    long fp = 0;
    int i = off + min;
    for (; i < normal; i++) {
      fp = (fp << 1) + GEAR[data[i] & 0xFF];
      if ((fp & maskS) == 0) {
        return i + 1 - off;
      }
    }
    for (; i < end; i++) {
      fp = (fp << 1) + GEAR[data[i] & 0xFF];
      if ((fp & maskL) == 0) {
        return i + 1 - off;
      }
    }
    return end - off;
  }

  /** Returns the lengths of the chunks of {@code data}, in order; they sum to its length. */
  public int[] chunkLengths(byte[] data) {
    List<Integer> out = new ArrayList<>();
    for (int off = 0; off < data.length; ) {
      int n = cut(data, off, data.length - off);
      out.add(n);
      off += n;
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /**
   * Scans {@code data[from..to)} of a chunk that starts at {@code data[start]}, with rolling
   * state {@code fp[0]} carried over from the bytes before {@code from}; returns the chunk
   * length if a boundary is found, else {@code -1} after saving the state in {@code fp[0]}.
   * Callers begin at {@code from = start + min} with {@code fp[0] = 0}. The same rule as {@link
   * #cut}, split so that a stream need not rescan what it has seen.
   */
  int scan(byte[] data, int start, int from, int to, long[] fp) {
    long h = fp[0];
    int i = from;
    int normal = Math.min(to, start + avg);
    for (; i < normal; i++) {
      h = (h << 1) + GEAR[data[i] & 0xFF];
      if ((h & maskS) == 0) {
        return i + 1 - start;
      }
    }
    int end = Math.min(to, start + max);
    for (; i < end; i++) {
      h = (h << 1) + GEAR[data[i] & 0xFF];
      if ((h & maskL) == 0) {
        return i + 1 - start;
      }
    }
    fp[0] = h;
    return i == start + max ? max : -1;
  }

  /** Returns a copy of the gear table, for tests and the format description. */
  static long[] gear() {
    return GEAR.clone();
  }

  private static long[] gearTable(long seed) {
    long[] t = new long[256];
    long state = seed;
    for (int i = 0; i < t.length; i++) {
      state += 0x9E3779B97F4A7C15L;
      long z = state;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      t[i] = z ^ (z >>> 31);
    }
    return t;
  }
}
