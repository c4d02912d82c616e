package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import java.io.Closeable;
import java.io.IOException;
import java.security.SecureRandom;

/**
 * What the parts of an open journal share: the store's files, its index (replaced by a
 * compacted copy after a prune), the undo progress, the block size and durability, and the
 * current and next epoch ids. The keys of the index's {@code meta} map are named here.
 */
final class JournalStore {
  /** The format this version writes; see docs/format.md. */
  static final long FORMAT = 3;
  /** The format before trash checksums: read, and upgraded to {@link #FORMAT} on open. */
  static final long FORMAT_WITHOUT_TRASH_DIGESTS = 2;
  static final String META_FORMAT = "format";
  static final String META_BLOCK_SIZE = "blockSize";
  static final String META_CURRENT = "current";
  static final String META_NEXT = "next";
  static final String META_ROLLBACK_TARGET = "rollbackTarget";
  static final String META_NEXT_ITEM = "nextItem";
  /** The root of the tree: epoch 0 until a prune removes it. */
  static final String META_ROOT = "root";
  /** Prefix of the keys naming epochs whose files a prune still has to delete. */
  static final String META_PRUNED = "pruned/";

  final StoreFiles files;
  final UndoProgress progress;
  final int blockSize;
  final Durability durability;
  private final SecureRandom random = new SecureRandom();
  private volatile EpochIndex index;
  /** The epoch the trees were last committed or restored to. */
  volatile long current;
  /** The id the working epoch gets when committed. */
  volatile long next;

  JournalStore(StoreFiles files, EpochIndex index, UndoProgress progress, int blockSize, Durability durability)
      throws CorruptStoreException {
    this.files = files;
    this.index = index;
    this.progress = progress;
    this.blockSize = blockSize;
    this.durability = durability;
    this.current = index.meta(META_CURRENT, 0);
    this.next = index.meta(META_NEXT, 1);
  }

  EpochIndex index() {
    return index;
  }

  /** Puts a compacted copy in place of the index (closed by the caller). */
  void replaceIndex(EpochIndex compacted) {
    index = compacted;
  }

  /**
   * Drops what the index holds in memory and reads it again from its file, as of its last
   * commit: after a commit of it failed (MVStore then closes itself), and after any operation
   * that stopped part way, whose uncommitted changes must not be committed by a later one.
   */
  void reopenIndex() throws IOException {
    try {
      index.close();
    } catch (IOException | RuntimeException alreadyClosed) {
      // a failed MVStore has closed its file itself; either way nothing of it is used again
    }
    index = new MvStoreIndex(files.index());
  }

  /** Whether commits, restores and recovery force what they write. */
  boolean forcing() {
    return durability != Durability.NONE;
  }

  /** Whether every record and step is forced as it is written. */
  boolean system() {
    return durability == Durability.SYSTEM;
  }

  /** Damage found in the index: the exception names {@code index.mv}. */
  CorruptStoreException indexDamage(long epoch, String detail) {
    return new CorruptStoreException(files.index(), -1, epoch, detail);
  }

  /** A random segment nonce: never 0, which marks "no segment" and neutral undo progress. */
  long newNonce() {
    long nonce;
    do {
      nonce = random.nextLong();
    } while (nonce == 0);
    return nonce;
  }

  /** Creates the segment of epoch {@code id}, forced with its directory entry under SYSTEM durability. */
  Segment createSegment(long id, int flags) throws IOException {
    Segment segment = Segment.create(files.segment(id), id, newNonce(), blockSize, flags);
    if (system()) {
      try {
        segment.force();
        StoreFiles.forceDirectory(files.segments);
      } catch (IOException | RuntimeException e) {
        // no record was appended: the next append creates it again
        closeQuietly(segment, e);
        try {
          java.nio.file.Files.deleteIfExists(segment.file);
        } catch (IOException suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
    }
    return segment;
  }

  /**
   * Makes {@code epoch} the current one durably, and then the undo progress neutral: a progress
   * left naming the segment just undone would make its next undo (after a redo) skip records.
   */
  void moveTo(long epoch) throws IOException {
    index.putMeta(META_CURRENT, epoch);
    index.commit(forcing());
    current = epoch;
    progress.head(epoch);
    if (forcing()) {
      progress.force();
    }
  }

  static void closeQuietly(Closeable c, Throwable primary) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        primary.addSuppressed(e);
      }
    }
  }
}
