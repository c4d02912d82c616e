package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.CATALOGUE_FORMAT;
import static dev.metamori.internal.journal.JournalStore.FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_CATALOGUE;
import static dev.metamori.internal.journal.JournalStore.META_BLOCK_SIZE;
import static dev.metamori.internal.journal.JournalStore.META_CURRENT;
import static dev.metamori.internal.journal.JournalStore.META_FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_NEXT;
import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;

import dev.metamori.CheckpointException;
import dev.metamori.CorruptStoreException;
import dev.metamori.Durability;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Opens (or creates) the journal of a store directory: locks it, opens the index and the
 * catalogue, checks the format version and the index ({@link IndexCheck}: against itself, the
 * segments, the catalogue and the undo progress), and finishes the file deletions and
 * compactions of a prune a crash interrupted. Does not recover the trees.
 *
 * <p>An index that is missing, cannot be opened, is damaged or is stale (an older copy) is
 * rebuilt from the segments and the catalogue ({@link IndexRebuilder}), with a warning on the
 * {@code dev.metamori} logger saying why and what it holds. An index that lacks only the commit
 * whose record its segment has is brought up to it; a catalogue that lacks the index's last
 * event, or is missing or damaged while the index is sound, is rewritten from the index. A
 * store of format 2 or 3 (before the catalogue) gets one on its first open.
 */
final class JournalOpener {
  private static final System.Logger LOG = System.getLogger("dev.metamori");

  private JournalOpener() {}

  /** What an open found and did to the index and the catalogue (for repair). */
  static final class Report {
    /** "sound", "missing", "damaged" or "stale". */
    String index = "sound";
    String detail;
    IndexRebuilder.Summary rebuilt;
    /** What was wrong with the catalogue, if it was rewritten from the index; else null. */
    String catalogue;
    /** Whether a rebuild is reported by the caller (a repair) rather than logged. */
    boolean quiet;
  }

  static Journal open(Path dir, int requestedBlockSize, Durability durability, long nowMillis) throws IOException {
    StoreFiles files = new StoreFiles(dir);
    files.createDirectories();
    FileChannel lock = StoreLock.acquire(files);
    UndoProgress progress = null;
    JournalStore store = null;
    try {
      progress = new UndoProgress(files.progress());
      store = openIndex(files, progress, requestedBlockSize, durability, nowMillis, new Report());
      OwnerOnly.restrict(files);
      Pruner.finishDeletions(store);
      Pruner.finishCompactions(store);
      return new Journal(store, lock);
    } catch (IOException | RuntimeException e) {
      if (store != null) {
        JournalStore.closeQuietly(store.catalogue, e);
        JournalStore.closeQuietly(store.index(), e);
      }
      JournalStore.closeQuietly(progress, e);
      JournalStore.closeQuietly(lock, e);
      throw e;
    }
  }

  /**
   * Rebuilds the index of the store in {@code dir} from its segments and catalogue, whatever
   * its state, and returns what the open before it found and what the rebuild holds. Does not
   * recover the trees (the next open does).
   */
  static Report repair(Path dir) throws IOException {
    StoreFiles files = new StoreFiles(dir);
    FileChannel lock = StoreLock.acquire(files);
    UndoProgress progress = null;
    JournalStore store = null;
    try {
      progress = new UndoProgress(files.progress());
      Report report = new Report();
      report.quiet = true;
      store = openIndex(files, progress, 0, Durability.SYSTEM, 0, report);
      if (report.rebuilt == null) {
        // the open found the index usable: what the rebuild holds says whether it was
        store.catalogue.close();
        store.index().close();
        store = null;
        Catalogue.State catalogue = Catalogue.read(files);
        report.rebuilt = IndexRebuilder.build(files, catalogue, progress);
        String differences = IndexComparison.differences(files.index(), files.indexCopy());
        if (differences != null) {
          report.index = "damaged";
          report.detail = differences;
        }
        IndexRebuilder.install(files);
        store = checkedRebuild(files, progress, 0, Durability.SYSTEM, catalogue);
      }
      Pruner.finishDeletions(store);
      Pruner.finishCompactions(store);
      return report;
    } catch (IOException | RuntimeException e) {
      if (store != null) {
        JournalStore.closeQuietly(store.catalogue, e);
        JournalStore.closeQuietly(store.index(), e);
      }
      JournalStore.closeQuietly(progress, e);
      JournalStore.closeQuietly(lock, e);
      throw e;
    } finally {
      if (lock.isOpen()) {
        try {
          store.catalogue.close();
          store.index().close();
          progress.close();
        } finally {
          lock.close();
        }
      }
    }
  }

  /** The index of the store, checked, rebuilt if it must be, with the catalogue open beside it. */
  private static JournalStore openIndex(
      StoreFiles files, UndoProgress progress, int requestedBlockSize, Durability durability, long nowMillis, Report report)
      throws IOException {
    Files.deleteIfExists(files.indexCopy()); // a prune's, a compaction's or a rebuild's copy a crash left behind
    Files.deleteIfExists(files.catalogueCopy());
    Catalogue.State catalogue = null;
    CorruptStoreException catalogueDamage = null;
    try {
      catalogue = Catalogue.read(files);
      catalogue = catalogue == null || catalogue.head == null ? null : catalogue; // none, or its creation cut short
    } catch (CorruptStoreException e) {
      catalogueDamage = e;
    }
    boolean existed = Files.exists(files.index());
    MvStoreIndex index = null;
    try {
      long format = -1;
      try {
        index = new MvStoreIndex(files.index());
        format = index.meta(META_FORMAT, -1);
      } catch (CorruptStoreException e) {
        report.index = "damaged";
        report.detail = "it cannot be read: " + e.detail();
      }
      if (report.detail == null && format == -1) {
        if (catalogue == null && catalogueDamage == null && IndexRebuilder.segmentIds(files).isEmpty()) {
          return create(files, index, progress, requestedBlockSize, durability, nowMillis);
        }
        report.index = existed ? "damaged" : "missing";
        report.detail = existed ? "it is empty" : "it is missing";
      } else if (report.detail == null && JournalStore.legacy(format) && (catalogue != null || catalogueDamage != null)) {
        // an index from before the catalogue never has one beside it (a migration writes the index first)
        report.index = "damaged";
        report.detail = "it says format " + format + ", but the store has a catalogue (format " + CATALOGUE_FORMAT + " on)";
      } else if (report.detail == null && !JournalStore.current(format) && !JournalStore.legacy(format)) {
        throw new CheckpointException(
            "store " + files.store + " has format version " + format + ", which this version of Metamori (format "
                + FORMAT + ") cannot read: open it with the version that wrote it");
      }
      if (report.detail == null) {
        JournalStore store =
            checked(files, index, progress, requestedBlockSize, durability, catalogue, catalogueDamage, report);
        if (store != null) {
          return store;
        }
      }
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(index, e);
      throw e;
    }
    JournalStore.closeQuietly(index, new IOException());
    if (catalogue == null) {
      throw new CorruptStoreException(
          files.index(), -1, -1, "the index " + report.detail.replaceFirst("^it ", "") + ", and it cannot be rebuilt: "
              + (catalogueDamage != null ? "the catalogue is damaged too (" + catalogueDamage.getMessage() + ")"
                  : "the store has no catalogue (it was last written by a version of Metamori before format "
                      + CATALOGUE_FORMAT + ")"),
          catalogueDamage);
    }
    report.rebuilt = IndexRebuilder.rebuild(files, catalogue, progress);
    IndexRebuilder.Summary s = report.rebuilt;
    LOG.log(
        report.quiet ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
        "store {0}: index.mv was {1} ({2}); it was rebuilt from {3} segments and the catalogue: {4} epochs"
            + " ({5} listed, {6} of them labelled), {7} region and object names, current epoch {8}",
        files.store, report.index, report.detail, s.segments(), s.epochs(), s.listed(), s.labelled(), s.names(), s.current());
    return checkedRebuild(files, progress, requestedBlockSize, durability, catalogue);
  }

  /**
   * The store over an index that opened, checked; migrated from format 2 or 3, brought up to a
   * commit it lacks, and with its catalogue rewritten if need be. Null if it must be rebuilt
   * ({@code report} says why).
   */
  private static JournalStore checked(
      StoreFiles files,
      MvStoreIndex index,
      UndoProgress progress,
      int requestedBlockSize,
      Durability durability,
      Catalogue.State catalogue,
      CorruptStoreException catalogueDamage,
      Report report)
      throws IOException {
    long format = index.meta(META_FORMAT, -1);
    boolean legacy = JournalStore.legacy(format);
    if (legacy) {
      migrate(files, index); // it has no catalogue (see openIndex)
    } else if (format != FORMAT) {
      index.putMeta(META_FORMAT, FORMAT); // format 4: with the next index commit (see JournalStore.current)
    }
    JournalStore store = new JournalStore(files, index, progress, (int) index.meta(META_BLOCK_SIZE, 4096), durability);
    IndexCheck.Verdict verdict = IndexCheck.check(store, catalogue);
    if (verdict.kind() == IndexCheck.Kind.ROLL_FORWARD) {
      // what a crash between the commit record and the index commit leaves: no news
      LOG.log(System.Logger.Level.DEBUG, "store {0}: the index was brought up to a commit: {1}", files.store, verdict.detail());
      IndexRebuilder.rollForward(store, verdict.epoch());
      report.index = "stale";
      report.detail = "it lacked the last commit: " + verdict.detail();
      verdict = IndexCheck.check(store, catalogue);
    }
    switch (verdict.kind()) {
      case STALE, DAMAGED, ROLL_FORWARD -> {
        if (catalogue == null) {
          throw store.indexDamage(verdict.epoch(), verdict.detail()); // no catalogue to rebuild from
        }
        report.index = verdict.kind() == IndexCheck.Kind.STALE ? "stale" : "damaged";
        report.detail = verdict.detail();
        return null;
      }
      case CATALOGUE_BEHIND -> {
        if (!legacy) {
          report.catalogue = catalogueDamage != null ? catalogueDamage.getMessage() : verdict.detail();
          // a crash between an index commit and its event leaves the catalogue one behind: no news
          boolean oneBehind = catalogue != null && index.meta(META_CATALOGUE, 0) == catalogue.generation + 1;
          LOG.log(
              oneBehind ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
              "store {0}: the catalogue was rewritten from the index ({1})", files.store, report.catalogue);
        }
        long generation = index.meta(META_CATALOGUE, 0);
        store.catalogue =
            Catalogue.create(files, store.blockSize, JournalStore.snapshot(index, generation), JournalStore.head(index, generation));
      }
      default -> store.catalogue = Catalogue.open(files, catalogue);
    }
    try {
      checkRequestedBlockSize(files, requestedBlockSize, store.blockSize);
      checkCurrent(store);
    } catch (CorruptStoreException e) {
      store.catalogue.close();
      if (!e.file().equals(files.index()) || catalogue == null) {
        throw e;
      }
      report.index = "damaged";
      report.detail = e.detail();
      return null;
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(store.catalogue, e);
      throw e;
    }
    store.indexCompactedBytes = Files.size(files.index());
    return store;
  }

  /**
   * Brings an index from before the catalogue (format 2 or 3) to {@link JournalStore#FORMAT}: its
   * epoch entries get checksums; its catalogue is written once the index has passed its checks
   * (as one the index is ahead of).
   */
  private static void migrate(StoreFiles files, MvStoreIndex index) throws IOException {
    index.readLegacyEntries(true);
    List<EpochInfo> all = index.epochs();
    index.readLegacyEntries(false);
    for (EpochInfo e : all) {
      index.putEpoch(e);
    }
    index.putMeta(META_FORMAT, FORMAT);
    index.putMeta(META_CATALOGUE, 1);
    index.commit(true);
    LOG.log(System.Logger.Level.INFO, "store {0}: migrated to format {1} (with a catalogue)", files.store, FORMAT);
  }

  /** The store over a rebuilt index, which must pass every check. */
  private static JournalStore checkedRebuild(
      StoreFiles files, UndoProgress progress, int requestedBlockSize, Durability durability, Catalogue.State catalogue)
      throws IOException {
    MvStoreIndex index = new MvStoreIndex(files.index());
    JournalStore store = new JournalStore(files, index, progress, (int) index.meta(META_BLOCK_SIZE, 4096), durability);
    try {
      IndexCheck.Verdict verdict = IndexCheck.check(store, catalogue);
      if (verdict.kind() != IndexCheck.Kind.SOUND) {
        throw store.indexDamage(verdict.epoch(), "the index rebuilt from the segments and the catalogue is not sound: "
            + verdict.detail());
      }
      store.catalogue = Catalogue.open(files, catalogue);
      checkRequestedBlockSize(files, requestedBlockSize, store.blockSize);
      checkCurrent(store);
      store.indexCompactedBytes = Files.size(files.index());
      return store;
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(store.catalogue, e);
      JournalStore.closeQuietly(index, e);
      throw e;
    }
  }

  /** A new store: its index, then its catalogue (a crash between them is healed from the index). */
  private static JournalStore create(
      StoreFiles files, MvStoreIndex index, UndoProgress progress, int requestedBlockSize, Durability durability, long nowMillis)
      throws IOException {
    int blockSize = requestedBlockSize == 0 ? 4096 : requestedBlockSize;
    index.putMeta(META_FORMAT, FORMAT);
    index.putMeta(META_BLOCK_SIZE, blockSize);
    index.putMeta(META_CURRENT, 0);
    index.putMeta(META_NEXT, 1);
    index.putMeta(META_CATALOGUE, 1);
    index.putEpoch(new EpochInfo(0, -1, nowMillis, 0, 0, 0, 0));
    index.commit(true);
    StoreFiles.forceDirectory(files.store);
    JournalStore store = new JournalStore(files, index, progress, blockSize, durability);
    store.catalogue = Catalogue.create(files, blockSize, JournalStore.snapshot(index, 1), JournalStore.head(index, 1));
    store.indexCompactedBytes = Files.size(files.index());
    return store;
  }

  private static void checkRequestedBlockSize(StoreFiles files, int requested, int blockSize) throws CheckpointException {
    if (requested != 0 && requested != blockSize) {
      throw new CheckpointException(
          "store " + files.store + " was created with block size " + blockSize + ", not " + requested
              + ": leave the block size unset to reopen it");
    }
  }

  /**
   * The index's block size places every block record on undo: it must be one the builder
   * allows and the one the segments were written with (their headers are checksummed).
   */
  static void checkBlockSize(StoreFiles files, int blockSize) throws IOException {
    Path indexFile = files.index();
    if (blockSize < 512 || blockSize > (1 << 20) || Integer.bitCount(blockSize) != 1) {
      throw new CorruptStoreException(indexFile, -1, -1, "the index records block size " + blockSize);
    }
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(files.segments, "*.seg")) {
      for (Path file : stream) {
        if (Files.size(file) < Segment.HEADER_SIZE) {
          continue;
        }
        int segmentBlockSize;
        try (Segment s = Segment.open(file)) {
          segmentBlockSize = s.blockSize;
        } catch (CorruptStoreException damaged) {
          continue; // reported when the segment is needed
        }
        if (segmentBlockSize != blockSize) {
          throw new CorruptStoreException(
              indexFile,
              -1,
              -1,
              "the index records block size " + blockSize + " but segment " + file.getFileName()
                  + " was written with " + segmentBlockSize);
        }
        return; // one sound segment tells; CommittedSegments checks each one it uses
      }
    }
  }

  /**
   * The index lists the current epoch, the next id is above every id used, and the current
   * epoch is the one the undo progress witnessed: equal, or one the index has not committed yet
   * (a crash inside a commit), or next to it, or a run of epochs from it, on the way of a
   * restore in progress (a crash between the index's move and the witness's).
   */
  private static void checkCurrent(JournalStore store) throws IOException {
    EpochIndex index = store.index();
    UndoProgress progress = store.progress;
    long current = store.current;
    long witness = progress.head();
    if (witness >= 0 && witness != current && index.epoch(witness) != null) {
      EpochInfo c = index.epoch(current);
      EpochInfo w = index.epoch(witness);
      boolean adjacent = c != null && (c.parent() == witness || w.parent() == current);
      long target = index.meta(META_ROLLBACK_TARGET, -1);
      boolean oneWriteApart = target >= 0 || progress.headMayBeStale();
      // a restore moves a run of epochs with one index commit, the witness written before the
      // commit (on arrival) or after it: either lies on the way from the other to the target
      boolean runApart =
          target >= 0 && c != null && index.epoch(target) != null
              && (onWay(store, current, target, witness) || onWay(store, witness, target, current));
      if (!(adjacent && oneWriteApart) && !runApart) {
        throw new CorruptStoreException(
            progress.headMayBeStale() ? progress.file() : store.files.index(),
            -1,
            current,
            "the index says the current epoch is " + current + ", but " + store.files.progress()
                + " recorded epoch " + witness + " last");
      }
    }
    if (witness >= 0 && witness != current) {
      // accepted as one write apart: bring the witness up to date, or later writes (which
      // carry it) would make the gap permanent
      progress.rewitness(current);
      if (store.forcing()) {
        progress.force();
      }
    }
    long newest = -1;
    for (EpochInfo e : index.epochs()) {
      newest = Math.max(newest, e.id());
    }
    if (newest >= store.next || index.epoch(current) == null) {
      throw store.indexDamage(
          -1,
          "the index says the current epoch is " + current + " and the next " + store.next
              + ", but its newest epoch is " + newest);
    }
  }

  /** Whether a restore from epoch {@code from} to epoch {@code to} passes epoch {@code x}, ends included. */
  private static boolean onWay(JournalStore store, long from, long to, long x) throws CorruptStoreException {
    Route way = new EpochGraph(store).route(from, to);
    if (x == from || way.up().contains(x) || way.down().contains(x)) {
      return true;
    }
    List<Long> up = way.up();
    return !up.isEmpty() && store.index().epoch(up.get(up.size() - 1)).parent() == x; // the common ancestor
  }
}
