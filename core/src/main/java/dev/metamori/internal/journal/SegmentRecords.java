package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The records of a segment (or redo file) at known offsets, read in runs: one positional read
 * fetches every frame of up to {@link #RUN_BYTES} of consecutive records, and each frame is
 * checked as {@link Segment#read} checks it (length, checksum, sequence number). A restore walks
 * an epoch's records newest first ({@code backwards}) or oldest first; either way each record is
 * read once, with about one system call per {@link #RUN_BYTES}. Records already read and checked
 * (a restore's preparation keeps them, see {@link PreparedRoute}) are served from memory.
 */
final class SegmentRecords {
  /** Bytes of frames one read fetches (a single larger frame is read alone). */
  static final int RUN_BYTES = 1 << 20;

  private final Segment segment;
  private final long[] offsets;
  /** Where the last record's frame ends at most: the segment's size, or the end of its scan. */
  private final long end;
  private final boolean backwards;
  private final UndoRecord[] all;
  /**
   * The frames of the run read last, records {@code lo} to {@code hi - 1}, read at {@code base}
   * ({@code got} bytes). They are decoded one at a time as they are asked for: a MiB of frames
   * of compressible blocks can hold a hundred times as many bytes once decoded.
   */
  private ByteBuffer bytes = ByteBuffer.allocate(0);
  private long base;
  private int got;
  private int lo;
  private int hi;
  /** The record decoded last, and its number: asked for again, it is not decoded again. */
  private UndoRecord last;
  private int lastSeq = -1;

  private SegmentRecords(Segment segment, long[] offsets, long end, boolean backwards, UndoRecord[] all) {
    this.segment = segment;
    this.offsets = offsets;
    this.end = end;
    this.backwards = backwards;
    this.all = all;
  }

  /** The records of {@code segment} at {@code offsets}, the last of which ends by {@code end}. */
  static SegmentRecords of(Segment segment, long[] offsets, long end, boolean backwards) {
    return new SegmentRecords(segment, offsets, end, backwards, null);
  }

  /** Records read and checked already, in order. */
  static SegmentRecords checked(UndoRecord[] all) {
    return new SegmentRecords(null, null, 0, false, all);
  }

  int count() {
    return all != null ? all.length : offsets.length;
  }

  /** Record {@code seq}, checked. */
  UndoRecord get(long seq) throws IOException {
    if (all != null) {
      return all[(int) seq];
    }
    int i = (int) seq;
    if (i == lastSeq) {
      return last;
    }
    if (i < lo || i >= hi) {
      int from = i;
      int to = i + 1;
      if (backwards) {
        while (from > 0 && limit(to) - offsets[from - 1] <= RUN_BYTES) {
          from--;
        }
      } else {
        while (to < offsets.length && limit(to + 1) - offsets[from] <= RUN_BYTES) {
          to++;
        }
      }
      read(from, to);
    }
    last = decode(i);
    lastSeq = i;
    return last;
  }

  /** Every record, oldest first, each read once. */
  UndoRecord[] all() throws IOException {
    if (all != null) {
      return all;
    }
    UndoRecord[] records = new UndoRecord[offsets.length];
    for (int i = 0; i < records.length; i++) {
      records[i] = get(i);
    }
    return records;
  }

  /** Where the frames of records before {@code to} end at most. */
  private long limit(int to) {
    return to < offsets.length ? offsets[to] : end;
  }

  /** Reads the frames of records {@code from} to {@code to - 1} with one read. */
  private void read(int from, int to) throws IOException {
    base = offsets[from];
    long length = Math.min(limit(to), Math.max(base, segment.size())) - base;
    int size = (int) Math.max(0, Math.min(length, RecordCodec.MAX_FRAME + (long) RUN_BYTES));
    // the buffer of the run before, if it is large enough: no record keeps a view of it
    bytes = bytes.capacity() >= size ? bytes.clear().limit(size) : ByteBuffer.allocate(size);
    while (bytes.hasRemaining() && segment.channel.read(bytes, base + bytes.position()) > 0) {}
    got = bytes.position();
    lo = from;
    hi = to;
  }

  /** Record {@code i} of the run read, checked (a frame the read cut short is read alone). */
  private UndoRecord decode(int i) throws IOException {
    long offset = offsets[i] - base; // out of the run where the index's offsets are damaged
    int at = offset >= 0 && offset + 4 <= got ? (int) offset : -1;
    int frame = at >= 0 ? bytes.getInt(at) : -1;
    if (frame < RecordCodec.HEADER + RecordCodec.TRAILER
        || frame > RecordCodec.MAX_FRAME
        || (long) at + frame > got) {
      return segment.read(offsets[i], i); // the error it gives, or a frame read alone
    }
    return segment.decodeChecked(bytes.array(), at, frame, offsets[i], i);
  }
}
