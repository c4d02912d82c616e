package dev.metamori.internal.stream;

import dev.metamori.StreamException;
import dev.metamori.internal.stream.StreamRecord.Entry;
import dev.metamori.internal.stream.StreamRecord.Identity;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UTFDataFormatException;
import java.util.BitSet;
import java.util.UUID;

/**
 * Reads the records of an export stream and checks that they form a valid stream: the header
 * first, data only inside a file and within its size, pages only inside a region, every path
 * relative and made of plain names (no {@code ..}, {@code .}, empty names or NUL), every root a
 * position the header allows, staging slots placed exactly once, the end record last with the
 * right count. A stream that breaks a rule is refused at the record that breaks it.
 */
public final class StreamReader {
  static final byte HEADER = 1;
  static final byte DIRECTORY = 2;
  static final byte LINK = 3;
  static final byte FILE = 4;
  static final byte DATA = 5;
  static final byte FILE_END = 6;
  static final byte DELETE = 7;
  static final byte STAGE = 8;
  static final byte PLACE = 9;
  static final byte REGION = 10;
  static final byte PAGE_RECORD = 11;
  static final byte REGION_END = 12;
  static final byte OBJECT = 13;
  static final byte END = 14;
  /** The most bytes one {@link StreamRecord.Data} record carries. */
  public static final int MAX_DATA = 1 << 20;
  /** The page size of memory regions in a stream. */
  public static final int PAGE = 4096;
  private static final int MAX_PATH = 4096;

  private final Chunks.In chunks;
  private final DataInputStream in;
  private StreamRecord.Header header;
  private StreamRecord.File file;
  private StreamRecord.Region region;
  private int staged;
  private final BitSet placed = new BitSet();
  private long records;
  private boolean ended;

  public StreamReader(InputStream in) throws IOException {
    this.chunks = new Chunks.In(in);
    this.in = new DataInputStream(chunks);
  }

  /** Bytes of the stream read so far. */
  public long consumed() {
    return chunks.consumed();
  }

  /** The header, once read. */
  public StreamRecord.Header header() {
    return header;
  }

  /** The next record, checked; null after the end record (and the end mark) were read. */
  public StreamRecord next() throws IOException {
    if (ended) {
      return null;
    }
    try {
      return read();
    } catch (EOFException | UTFDataFormatException e) {
      throw refused("it ends inside a record, or a name is not valid UTF-8", e);
    }
  }

  private StreamRecord read() throws IOException {
    int type = in.read();
    if (type < 0) {
      throw refused("it ends without its end record", null);
    }
    if (header == null && type != HEADER) {
      throw refused("it does not start with a header", null);
    }
    if ((file != null && type != DATA && type != FILE_END) || (region != null && type != PAGE_RECORD && type != REGION_END)) {
      throw refused("a file's data or a region's pages are interrupted by a record of type " + type, null);
    }
    long index = records++;
    switch (type) {
      case HEADER -> {
        if (header != null) {
          throw refused("it has a second header", null);
        }
        Identity base = in.readBoolean() ? identity() : null;
        Identity epoch = identity();
        String label = in.readBoolean() ? in.readUTF() : null;
        header = new StreamRecord.Header(base, epoch, label, in.readLong(), in.readInt());
        if (header.roots() < 1 || header.roots() > 1 << 16 || (label != null && (label.isEmpty() || label.length() > 1000))) {
          throw refused("its header is invalid", null);
        }
        return header;
      }
      case DIRECTORY -> {
        return new StreamRecord.Directory(entry(true), in.readLong(), permissions());
      }
      case LINK -> {
        Entry at = entry(false);
        String target = in.readUTF();
        if (target.isEmpty() || target.indexOf('\0') >= 0) {
          throw refused("link " + at + " has an invalid target", null);
        }
        return new StreamRecord.Link(at, target, in.readLong());
      }
      case FILE -> {
        Entry at = entry(false);
        boolean patch = in.readBoolean();
        long size = in.readLong();
        file = new StreamRecord.File(at, patch, size, in.readLong(), permissions());
        if (patch) {
          requireIncremental(at);
        }
        if (size < 0) {
          throw refused("file " + at + " has a negative size", null);
        }
        return file;
      }
      case DATA -> {
        long offset = in.readLong();
        int length = in.readInt();
        if (file == null || length < 1 || length > MAX_DATA || offset < 0 || offset > file.size() - length) {
          throw refused("record " + index + " holds data outside a file or outside its size", null);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new StreamRecord.Data(offset, bytes);
      }
      case FILE_END -> {
        if (file == null) {
          throw refused("record " + index + " ends a file that was not begun", null);
        }
        file = null;
        return new StreamRecord.FileEnd();
      }
      case DELETE -> {
        Entry at = entry(false);
        requireIncremental(at);
        return new StreamRecord.Delete(at);
      }
      case STAGE -> {
        int slot = in.readInt();
        Entry at = entry(false);
        requireIncremental(at);
        if (slot != staged) {
          throw refused("record " + index + " stages slot " + slot + " out of order", null);
        }
        staged++;
        return new StreamRecord.Stage(slot, at);
      }
      case PLACE -> {
        int slot = in.readInt();
        Entry at = entry(false);
        if (slot < 0 || slot >= staged || placed.get(slot)) {
          throw refused("record " + index + " places slot " + slot + ", which is not staged or already placed", null);
        }
        placed.set(slot);
        return new StreamRecord.Place(slot, at);
      }
      case REGION -> {
        String name = in.readUTF();
        long size = in.readLong();
        region = new StreamRecord.Region(name, size, in.readBoolean());
        if (name.isEmpty() || size <= 0 || size > 1L << 46) {
          throw refused("region '" + name + "' has an invalid name or size " + size, null);
        }
        return region;
      }
      case PAGE_RECORD -> {
        long page = in.readLong();
        int length = in.readInt();
        long at = page * PAGE;
        if (page < 0 || at >= region.size() || length != (int) Math.min(PAGE, region.size() - at)) {
          throw refused("record " + index + " is not a page of region '" + region.name() + "'", null);
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new StreamRecord.Page(page, bytes);
      }
      case REGION_END -> {
        if (region == null) {
          throw refused("record " + index + " ends a region that was not begun", null);
        }
        region = null;
        return new StreamRecord.RegionEnd();
      }
      case OBJECT -> {
        String name = in.readUTF();
        int length = in.readInt();
        if (name.isEmpty() || length < 0) {
          throw refused("record " + index + " is an invalid object", null);
        }
        // read as it comes: a length the stream does not have fails at its end, not in an allocation
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(Math.min(length, MAX_DATA));
        byte[] piece = new byte[Math.min(Math.max(length, 1), MAX_DATA)];
        for (int left = length; left > 0; ) {
          int n = Math.min(left, piece.length);
          in.readFully(piece, 0, n);
          bytes.write(piece, 0, n);
          left -= n;
        }
        return new StreamRecord.ObjectState(name, bytes.toByteArray());
      }
      case END -> {
        long count = in.readLong();
        if (count != index || placed.cardinality() != staged) {
          throw refused("its end record counts " + count + " records, not " + index + ", or a staged slot is not placed", null);
        }
        if (in.read() >= 0) {
          throw refused("it has content after its end record", null);
        }
        ended = true;
        return new StreamRecord.End(count);
      }
      default -> throw refused("record " + index + " has an unknown type " + type, null);
    }
  }

  /** Refuses, in a full stream, a record only incremental streams hold. */
  private void requireIncremental(Entry at) throws StreamException {
    if (header.base() == null) {
      throw refused("a full stream changes an existing entry (" + at + ")", null);
    }
  }

  private Identity identity() throws IOException {
    return new Identity(new UUID(in.readLong(), in.readLong()), in.readLong());
  }

  private int permissions() throws IOException {
    int p = in.readInt();
    if (p < -1 || p > 07777) {
      throw refused("a permission set " + p + " is invalid", null);
    }
    return p;
  }

  private Entry entry(boolean rootAllowed) throws IOException {
    int root = in.readInt();
    String path = in.readUTF();
    if (root < 0 || root >= header.roots()) {
      throw refused("an entry names tracked root " + root + " (the stream has " + header.roots() + ")", null);
    }
    String bad = checkPath(path, rootAllowed);
    if (bad != null) {
      throw refused("an entry's path '" + path + "' " + bad, null);
    }
    return new Entry(root, path);
  }

  /** Why {@code path} is not a plain relative path, or null if it is. */
  static String checkPath(String path, boolean emptyAllowed) {
    if (path.isEmpty()) {
      return emptyAllowed ? null : "is empty";
    }
    if (path.length() > MAX_PATH) {
      return "is too long";
    }
    if (path.indexOf('\0') >= 0) {
      return "holds a NUL character";
    }
    for (String name : path.split("/", -1)) {
      if (name.isEmpty() || name.equals(".") || name.equals("..")) {
        return "is not a plain relative path (absolute, empty names, '.' or '..')";
      }
    }
    return null;
  }

  private StreamException refused(String why, Throwable cause) {
    return new StreamException(
        "the stream was refused: " + why + "; nothing was changed: export it again with Checkpointer.export", cause);
  }
}
