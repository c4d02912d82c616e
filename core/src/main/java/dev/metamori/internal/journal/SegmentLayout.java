package dev.metamori.internal.journal;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * What a {@link Segment.Scan} of a segment finds, kept as the segment is written: the offset and
 * type of every record, and the index keys of its state records (the index keeps no key of a
 * file's block, so neither does this: its scan's {@code blockKeys} hold state records only). A
 * segment this process created knows its layout without reading itself back, so a commit does
 * not read the epoch's records again (every one of which was checksummed as it was framed).
 * Nine bytes a record.
 */
final class SegmentLayout {
  private long[] offsets = new long[64];
  private byte[] types = new byte[64];
  private long[] blockKeys = new long[48];
  private int count;
  private int keyed;

  /**
   * The index key of a framed record ({@code frame} from its start): for a BLOCK record its
   * file id and block index, for a PAGE or MANIFEST record {@link Journal#stateKey} of its item
   * and the page or part number; null for any other record.
   *
   * @throws IllegalStateException if the frame's fields are out of range (damage)
   */
  static long[] keyOf(ByteBuffer f, int length) {
    byte type = f.get(4);
    if (type == UndoRecord.BLOCK) {
      int pathLength = f.getInt(RecordCodec.HEADER + 8);
      if (pathLength < 0 || pathLength > length) {
        throw new IllegalStateException("block record path length " + pathLength);
      }
      return new long[] {f.getLong(RecordCodec.HEADER), f.getLong(RecordCodec.HEADER + 12 + pathLength)};
    } else if (type == UndoRecord.PAGE || type == UndoRecord.MANIFEST) {
      long item = f.getLong(RecordCodec.HEADER);
      if (item < 0) {
        throw new IllegalStateException("state record of item " + item);
      }
      long x = type == UndoRecord.PAGE ? f.getLong(RecordCodec.HEADER + 8) : f.getInt(RecordCodec.HEADER + 8);
      return new long[] {Journal.stateKey(item), x};
    }
    return null;
  }

  /** Notes the record framed in {@code frame} (position at its start), written at {@code offset}. */
  void add(long offset, ByteBuffer frame) {
    ByteBuffer f = frame.slice();
    if (count == offsets.length) {
      offsets = Arrays.copyOf(offsets, count * 2);
      types = Arrays.copyOf(types, count * 2);
    }
    offsets[count] = offset;
    types[count] = f.get(4);
    long[] key = types[count] == UndoRecord.BLOCK ? null : keyOf(f, f.remaining());
    if (key != null) {
      if (3 * keyed + 3 > blockKeys.length) {
        blockKeys = Arrays.copyOf(blockKeys, blockKeys.length * 2);
      }
      blockKeys[3 * keyed] = key[0];
      blockKeys[3 * keyed + 1] = key[1];
      blockKeys[3 * keyed + 2] = count;
      keyed++;
    }
    count++;
  }

  /** Forgets every record from number {@code records} on (a rewind). */
  void truncate(int records) {
    while (count > records) {
      count--;
      if (keyed > 0 && blockKeys[3 * keyed - 1] == count) {
        keyed--;
      }
    }
  }

  /** The layout as a scan ending at {@code end} would give it. */
  Segment.Scan scan(long end) {
    return new Segment.Scan(
        Arrays.copyOf(offsets, count), Arrays.copyOf(types, count), Arrays.copyOf(blockKeys, 3 * keyed), end, false);
  }
}
