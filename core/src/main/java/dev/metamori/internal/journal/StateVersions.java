package dev.metamori.internal.journal;

import java.util.Arrays;

/**
 * The newest version of each page (of a region) or part (of an object's manifest) at one
 * epoch: for each number {@code x}, the epoch and sequence number of the record holding it.
 * Built by {@link Journal.StateReader#versionsAt} from one checked pass over the index.
 */
public final class StateVersions {
  private final long[] xs;
  private final long[] epochs;
  private final long[] seqs;

  StateVersions(long[] xs, long[] epochs, long[] seqs) {
    this.xs = xs;
    this.epochs = epochs;
    this.seqs = seqs;
  }

  /** How many pages or parts have a version. */
  public int count() {
    return xs.length;
  }

  /** The {@code i}-th page or part with a version, ascending. */
  public long x(int i) {
    return xs[i];
  }

  /** The epoch of the {@code i}-th version. */
  public long epoch(int i) {
    return epochs[i];
  }

  /** The sequence number of the record of the {@code i}-th version. */
  public long seq(int i) {
    return seqs[i];
  }

  /** The position of page or part {@code x}, or -1 if it has no version (it is zeros). */
  public int indexOf(long x) {
    int i = Arrays.binarySearch(xs, x);
    return i < 0 ? -1 : i;
  }

  /**
   * Collects the {@code versions} entries of one item, as the index hands them out, into the
   * newest version of each page or part; keeps their count and digest for the comparison with
   * the epochs' own entries, and refuses keys out of order (a flipped key in a B-tree leaf
   * that a lookup by key would step over).
   */
  static final class Builder {
    private long[] xs = new long[16];
    private long[] epochs = new long[16];
    private long[] seqs = new long[16];
    private int n;
    private long lastX = Long.MIN_VALUE;
    private long lastEpoch = Long.MIN_VALUE;
    long entries;
    long digest;

    /** Adds an entry; false if it does not sort strictly after the previous one. */
    boolean add(long x, long epoch, long seq) {
      if (entries > 0 && (x < lastX || (x == lastX && epoch <= lastEpoch))) {
        return false;
      }
      entries++;
      digest += mix(x, epoch, seq);
      if (n == 0 || xs[n - 1] != x) {
        if (n == xs.length) {
          xs = Arrays.copyOf(xs, 2 * n);
          epochs = Arrays.copyOf(epochs, 2 * n);
          seqs = Arrays.copyOf(seqs, 2 * n);
        }
        xs[n++] = x;
      }
      epochs[n - 1] = epoch;
      seqs[n - 1] = seq;
      lastX = x;
      lastEpoch = epoch;
      return true;
    }

    StateVersions build() {
      return new StateVersions(Arrays.copyOf(xs, n), Arrays.copyOf(epochs, n), Arrays.copyOf(seqs, n));
    }
  }

  /**
   * An order-independent digest of a set of index entries: the sum of a 64-bit mix of each
   * entry. Two sets of entries with equal counts and equal digests are, except with
   * probability about 2⁻⁶⁴ for damage not crafted to collide, the same set, which lets two
   * maps kept in different key orders be compared in one sequential pass over each.
   */
  static long mix(long x, long epoch, long seq) {
    long h = finish(seq + 0x9E3779B97F4A7C15L);
    h = finish(h ^ (epoch * 0xC2B2AE3D27D4EB4FL));
    return finish(h ^ (x * 0x165667B19E3779F9L));
  }

  private static long finish(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
