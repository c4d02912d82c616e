package dev.metamori.internal.journal;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The bodies of the catalogue records (see docs/format.md):
 *
 * <pre>
 *   Label  string label
 *   Head   long generation, long current, long next, long nextItem, long restoringTo,
 *          int n, n × string root
 *   Tree   long generation, long root, int n, n × (long id, long parent, long committedAtMillis,
 *          long flags, long nonce, string label), int d, d × long deleted
 * </pre>
 *
 * {@link RecordCodec} frames them like every other record.
 */
final class CatalogueCodec {
  private CatalogueCodec() {}

  static ByteBuffer encodeHead(UndoRecord.Head h) {
    List<byte[]> roots = new ArrayList<>();
    int size = 5 * 8 + 4;
    for (String r : h.roots()) {
      byte[] b = RecordCodec.utf8(r);
      roots.add(b);
      size += RecordCodec.str(b);
    }
    ByteBuffer frame = RecordCodec.allocate(size);
    frame.putLong(h.generation()).putLong(h.current()).putLong(h.next()).putLong(h.nextItem());
    frame.putLong(h.restoringTo()).putInt(roots.size());
    roots.forEach(b -> RecordCodec.putString(frame, b));
    return frame;
  }

  static ByteBuffer encodeTree(UndoRecord.Tree t) {
    List<byte[]> labels = new ArrayList<>();
    int size = 8 + 8 + 4 + 4 + 8 * t.deleted().length;
    for (UndoRecord.TreeEntry e : t.epochs()) {
      byte[] b = RecordCodec.utf8(e.label());
      labels.add(b);
      size += 5 * 8 + RecordCodec.str(b);
    }
    ByteBuffer frame = RecordCodec.allocate(size);
    frame.putLong(t.generation()).putLong(t.root()).putInt(t.epochs().size());
    for (int i = 0; i < t.epochs().size(); i++) {
      UndoRecord.TreeEntry e = t.epochs().get(i);
      frame.putLong(e.id()).putLong(e.parent()).putLong(e.committedAtMillis()).putLong(e.flags());
      frame.putLong(e.nonce());
      RecordCodec.putString(frame, labels.get(i));
    }
    frame.putInt(t.deleted().length);
    for (long d : t.deleted()) {
      frame.putLong(d);
    }
    return frame;
  }

  /** Bytes a Tree record's entry of {@code e} takes, to keep each record well under the frame limit. */
  static int entryBytes(UndoRecord.TreeEntry e) {
    return 5 * 8 + RecordCodec.str(RecordCodec.utf8(e.label()));
  }

  static UndoRecord decode(byte type, ByteBuffer in) {
    if (type == UndoRecord.LABEL) {
      return new UndoRecord.Label(RecordCodec.getString(in));
    }
    long generation = in.getLong();
    if (type == UndoRecord.HEAD) {
      long current = in.getLong();
      long next = in.getLong();
      long nextItem = in.getLong();
      long restoringTo = in.getLong();
      int n = count(in, 4);
      List<String> roots = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        roots.add(RecordCodec.getString(in));
      }
      return new UndoRecord.Head(generation, current, next, nextItem, restoringTo, List.copyOf(roots));
    }
    long root = in.getLong();
    int n = count(in, 44);
    List<UndoRecord.TreeEntry> epochs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      epochs.add(
          new UndoRecord.TreeEntry(
              in.getLong(), in.getLong(), in.getLong(), in.getLong(), in.getLong(), RecordCodec.getString(in)));
    }
    long[] deleted = new long[count(in, 8)];
    for (int i = 0; i < deleted.length; i++) {
      deleted[i] = in.getLong();
    }
    return new UndoRecord.Tree(generation, root, List.copyOf(epochs), deleted);
  }

  /** A count of items of at least {@code bytes} bytes each, checked against what is left. */
  private static int count(ByteBuffer in, int bytes) {
    int n = in.getInt();
    if (n < 0 || (long) n * bytes > in.remaining()) {
      throw new IllegalArgumentException("a count of " + n);
    }
    return n;
  }
}
