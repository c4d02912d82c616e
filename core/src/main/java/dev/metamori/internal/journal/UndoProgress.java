package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * How far the undo of a segment has got, so that an undo interrupted by a crash resumes
 * exactly where it stopped (undo steps that rename files are not idempotent). Two 32-byte
 * slots, written alternately, each {@code generation, nonce, nextSeq, head, checksum}; the valid
 * slot with the higher generation wins. "Records of the segment with {@code nonce} whose
 * sequence number is {@code >= nextSeq} have been undone."
 */
final class UndoProgress implements Closeable {
  private static final int SLOT = 40;

  private final Path file;
  private final FileChannel channel;
  /** The file holds slots but none is valid: how far an undo got cannot be known. */
  private boolean damaged;
  /** A written slot is not valid (torn by a crash, or damaged): the last write may be lost. */
  private boolean lastWriteMayBeLost;
  private long generation;
  private long nonce;
  private long nextSeq = -1;
  /** The current epoch as last recorded here, or -1 if never: checks the index's. */
  private long head = -1;

  UndoProgress(Path file) throws IOException {
    this.file = file;
    channel =
        OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    int written = 0;
    int valid = 0;
    for (int slot = 0; slot < 2; slot++) {
      ByteBuffer b = ByteBuffer.allocate(SLOT);
      channel.read(b, (long) slot * SLOT);
      for (int i = 0; i < b.position(); i++) {
        if (b.get(i) != 0) {
          written++;
          break;
        }
      }
      if (b.position() == SLOT
          && RecordCodec.XXHASH.hash(b.array(), 0, SLOT - 4, RecordCodec.CHECKSUM_SEED)
              == b.getInt(SLOT - 4)) {
        valid++;
        if (b.getLong(0) > generation) {
          generation = b.getLong(0);
          nonce = b.getLong(8);
          nextSeq = b.getLong(16);
          head = b.getLong(24);
        }
      }
    }
    // the first write goes to the second slot: a shorter file lost a write (torn or cut)
    lastWriteMayBeLost = valid < written || (channel.size() > 0 && channel.size() < 2 * SLOT);
    // No valid slot: if only one slot was ever written, that was the first progress write, torn
    // by a crash, after at most one undone step (which redoes safely). Two written slots with
    // no valid one is damage.
    damaged = generation == 0 && written == 2;
  }

  /**
   * Where to resume the undo of the segment with {@code segmentNonce}: undo records with
   * sequence numbers below the returned value. {@code Long.MAX_VALUE} if it was never started.
   */
  long resumeBefore(long segmentNonce) throws CorruptStoreException {
    if (damaged) {
      throw new CorruptStoreException(
          file,
          0,
          -1,
          "both progress slots are damaged, so how far an interrupted undo got cannot be known;"
              + " an undo cannot be resumed safely");
    }
    return nextSeq >= 0 && nonce == segmentNonce ? nextSeq : Long.MAX_VALUE;
  }

  /** Whether the last progress recorded is about the segment with {@code segmentNonce}. */
  boolean names(long segmentNonce) {
    return nextSeq >= 0 && nonce == segmentNonce;
  }

  /** Records that the record {@code seq} of the segment and all after it are undone. */
  void undone(long segmentNonce, long seq) throws IOException {
    write(segmentNonce, seq, head);
  }

  /**
   * Records {@code epoch} as the current epoch (and no undo in progress): a second witness of
   * the index's current epoch, which a damaged index could otherwise silently move.
   */
  void head(long epoch) throws IOException {
    write(0, Long.MAX_VALUE, epoch);
  }

  /** Records {@code epoch} as the current epoch, keeping the undo progress as it is. */
  void rewitness(long epoch) throws IOException {
    write(nonce, nextSeq, epoch);
  }

  /** The current epoch last recorded by {@link #head}, or -1 if unknown. */
  long head() {
    return damaged ? -1 : head;
  }

  /**
   * Whether a slot that was written is not valid, so that {@link #head()} may be one write
   * behind (a torn last write, or damage to the file).
   */
  boolean headMayBeStale() {
    return lastWriteMayBeLost;
  }

  Path file() {
    return file;
  }

  private void write(long segmentNonce, long seq, long headEpoch) throws IOException {
    generation++;
    ByteBuffer b = ByteBuffer.allocate(SLOT);
    b.putLong(generation).putLong(segmentNonce).putLong(seq).putLong(headEpoch).putInt(0);
    b.putInt(RecordCodec.XXHASH.hash(b.array(), 0, SLOT - 4, RecordCodec.CHECKSUM_SEED));
    b.flip();
    try {
      Segment.writeFully(channel, b, (generation & 1) * SLOT);
    } catch (IOException e) {
      // the slot may be torn: the next write goes to the same one, the other stays valid
      generation--;
      throw e;
    }
    nonce = segmentNonce;
    nextSeq = seq;
    head = headEpoch;
  }

  /** How many steps of the redo with {@code redoNonce} are done (0 if it was never started). */
  long redone(long redoNonce) throws CorruptStoreException {
    long before = resumeBefore(redoNonce);
    return before == Long.MAX_VALUE ? 0 : before;
  }

  /** Records that the first {@code steps} steps of the redo with {@code redoNonce} are done. */
  void redone(long redoNonce, long steps) throws IOException {
    undone(redoNonce, steps);
  }

  /** Called when no undo is left to resume: damaged slots no longer matter. */
  void settled() {
    damaged = false;
  }

  void force() throws IOException {
    IoFaults.force(channel, false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
