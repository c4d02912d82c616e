package dev.metamori.internal.journal;

import dev.metamori.internal.journal.UndoRecord.Block;
import dev.metamori.internal.journal.UndoRecord.Chunk;
import dev.metamori.internal.journal.UndoRecord.Manifest;
import dev.metamori.internal.journal.UndoRecord.Name;
import dev.metamori.internal.journal.UndoRecord.Page;
import dev.metamori.internal.journal.UndoRecord.Commit;
import dev.metamori.internal.journal.UndoRecord.Created;
import dev.metamori.internal.journal.UndoRecord.Kind;
import dev.metamori.internal.journal.UndoRecord.Moved;
import dev.metamori.internal.journal.UndoRecord.Touch;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Frames records for a segment file and reads them back. A frame is
 *
 * <pre>
 *   int   length      whole frame, header and checksum included
 *   byte  type        UndoRecord type tag
 *   byte  flags       bit 0: block payload is LZ4-compressed
 *   short reserved    0
 *   long  seq         position of the record in its epoch, from 0
 *   ...   body        type-specific, see docs/format.md
 *   int   checksum    of every byte before it: the segment's {@link FrameChecksum}
 * </pre>
 */
final class RecordCodec {
  static final int HEADER = 16;
  static final int TRAILER = 4;
  static final int MAX_FRAME = 4 << 20;
  static final int CHECKSUM_SEED = 0x4d544d52; // "MTMR"
  static final byte COMPRESSED = 1;

  private static final LZ4Compressor COMPRESSOR = LZ4Factory.fastestInstance().fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR =
      LZ4Factory.fastestInstance().safeDecompressor();
  static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();

  private RecordCodec() {}

  /**
   * Whether LZ4 is tried on the next payload of a file: as for {@link BlockFrames}, after {@value
   * BlockFrames#GIVE_UP} payloads in a row that did not compress, only one in {@value
   * BlockFrames#RETRY} is tried until one compresses again (a redo file of incompressible blocks
   * spends no time on LZ4). A payload not tried is stored raw, like one that did not compress.
   */
  static final class Tries {
    private int notCompressed;

    private boolean next() {
      return notCompressed < BlockFrames.GIVE_UP || notCompressed % BlockFrames.RETRY == 0;
    }

    private void compressed(boolean yes) {
      notCompressed = yes ? 0 : notCompressed + 1;
    }
  }

  /**
   * Encodes {@code record} as a complete frame checked with {@code checksum}, positioned at 0 and
   * limited to its length, trying LZ4 on its payload as {@code tries} says (null: always). The
   * frame is made at the end of {@code into} when not null (and returned as a view of it): the
   * frames of a batch in one array, without an array per frame and a copy of each into the batch.
   */
  static ByteBuffer encode(UndoRecord record, long seq, Tries tries, Batch into, FrameChecksum checksum) {
    byte flags = 0;
    ByteBuffer frame;
    if (record instanceof Touch t) {
      byte[] path = utf8(t.path());
      byte[] owner = utf8(t.owner());
      byte[] group = utf8(t.group());
      frame = allocate(into, 8 + str(path) + 1 + 8 + 8 + 4 + str(owner) + str(group));
      frame.putLong(t.fileId());
      putString(frame, path);
      frame.put((byte) t.kind().ordinal());
      frame.putLong(t.size()).putLong(t.modifiedNanos()).putInt(t.permissions());
      putString(frame, owner);
      putString(frame, group);
    } else if (record instanceof Block b) {
      byte[] path = utf8(b.path());
      byte[] data = b.data();
      frame = allocate(into, 8 + str(path) + 8 + 4 + COMPRESSOR.maxCompressedLength(data.length));
      frame.putLong(b.fileId());
      putString(frame, path);
      frame.putLong(b.block());
      flags = putData(frame, data, tries);
    } else if (record instanceof Page p) {
      frame = allocate(into, 8 + 8 + 4 + COMPRESSOR.maxCompressedLength(p.data().length));
      frame.putLong(p.item()).putLong(p.page());
      flags = putData(frame, p.data(), tries);
    } else if (record instanceof Chunk c) {
      frame = allocate(into, 4 + COMPRESSOR.maxCompressedLength(c.data().length));
      flags = putData(frame, c.data(), tries);
    } else if (record instanceof Manifest m) {
      frame = allocate(into, 8 + 4 + 4 + 8 + 4 + m.entries().length);
      frame.putLong(m.item()).putInt(m.part()).putInt(m.parts()).putLong(m.length());
      frame.putInt(m.entries().length).put(m.entries());
    } else if (record instanceof Name n) {
      byte[] name = utf8(n.name());
      frame = allocate(into, str(name) + 8 + 8 + 4);
      putString(frame, name);
      frame.putLong(n.item()).putLong(n.size()).putInt(n.pageSize());
    } else if (record instanceof UndoRecord.Redo r) {
      byte[] path = utf8(r.path());
      frame = allocate(into, 8 + str(path) + 8 + 8 + 4 + COMPRESSOR.maxCompressedLength(r.data().length));
      frame.putLong(r.step());
      putString(frame, path);
      frame.putLong(r.offset()).putLong(r.size());
      flags = putData(frame, r.data(), tries);
    } else if (record instanceof UndoRecord.RedoAttributes a) {
      byte[] key = utf8(a.key());
      byte[] path = utf8(a.path());
      byte[] owner = utf8(a.owner());
      byte[] group = utf8(a.group());
      frame = allocate(into, 8 + str(key) + str(path) + 8 + 4 + str(owner) + str(group));
      frame.putLong(a.step());
      putString(frame, key);
      putString(frame, path);
      frame.putLong(a.modifiedNanos()).putInt(a.permissions());
      putString(frame, owner);
      putString(frame, group);
    } else if (record instanceof UndoRecord.RedoRemoveDirectory d) {
      byte[] path = utf8(d.path());
      frame = allocate(into, 8 + str(path));
      frame.putLong(d.step());
      putString(frame, path);
    } else if (record instanceof UndoRecord.RedoMark m) {
      frame = allocate(into, 8);
      frame.putLong(m.step());
    } else if (record instanceof UndoRecord.Compacted) {
      frame = allocate(into, 0);
    } else if (record instanceof UndoRecord.RedoSkip k) {
      frame = allocate(into, 8);
      frame.putLong(k.step());
    } else if (record instanceof UndoRecord.Label l) {
      byte[] label = utf8(l.label());
      frame = allocate(into, str(label));
      putString(frame, label);
    } else if (record instanceof UndoRecord.Head h) {
      frame = copy(CatalogueCodec.encodeHead(h), into);
    } else if (record instanceof UndoRecord.Tree t) {
      frame = copy(CatalogueCodec.encodeTree(t), into);
    } else if (record instanceof UndoRecord.TrashDigest d) {
      byte[] name = utf8(d.trashName());
      byte[] path = utf8(d.path());
      frame = allocate(into, str(name) + str(path) + 1 + 8 + 8 + 8);
      putString(frame, name);
      putString(frame, path);
      frame.put(d.state()).putLong(d.bytes()).putLong(d.entries()).putLong(d.digest());
    } else if (record instanceof Created c) {
      byte[] path = utf8(c.path());
      frame = allocate(into, str(path));
      putString(frame, path);
    } else if (record instanceof Trashed t) {
      byte[] path = utf8(t.path());
      byte[] trash = utf8(t.trashName());
      frame = allocate(into, str(path) + str(trash));
      putString(frame, path);
      putString(frame, trash);
    } else if (record instanceof Moved m) {
      byte[] from = utf8(m.from());
      byte[] to = utf8(m.to());
      frame = allocate(into, str(from) + str(to));
      putString(frame, from);
      putString(frame, to);
    } else {
      Commit c = (Commit) record;
      frame = allocate(into, 16);
      frame.putLong(c.parent()).putLong(c.committedAtMillis());
    }
    int length = frame.position() + TRAILER;
    frame.putInt(0, length).put(4, record.type()).put(5, flags).putShort(6, (short) 0);
    frame.putLong(8, seq);
    frame.putInt(length - TRAILER, checksum.of(frame.array(), frame.arrayOffset(), length - TRAILER));
    frame.position(0).limit(length);
    if (into != null) {
      into.length += length;
    }
    return frame;
  }

  /** Frames encoded one after the other into one array that grows as needed. */
  static final class Batch {
    private byte[] bytes;
    private int length;

    /** A batch with room for {@code capacity} bytes of frames before it grows. */
    Batch(int capacity) {
      bytes = new byte[capacity];
    }

    /** Room for a frame of at most {@code size} bytes at the end, positioned after its header. */
    private ByteBuffer take(int size) {
      if (bytes.length - length < size) {
        bytes = java.util.Arrays.copyOf(bytes, Math.max(length + size, 2 * bytes.length));
      }
      ByteBuffer frame = ByteBuffer.wrap(bytes, length, size).slice();
      frame.position(HEADER);
      return frame;
    }

    /** The frames encoded so far. */
    ByteBuffer frames() {
      return ByteBuffer.wrap(bytes, 0, length);
    }
  }

  private static ByteBuffer allocate(Batch into, int body) {
    return into == null ? allocate(body) : into.take(HEADER + body + TRAILER);
  }

  /** {@code made}, a frame filled up to its position, in {@code into} when not null. */
  private static ByteBuffer copy(ByteBuffer made, Batch into) {
    if (into == null) {
      return made;
    }
    ByteBuffer frame = into.take(made.capacity());
    frame.put(0, made, 0, made.position()).position(made.position());
    return frame;
  }

  /**
   * Bytes the payload of {@code record} (block, page or chunk contents) takes in its frame of
   * {@code frameLength} bytes, compressed or not; 0 for a record without a payload.
   */
  static int storedPayloadBytes(UndoRecord record, int frameLength) {
    int before; // body bytes before the payload, its original length included
    if (record instanceof Block b) {
      before = 8 + str(utf8(b.path())) + 8 + 4;
    } else if (record instanceof Page) {
      before = 8 + 8 + 4;
    } else if (record instanceof Chunk) {
      before = 4;
    } else {
      return 0;
    }
    return frameLength - HEADER - TRAILER - before;
  }

  /**
   * Puts the length of {@code data}, then {@code data} LZ4-compressed where that is shorter (if
   * {@code tries}, when not null, says to try).
   */
  private static byte putData(ByteBuffer frame, byte[] data, Tries tries) {
    frame.putInt(data.length);
    int at = frame.position();
    if (tries == null || tries.next()) {
      int compressed =
          COMPRESSOR.compress(
              data, 0, data.length, frame.array(), frame.arrayOffset() + at, frame.remaining() - TRAILER);
      if (tries != null) {
        tries.compressed(compressed < data.length);
      }
      if (compressed < data.length) {
        frame.position(at + compressed);
        return COMPRESSED;
      }
    } else {
      tries.compressed(false);
    }
    frame.put(data);
    return 0;
  }

  private static byte[] getData(ByteBuffer in, byte flags) {
    int size = in.getInt();
    if (size < 0 || size > MAX_FRAME) {
      throw new IllegalArgumentException("data size " + size);
    }
    byte[] data = new byte[size];
    if ((flags & COMPRESSED) != 0) {
      int n = DECOMPRESSOR.decompress(in.array(), in.arrayOffset() + in.position(), in.remaining(), data, 0, size);
      if (n != size) {
        throw new IllegalArgumentException("data decompressed to " + n + " of " + size);
      }
      in.position(in.limit());
    } else {
      in.get(data);
    }
    return data;
  }

  /** Whether the frame in {@code frame[0, length)} carries a correct {@code checksum}. */
  static boolean checksumOk(byte[] frame, int length, FrameChecksum checksum) {
    return checksumOk(frame, 0, length, checksum);
  }

  /** Whether the frame in {@code bytes[at, at + length)} carries a correct {@code checksum}. */
  static boolean checksumOk(byte[] bytes, int at, int length, FrameChecksum checksum) {
    int expected = ByteBuffer.wrap(bytes).getInt(at + length - TRAILER);
    return checksum.of(bytes, at, length - TRAILER) == expected;
  }

  /**
   * Decodes the frame in {@code bytes[at, at + length)}, whose checksum has been verified.
   *
   * @throws IllegalArgumentException if the body does not match its type
   */
  static UndoRecord decode(byte[] bytes, int at, int length) {
    ByteBuffer in = ByteBuffer.wrap(bytes, at, length - TRAILER).slice();
    byte type = in.get(4);
    byte flags = in.get(5);
    in.position(HEADER);
    UndoRecord record =
        type >= UndoRecord.LABEL && type <= UndoRecord.TREE
            ? CatalogueCodec.decode(type, in) // the catalogue's records (and the label)
            : decodeOther(type, flags, in);
    if (in.hasRemaining()) {
      throw new IllegalArgumentException(in.remaining() + " stray bytes after the record");
    }
    return record;
  }

  private static UndoRecord decodeOther(byte type, byte flags, ByteBuffer in) {
    return
        switch (type) {
          case UndoRecord.TOUCH -> {
            long fileId = in.getLong();
            String path = getString(in);
            int kind = in.get();
            if (kind < 0 || kind >= Kind.values().length) {
              throw new IllegalArgumentException("unknown file kind " + kind);
            }
            yield new Touch(
                fileId,
                path,
                Kind.values()[kind],
                in.getLong(),
                in.getLong(),
                in.getInt(),
                getString(in),
                getString(in));
          }
          case UndoRecord.BLOCK -> {
            long fileId = in.getLong();
            String path = getString(in);
            long block = in.getLong();
            yield new Block(fileId, path, block, getData(in, flags));
          }
          case UndoRecord.PAGE -> {
            long item = in.getLong();
            long page = in.getLong();
            yield new Page(item, page, getData(in, flags));
          }
          case UndoRecord.CHUNK -> new Chunk(getData(in, flags));
          case UndoRecord.MANIFEST -> {
            long item = in.getLong();
            int part = in.getInt();
            int parts = in.getInt();
            long total = in.getLong();
            int n = in.getInt();
            if (n < 0 || n > in.remaining() || n % Manifest.ENTRY != 0) {
              throw new IllegalArgumentException("manifest entries of " + n + " bytes");
            }
            byte[] entries = new byte[n];
            in.get(entries);
            yield new Manifest(item, part, parts, total, entries);
          }
          case UndoRecord.NAME -> new Name(getString(in), in.getLong(), in.getLong(), in.getInt());
          case UndoRecord.CREATED -> new Created(getString(in));
          case UndoRecord.TRASHED -> new Trashed(getString(in), getString(in));
          case UndoRecord.MOVED -> new Moved(getString(in), getString(in));
          case UndoRecord.COMMIT -> new Commit(in.getLong(), in.getLong());
          case UndoRecord.REDO -> {
            long step = in.getLong();
            String path = getString(in);
            long offset = in.getLong();
            long size = in.getLong();
            yield new UndoRecord.Redo(step, path, offset, size, getData(in, flags));
          }
          case UndoRecord.REDO_ATTRIBUTES -> new UndoRecord.RedoAttributes(
              in.getLong(), getString(in), getString(in), in.getLong(), in.getInt(), getString(in), getString(in));
          case UndoRecord.REDO_MARK -> new UndoRecord.RedoMark(in.getLong());
          case UndoRecord.REDO_SKIP -> new UndoRecord.RedoSkip(in.getLong());
          case UndoRecord.COMPACTED -> new UndoRecord.Compacted();
          case UndoRecord.TRASH_DIGEST -> new UndoRecord.TrashDigest(
              getString(in), getString(in), in.get(), in.getLong(), in.getLong(), in.getLong());
          case UndoRecord.REDO_REMOVE_DIRECTORY -> new UndoRecord.RedoRemoveDirectory(in.getLong(), getString(in));
          default -> throw new IllegalArgumentException("unknown record type " + type);
        };
  }

  static ByteBuffer allocate(int body) {
    ByteBuffer frame = ByteBuffer.allocate(HEADER + body + TRAILER);
    frame.position(HEADER);
    return frame;
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static int str(byte[] s) {
    return 4 + (s == null ? 0 : s.length);
  }

  static void putString(ByteBuffer out, byte[] s) {
    if (s == null) {
      out.putInt(-1);
    } else {
      out.putInt(s.length).put(s);
    }
  }

  static String getString(ByteBuffer in) {
    int n = in.getInt();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > in.remaining()) {
      throw new IllegalArgumentException("string length " + n);
    }
    String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
    in.position(in.position() + n);
    return s;
  }
}
