package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import java.io.Closeable;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * What the parts of an open journal share: the store's files, its index (replaced by a
 * compacted copy after a prune), the undo progress, the block size and durability, and the
 * current and next epoch ids. The keys of the index's {@code meta} map are named here.
 */
final class JournalStore {
  /**
   * The format this version writes (see docs/format.md): 5, record offsets in runs (4 added the
   * catalogue and checksummed epoch entries, 3 trash checksums to 2).
   */
  static final long FORMAT = 5;
  /** The first format with a catalogue. */
  static final long CATALOGUE_FORMAT = 4;
  /**
   * Whether a store of {@code format} is one from before the catalogue, which is migrated when
   * opened (JournalOpener): format 2 and any later one below {@link #CATALOGUE_FORMAT}.
   */
  static boolean legacy(long format) {
    return format >= 2 && format < CATALOGUE_FORMAT;
  }

  /**
   * Whether a store of {@code format} is read as it is: this version's, or format 4, whose
   * record offsets (one index entry a record) are read where an epoch has no runs. Its format
   * becomes 5 with the next index commit, which may write runs.
   */
  static boolean current(long format) {
    return format == FORMAT || format == CATALOGUE_FORMAT;
  }
  /** The generation of the last catalogue event the index has made (see Catalogue). */
  static final String META_CATALOGUE = "catalogue";
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
  /** The catalogue: written after every index commit that changes what it holds. */
  volatile Catalogue catalogue;
  /** The size of {@code index.mv} when opened or last compacted (see IndexCompaction). */
  volatile long indexCompactedBytes;
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
   * Commits the index changes made so far as the next catalogue event (the index records its
   * generation), then writes the event to the catalogue: Tree records of {@code changed} epochs
   * and {@code deleted} ones if {@code tree}, and a Head of what the index now says. A crash
   * between the two leaves the catalogue one event behind, which the next open rewrites.
   */
  void commitEvent(boolean tree, List<UndoRecord.TreeEntry> changed, long[] deleted) throws IOException {
    // above the index's too: an event whose catalogue write failed is in the index alone
    long generation = Math.max(catalogue.generation(), index.meta(META_CATALOGUE, 0)) + 1;
    index.putMeta(META_CATALOGUE, generation);
    index.commit(forcing());
    if (catalogue.behind() || generation != catalogue.generation() + 1) {
      // the catalogue missed an event (its write failed, for lack of space): a snapshot catches up
      catalogue.rewrite(snapshot(index, generation), head(index, generation));
      return;
    }
    List<UndoRecord.Tree> trees =
        tree ? Catalogue.trees(generation, index.meta(META_ROOT, -1), changed, deleted) : List.of();
    catalogue.append(trees, head(index, generation), forcing());
    if (catalogue.grown()) {
      rewriteCatalogue();
    }
  }

  /** Replaces the catalogue with a snapshot of what the index holds, at the generation reached. */
  void rewriteCatalogue() throws IOException {
    long generation = Math.max(catalogue.generation(), index.meta(META_CATALOGUE, 0));
    catalogue.rewrite(snapshot(index, generation), head(index, generation));
  }

  /** A Head record of what {@code index} says, with generation {@code generation}. */
  static UndoRecord.Head head(EpochIndex index, long generation) throws CorruptStoreException {
    return new UndoRecord.Head(
        generation,
        index.meta(META_CURRENT, 0),
        index.meta(META_NEXT, 1),
        index.meta(META_NEXT_ITEM, 0),
        index.meta(META_ROLLBACK_TARGET, -1),
        index.roots());
  }

  /** Tree records of every epoch {@code index} holds and every epoch it still has to delete. */
  static List<UndoRecord.Tree> snapshot(EpochIndex index, long generation) throws CorruptStoreException {
    List<UndoRecord.TreeEntry> all = new ArrayList<>();
    for (EpochInfo e : index.epochs()) {
      all.add(UndoRecord.TreeEntry.of(e));
    }
    List<String> tombstones = index.metaKeys(META_PRUNED);
    long[] deleted = new long[tombstones.size()];
    for (int i = 0; i < deleted.length; i++) {
      deleted[i] = Long.parseLong(tombstones.get(i).substring(META_PRUNED.length()));
    }
    return Catalogue.trees(generation, index.meta(META_ROOT, -1), all, deleted);
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

  /**
   * Whether {@code path} lies in the trash of a committed epoch that a prune removed or
   * archived, and so deleted the trash of. A file trashed while a channel or mapping was open
   * on it is still written through that name in later epochs; once the epoch that trashed it is
   * pruned nothing ever brings the entry back, so the later epochs' records of it have nothing
   * left to restore.
   */
  boolean trashDropped(java.nio.file.Path path) throws CorruptStoreException {
    java.nio.file.Path trash = files.trash;
    if (!path.startsWith(trash) || path.getNameCount() <= trash.getNameCount()) {
      return false;
    }
    try {
      return trashDropped(Long.parseLong(path.getName(trash.getNameCount()).toString()));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * Whether a prune dropped the trash of {@code epoch}: a committed epoch (below the working
   * one) that the index no longer has, or keeps only as an archive.
   */
  boolean trashDropped(long epoch) throws CorruptStoreException {
    if (epoch >= next) {
      return false;
    }
    EpochInfo e = index().epoch(epoch);
    return e == null || (e.flags() & EpochInfo.ARCHIVE) != 0;
  }

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
    Segment segment = Segment.create(files.segment(id), id, newNonce(), blockSize, flags).keepingLayout();
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
   * On arrival the neutral progress is not forced: the restore is over (a rebuild of a lost
   * index no longer looks for where it got), and if a power loss takes it, the progress names
   * the last segment whose renames, creations or deletions it recorded, whose redo claims the
   * slot before its undo can run again. {@code arrived}: {@code epoch} is the target of the
   * restore, whose recorded intent is cleared in the same index commit, a catalogue event; the
   * undo progress witnesses the epoch durably first (keeping how far the undo or redo got, which
   * a restore resumed before that commit reads), so that the index never names a current epoch
   * the progress has not seen, without a target that explains it (JournalOpener.checkCurrent);
   * and only after the restored files are durable, since a rebuild of a lost index resumes the
   * restore from the witness (IndexRebuilder).
   */
  void moveTo(long epoch, boolean arrived) throws IOException {
    index.putMeta(META_CURRENT, epoch);
    if (arrived) {
      progress.rewitness(epoch);
      if (forcing()) {
        progress.force();
      }
      index.removeMeta(META_ROLLBACK_TARGET);
      commitEvent(false, List.of(), new long[0]);
    } else {
      index.commit(forcing());
    }
    current = epoch;
    progress.head(epoch);
    if (forcing() && !arrived) {
      progress.force();
    }
  }

  /** Closes each of {@code all} that is not null; throws the first failure, the others suppressed. */
  static void closeAll(Closeable... all) throws IOException {
    IOException failure = null;
    for (Closeable c : all) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
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
