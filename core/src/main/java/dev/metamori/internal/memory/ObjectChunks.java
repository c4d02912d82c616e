package dev.metamori.internal.memory;

import dev.metamori.Checkpointable;
import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.StateReader;
import dev.metamori.internal.journal.StateVersions;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Saving and restoring registered objects as content-defined chunks. An object's saved bytes
 * are cut by {@link Chunker}; each chunk is named by its SHA-256, and a chunk whose hash the
 * object's previous manifest (or the same save) already lists is not stored again. A manifest
 * lists the chunks in order, each with the epoch and sequence number of the record holding it.
 */
final class ObjectChunks {
  /** Entries per manifest record, keeping records well under the frame limit. */
  static final int ENTRIES_PER_PART = 50_000;

  private ObjectChunks() {}

  /** The chunks of one saved state, in order. */
  static final class Manifest {
    final long length;
    final byte[] hashes;
    final long[] epochs;
    final long[] seqs;
    final int[] lengths;
    private Map<ByteBuffer, Integer> byHash;

    Manifest(long length, byte[] hashes, long[] epochs, long[] seqs, int[] lengths) {
      this.length = length;
      this.hashes = hashes;
      this.epochs = epochs;
      this.seqs = seqs;
      this.lengths = lengths;
    }

    int count() {
      return lengths.length;
    }

    ByteBuffer hash(int i) {
      return ByteBuffer.wrap(hashes, 32 * i, 32).slice();
    }

    /** Index of the chunk with {@code hash}, or -1. */
    int find(ByteBuffer hash) {
      if (byHash == null) {
        byHash = new HashMap<>();
        for (int i = 0; i < count(); i++) {
          byHash.putIfAbsent(hash(i), i);
        }
      }
      return byHash.getOrDefault(hash, -1);
    }
  }

  /** Where a chunk of a saved state is: record {@code seq} of {@code epoch}, {@code length} bytes. */
  private record ChunkAt(long epoch, long seq, int length) {}

  /**
   * An object's state saved at the instant of a commit: its bytes, held in memory until the
   * commit thread chunks, dedupes and writes them, so that the pause costs only the
   * serialisation.
   */
  static final class Capture extends java.io.OutputStream {
    private static final int BLOCK = 1 << 20;
    private final Manifest known;
    private final List<byte[]> blocks = new ArrayList<>();
    private int filled = BLOCK;
    private long length;

    private Capture(Manifest known) {
      this.known = known;
    }

    @Override
    public void write(int b) {
      if (filled == BLOCK) {
        blocks.add(new byte[BLOCK]);
        filled = 0;
      }
      blocks.get(blocks.size() - 1)[filled++] = (byte) b;
      length++;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      java.util.Objects.checkFromIndexSize(off, len, b.length);
      while (len > 0) {
        if (filled == BLOCK) {
          blocks.add(new byte[BLOCK]);
          filled = 0;
        }
        int n = Math.min(len, BLOCK - filled);
        System.arraycopy(b, off, blocks.get(blocks.size() - 1), filled, n);
        filled += n;
        off += n;
        len -= n;
        length += n;
      }
    }

    /**
     * Cuts the saved bytes into chunks, appends those that neither the previous manifest nor
     * this one lists yet, then the manifest; returns the manifest, which the next capture
     * dedupes against.
     */
    Manifest write(Journal.StateSink sink, long item, long epoch) throws IOException {
      MessageDigest sha = sha256();
      java.io.ByteArrayOutputStream hashes = new java.io.ByteArrayOutputStream();
      List<ChunkAt> entries = new ArrayList<>();
      Map<ByteBuffer, ChunkAt> written = new HashMap<>();
      try (ChunkingOutputStream out =
          new ChunkingOutputStream(
              Chunker.DEFAULT,
              chunk -> {
                int len = chunk.remaining();
                sha.update(chunk.duplicate());
                byte[] hash = sha.digest();
                hashes.write(hash);
                ByteBuffer key = ByteBuffer.wrap(hash);
                int k = known == null ? -1 : known.find(key);
                ChunkAt at = k >= 0 ? new ChunkAt(known.epochs[k], known.seqs[k], len) : written.get(key);
                if (at == null) {
                  byte[] copy = new byte[len];
                  chunk.duplicate().get(copy);
                  at = new ChunkAt(epoch, sink.append(new UndoRecord.Chunk(copy)), len);
                  written.put(key, at);
                }
                entries.add(at);
              })) {
        // the blocks stay until the commit is done: a commit that failed for lack of space
        // writes them again when it is retried
        for (int i = 0; i < blocks.size(); i++) {
          out.write(blocks.get(i), 0, i == blocks.size() - 1 ? filled : BLOCK);
        }
      }
      int n = entries.size();
      byte[] allHashes = hashes.toByteArray();
      long[] epochs = new long[n];
      long[] seqs = new long[n];
      int[] lengths = new int[n];
      for (int i = 0; i < n; i++) {
        epochs[i] = entries.get(i).epoch();
        seqs[i] = entries.get(i).seq();
        lengths[i] = entries.get(i).length();
      }
      int parts = Math.max(1, (n + ENTRIES_PER_PART - 1) / ENTRIES_PER_PART);
      for (int part = 0; part < parts; part++) {
        int from = part * ENTRIES_PER_PART;
        int to = Math.min(n, from + ENTRIES_PER_PART);
        ByteBuffer buffer = ByteBuffer.allocate((to - from) * UndoRecord.Manifest.ENTRY);
        for (int i = from; i < to; i++) {
          buffer.put(allHashes, 32 * i, 32).putLong(epochs[i]).putLong(seqs[i]).putInt(lengths[i]);
        }
        sink.append(new UndoRecord.Manifest(item, part, parts, length, buffer.array()));
      }
      return new Manifest(length, allHashes, epochs, seqs, lengths);
    }
  }

  /** Saves {@code object} now, into memory; {@link Capture#write} does the rest later. */
  static Capture capture(Checkpointable object, Manifest known) throws IOException {
    Capture capture = new Capture(known);
    object.save(capture);
    return capture;
  }

  /** The newest manifest of {@code item} at an epoch up to {@code epoch}, or null. */
  static Manifest readManifest(StateReader reader, long item, long epoch) throws IOException {
    StateVersions versions = reader.versionsAt(item, epoch);
    int first = versions.indexOf(0);
    if (first < 0) {
      return null;
    }
    long at = versions.epoch(first);
    UndoRecord.Manifest head = manifestPart(reader, item, 0, at, versions.seq(first));
    int parts = head.parts();
    List<UndoRecord.Manifest> all = new ArrayList<>(List.of(head));
    for (int part = 1; part < parts; part++) {
      int v = versions.indexOf(part);
      if (v < 0 || versions.epoch(v) != at) {
        throw new CorruptStoreException(
            reader.indexFile(), -1, at, "part " + part + " of the manifest of item " + item + " is missing");
      }
      all.add(manifestPart(reader, item, part, at, versions.seq(v)));
    }
    int n = 0;
    for (UndoRecord.Manifest m : all) {
      n += m.entries().length / UndoRecord.Manifest.ENTRY;
    }
    byte[] hashes = new byte[32 * n];
    long[] epochs = new long[n];
    long[] seqs = new long[n];
    int[] lengths = new int[n];
    long total = 0;
    int i = 0;
    for (UndoRecord.Manifest m : all) {
      ByteBuffer in = ByteBuffer.wrap(m.entries());
      while (in.hasRemaining()) {
        in.get(hashes, 32 * i, 32);
        epochs[i] = in.getLong();
        seqs[i] = in.getLong();
        lengths[i] = in.getInt();
        total += lengths[i];
        i++;
      }
    }
    if (total != head.length()) {
      throw new CorruptStoreException(
          reader.indexFile(), -1, at, "the manifest of item " + item + " adds up to " + total
              + " bytes, not " + head.length());
    }
    return new Manifest(total, hashes, epochs, seqs, lengths);
  }

  private static UndoRecord.Manifest manifestPart(
      StateReader reader, long item, int part, long epoch, long seq) throws IOException {
    UndoRecord r = reader.read(epoch, seq);
    if (!(r instanceof UndoRecord.Manifest)
        || ((UndoRecord.Manifest) r).item() != item
        || ((UndoRecord.Manifest) r).part() != part) {
      throw new CorruptStoreException(
          reader.indexFile(), -1, epoch, "record " + seq + " is not part " + part + " of the manifest of item " + item);
    }
    return (UndoRecord.Manifest) r;
  }

  /** The bytes of chunk {@code i}, checked against its hash. */
  private static byte[] chunk(StateReader reader, Manifest m, int i, MessageDigest sha)
      throws IOException {
    UndoRecord r = reader.read(m.epochs[i], m.seqs[i]);
    if (!(r instanceof UndoRecord.Chunk)) {
      throw new CorruptStoreException(
          reader.indexFile(), -1, m.epochs[i], "record " + m.seqs[i] + " is not a chunk");
    }
    byte[] data = ((UndoRecord.Chunk) r).data();
    byte[] hash = sha.digest(data);
    if (data.length != m.lengths[i] || !m.hash(i).equals(ByteBuffer.wrap(hash))) {
      throw new CorruptStoreException(
          reader.indexFile(), -1, m.epochs[i], "chunk record " + m.seqs[i] + " does not match its manifest");
    }
    return data;
  }

  /** Reads every chunk of {@code m}, failing on the first damaged one. */
  static void check(StateReader reader, Manifest m) throws IOException {
    MessageDigest sha = sha256();
    for (int i = 0; i < m.count(); i++) {
      chunk(reader, m, i, sha);
    }
  }

  /** Calls {@code object.restore} with the bytes {@code m} lists, read one chunk at a time. */
  static void restore(StateReader reader, Manifest m, Checkpointable object) throws IOException {
    MessageDigest sha = sha256();
    InputStream in =
        new InputStream() {
          private int next;
          private byte[] current = new byte[0];
          private int pos;

          private boolean fill() throws IOException {
            while (pos == current.length) {
              if (next == m.count()) {
                return false;
              }
              current = chunk(reader, m, next++, sha);
              pos = 0;
            }
            return true;
          }

          @Override
          public int read() throws IOException {
            return fill() ? current[pos++] & 0xff : -1;
          }

          @Override
          public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
              return 0;
            }
            if (!fill()) {
              return -1;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
          }
        };
    object.restore(in);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
