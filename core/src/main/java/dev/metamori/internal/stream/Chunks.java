package dev.metamori.internal.stream;

import dev.metamori.StreamException;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The framing of an export stream: an 8-byte magic and a format version, then chunks of at most
 * {@value #CHUNK} bytes of content, each compressed with LZ4 (or stored as it is when it does
 * not compress) and checksummed with xxHash64, then an end mark with the length and the xxHash64
 * of the whole content. A reader checks every chunk before handing out its bytes, and the end
 * mark before reporting the end: a damaged, truncated or extended stream is refused.
 *
 * <pre>
 * stream  = "MTMRSTRM" u32 version chunk* end
 * chunk   = u32 rawLength (1..CHUNK) u32 storedLength u8 method (0 stored, 1 LZ4) u64 xxHash64(raw) stored bytes
 * end     = u32 0 u64 contentLength u64 xxHash64(content)
 * </pre>
 */
final class Chunks {
  static final byte[] MAGIC = "MTMRSTRM".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int CHUNK = 1 << 20;
  private static final long SEED = 0x4d544d52L;
  private static final XXHashFactory HASHES = XXHashFactory.fastestInstance();
  private static final XXHash64 HASH = HASHES.hash64();
  private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();
  private static final LZ4SafeDecompressor UNLZ4 = LZ4Factory.fastestInstance().safeDecompressor();

  private Chunks() {}

  /** Writes the framing around the content written to it; {@link #close()} writes the end mark. */
  static final class Out extends OutputStream {
    private final OutputStream out;
    private final byte[] raw = new byte[CHUNK];
    private final byte[] packed = new byte[LZ4.maxCompressedLength(CHUNK)];
    private final StreamingXXHash64 whole = HASHES.newStreamingHash64(SEED);
    private final ByteBuffer head = ByteBuffer.allocate(17);
    private int filled;
    private long length;
    private boolean closed;

    Out(OutputStream out) throws IOException {
      this.out = out;
      out.write(MAGIC);
      out.write(ByteBuffer.allocate(4).putInt(VERSION).array());
    }

    @Override
    public void write(int b) throws IOException {
      if (filled == CHUNK) {
        flushChunk();
      }
      raw[filled++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (filled == CHUNK) {
          flushChunk();
        }
        int n = Math.min(len, CHUNK - filled);
        System.arraycopy(b, off, raw, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    private void flushChunk() throws IOException {
      if (filled == 0) {
        return;
      }
      int stored = LZ4.compress(raw, 0, filled, packed, 0, packed.length);
      boolean compressed = stored < filled;
      head.clear();
      head.putInt(filled).putInt(compressed ? stored : filled).put((byte) (compressed ? 1 : 0));
      head.putLong(HASH.hash(raw, 0, filled, SEED));
      out.write(head.array());
      out.write(compressed ? packed : raw, 0, compressed ? stored : filled);
      whole.update(raw, 0, filled);
      length += filled;
      filled = 0;
    }

    /** Writes the last chunk and the end mark, and flushes; does not close the stream below. */
    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      flushChunk();
      out.write(ByteBuffer.allocate(20).putInt(0).putLong(length).putLong(whole.getValue()).array());
      out.flush();
    }
  }

  /**
   * Reads the content of a stream, chunk by chunk, each checked before its bytes are read; the
   * end of the content is reported only once the end mark is read and matches.
   */
  static final class In extends InputStream {
    private final DataInputStream in;
    private final byte[] raw = new byte[CHUNK];
    private final byte[] packed = new byte[LZ4.maxCompressedLength(CHUNK)];
    private final StreamingXXHash64 whole = HASHES.newStreamingHash64(SEED);
    private int position;
    private int limit;
    private long length;
    /** Bytes of the stream read so far, framing included. */
    private long consumed;
    private boolean ended;

    In(InputStream in) throws IOException {
      this.in = new DataInputStream(in);
      byte[] magic = this.in.readNBytes(MAGIC.length);
      consumed = magic.length;
      boolean prefix = Arrays.equals(magic, Arrays.copyOf(MAGIC, magic.length));
      if (prefix && magic.length < MAGIC.length) {
        throw new StreamException(
            "the stream ends in its first bytes after " + magic.length + " bytes: it was cut short;"
                + " nothing was changed: export it again and send it whole");
      }
      if (!prefix) {
        throw new StreamException(
            "this is not a Metamori export stream (it does not start with " + new String(MAGIC, StandardCharsets.US_ASCII)
                + "): give a stream written by Checkpointer.export or 'metamori export'");
      }
      int version = readInt("its format version");
      if (version != VERSION) {
        throw new StreamException(
            "the stream has format version " + version + ", this Metamori reads version " + VERSION
                + ": receive it with the Metamori version that wrote it, or export it again with this one");
      }
    }

    /** Bytes of the stream read so far, framing included. */
    long consumed() {
      return consumed;
    }

    @Override
    public int read() throws IOException {
      if (!fill()) {
        return -1;
      }
      return raw[position++] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      if (!fill()) {
        return -1;
      }
      int n = Math.min(len, limit - position);
      System.arraycopy(raw, position, b, off, n);
      position += n;
      return n;
    }

    /** Makes bytes available; false at the (checked) end of the content. */
    private boolean fill() throws IOException {
      while (position == limit) {
        if (ended) {
          return false;
        }
        readChunk();
      }
      return true;
    }

    private void readChunk() throws IOException {
      long at = consumed;
      int rawLength = readInt("a chunk header");
      if (rawLength == 0) {
        long total = readLong("the end mark");
        long hash = readLong("the end mark");
        if (total != length || hash != whole.getValue()) {
          throw damaged(at, "the end mark does not match the content before it (chunks are missing or were reordered)");
        }
        ended = true;
        return;
      }
      int stored = readInt("a chunk header");
      byte[] m = new byte[1];
      readFully(m, "a chunk header");
      int method = m[0];
      long expected = readLong("a chunk header");
      if (rawLength < 0 || rawLength > CHUNK || stored <= 0 || stored > packed.length || (method != 0 && method != 1)
          || (method == 0 && stored != rawLength)) {
        throw damaged(at, "a chunk header is invalid");
      }
      readFully(method == 1 ? packed : raw, stored, "a chunk");
      if (method == 1) {
        try {
          int n = UNLZ4.decompress(packed, 0, stored, raw, 0, rawLength);
          if (n != rawLength) {
            throw damaged(at, "a chunk decompresses to " + n + " bytes, not " + rawLength);
          }
        } catch (LZ4Exception e) {
          throw damaged(at, "a chunk does not decompress");
        }
      }
      if (HASH.hash(raw, 0, rawLength, SEED) != expected) {
        throw damaged(at, "a chunk's checksum does not match its bytes");
      }
      whole.update(raw, 0, rawLength);
      length += rawLength;
      position = 0;
      limit = rawLength;
    }

    private StreamException damaged(long at, String what) {
      return new StreamException(
          "the stream is damaged at byte " + at + ": " + what
              + "; nothing was changed: export it again and send it whole");
    }

    private int readInt(String what) throws IOException {
      byte[] b = new byte[4];
      readFully(b, what);
      return ByteBuffer.wrap(b).getInt();
    }

    private long readLong(String what) throws IOException {
      byte[] b = new byte[8];
      readFully(b, what);
      return ByteBuffer.wrap(b).getLong();
    }

    private void readFully(byte[] b, String what) throws IOException {
      readFully(b, b.length, what);
    }

    private void readFully(byte[] b, int n, String what) throws IOException {
      try {
        in.readFully(b, 0, n);
        consumed += n;
      } catch (EOFException e) {
        throw new StreamException(
            "the stream ends in " + what + " after " + consumed + " bytes: it was cut short;"
                + " nothing was changed: export it again and send it whole", e);
      }
    }
  }
}
