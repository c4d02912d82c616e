package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.META_BLOCK_SIZE;
import static dev.metamori.internal.journal.JournalStore.META_CATALOGUE;
import static dev.metamori.internal.journal.JournalStore.META_NEXT_ITEM;
import static dev.metamori.internal.journal.JournalStore.META_PRUNED;
import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;
import static dev.metamori.internal.journal.JournalStore.META_ROOT;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Decides on open whether the index can be used as it is. It checks what a damaged or stale
 * index would get wrong without a word: every epoch entry (checksummed) and the tree they form
 * (parents, lines, prune marks), the block size against the segments, the index's generation
 * and everything else it holds against the catalogue (epochs without a segment, what prunes
 * changed, the current epoch, the next ids, the roots, the tombstones), and whether a segment
 * holds a committed epoch the index does not list. What it does not read (the offsets of
 * records, the state entries, the names) is checked where it is used, against the segments,
 * and reported as damage of {@code index.mv}. Costs a pass over the epoch entries, the
 * catalogue read on open, and a directory listing.
 */
final class IndexCheck {
  private IndexCheck() {}

  enum Kind {
    /** Nothing to do. */
    SOUND,
    /** The index lacks the last commit, whose commit record the segment has ({@link Verdict#epoch}). */
    ROLL_FORWARD,
    /** The index is sound and has made events the catalogue lacks (a crash between the two writes). */
    CATALOGUE_BEHIND,
    /** The index is an older copy: it lacks events of the catalogue or committed segments. */
    STALE,
    /** The index contradicts itself, the segments or the catalogue. */
    DAMAGED
  }

  record Verdict(Kind kind, String detail, long epoch) {
    static final Verdict SOUND = new Verdict(Kind.SOUND, null, -1);
  }

  /** The verdict on {@code store}'s index; {@code catalogue} is null if the store has none (or it is damaged). */
  static Verdict check(JournalStore store, Catalogue.State catalogue) throws IOException {
    try {
      checkTree(store, catalogue);
    } catch (CorruptStoreException e) {
      return new Verdict(Kind.DAMAGED, e.detail(), e.epoch());
    }
    try {
      return checkAgainst(store, catalogue);
    } catch (CorruptStoreException e) {
      if (!e.file().equals(store.files.index())) {
        throw e; // a damaged segment: no index can help
      }
      return new Verdict(Kind.DAMAGED, e.detail(), e.epoch());
    }
  }

  private static Verdict checkAgainst(JournalStore store, Catalogue.State catalogue) throws IOException {
    EpochIndex index = store.index();
    long generation = index.meta(META_CATALOGUE, 0);
    if (catalogue != null && generation < catalogue.generation) {
      return new Verdict(Kind.STALE, "it has made catalogue events up to " + generation + " of " + catalogue.generation, -1);
    }
    if (catalogue != null && generation == catalogue.generation) {
      String wrong = compare(store, catalogue);
      if (wrong != null) {
        return new Verdict(Kind.DAMAGED, wrong + " (the catalogue says otherwise)", -1);
      }
    }
    Verdict unlisted = unlisted(store);
    if (unlisted.kind() != Kind.SOUND) {
      return unlisted;
    }
    if (catalogue == null || generation > catalogue.generation) {
      return new Verdict(Kind.CATALOGUE_BEHIND, catalogue == null ? "there is no catalogue"
          : "the catalogue has events up to " + catalogue.generation + ", the index " + generation, -1);
    }
    return Verdict.SOUND;
  }

  /**
   * The block size, every epoch entry, the parents (each an epoch with a smaller id, or none for
   * the root and the top archive), the line of the current epoch and the prune marks.
   */
  private static void checkTree(JournalStore store, Catalogue.State catalogue) throws IOException {
    EpochIndex index = store.index();
    long blockSize = index.meta(META_BLOCK_SIZE, -1);
    if (catalogue != null && catalogue.blockSize != blockSize) {
      throw store.indexDamage(-1, "the index records block size " + blockSize + ", the catalogue " + catalogue.blockSize);
    }
    JournalOpener.checkBlockSize(store.files, (int) blockSize);
    List<EpochInfo> all = new EpochGraph(store).all();
    Map<Long, EpochInfo> byId = new HashMap<>();
    all.forEach(e -> byId.put(e.id(), e));
    long root = index.meta(META_ROOT, 0);
    for (EpochInfo e : all) {
      boolean top = e.id() == root || (e.flags() & EpochInfo.ARCHIVE) != 0;
      if (e.parent() < 0 ? !top : !byId.containsKey(e.parent()) || e.parent() >= e.id()) {
        throw store.indexDamage(e.id(), "epoch " + e.id() + " has parent " + e.parent());
      }
      if (e.id() >= store.next) {
        throw store.indexDamage(e.id(), "epoch " + e.id() + " is listed but the next epoch is " + store.next);
      }
    }
    new EpochGraph(store).line(store.current);
    long target = index.meta(META_ROLLBACK_TARGET, -1);
    if (target >= 0 && !byId.containsKey(target)) {
      throw store.indexDamage(target, "a restore to epoch " + target + ", which is not in the index, is under way");
    }
  }

  /** What the index says otherwise than the catalogue of the same generation, or null. */
  private static String compare(JournalStore store, Catalogue.State catalogue) throws IOException {
    EpochIndex index = store.index();
    UndoRecord.Head head = catalogue.head;
    Map<Long, EpochInfo> byId = new HashMap<>();
    long newest = -1;
    for (EpochInfo e : index.epochs()) {
      byId.put(e.id(), e);
      newest = e.id() >= head.next() ? Math.max(newest, e.id()) : newest;
      UndoRecord.TreeEntry t = catalogue.epochs.get(e.id());
      if (t == null && (e.flags() != 0 || e.segmentNonce() == 0 || catalogue.deleted.contains(e.id()))) {
        return "epoch " + e.id() + " is listed with flags " + e.flags() + " and nonce " + e.segmentNonce();
      }
      if (t != null && !t.equals(UndoRecord.TreeEntry.of(e))) {
        return "epoch " + e.id() + " is " + UndoRecord.TreeEntry.of(e);
      }
    }
    for (long id : catalogue.epochs.keySet()) {
      if (!byId.containsKey(id)) {
        return "epoch " + id + " is missing";
      }
    }
    for (String key : index.metaKeys(META_PRUNED)) {
      if (!catalogue.deleted.contains(parse(key.substring(META_PRUNED.length())))) {
        return "a tombstone " + key + " names an epoch no prune deleted";
      }
    }
    long target = index.meta(META_ROLLBACK_TARGET, -1);
    long expected = newest >= 0 ? newest : head.current();
    if (index.meta(META_ROOT, -1) != catalogue.root
        || !Objects.equals(index.roots(), head.roots())
        || store.next < head.next()
        || index.meta(META_NEXT_ITEM, 0) < head.nextItem()
        || target != head.restoringTo()
        || (target < 0 && store.current != expected)) {
      return "root " + index.meta(META_ROOT, -1) + ", roots " + index.roots() + ", next " + store.next + ", next item "
          + index.meta(META_NEXT_ITEM, 0) + ", restoring to " + target + ", current " + store.current;
    }
    return null;
  }

  private static long parse(String digits) {
    try {
      return Long.parseLong(digits);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /**
   * Segments of committed epochs the index does not list (ending with a commit record): none;
   * only the one whose commit the index had not made yet (its id the next, its parent the
   * current epoch), which is rolled forward; or any other, which makes the index stale.
   */
  private static Verdict unlisted(JournalStore store) throws IOException {
    EpochIndex index = store.index();
    List<long[]> committed = new ArrayList<>();
    for (long id : IndexRebuilder.segmentIds(store.files)) {
      Path file = store.files.segment(id);
      if (index.epoch(id) != null
          || index.meta(META_PRUNED + String.format("%020d", id), 0) != 0
          || !endsWithCommitFrame(file)) {
        continue;
      }
      try (Segment s = Segment.open(file)) {
        Segment.Scan scan = s.scan();
        if (CommittedSegments.endsInCommit(scan) && s.epoch == id) {
          int last = scan.count() - 1;
          committed.add(new long[] {id, ((UndoRecord.Commit) s.read(scan.offsets()[last], last)).parent()});
        }
      }
    }
    if (committed.isEmpty()) {
      return Verdict.SOUND;
    }
    long[] first = committed.get(0);
    if (committed.size() == 1 && first[0] == store.next && first[1] == store.current) {
      return new Verdict(Kind.ROLL_FORWARD, "the commit of epoch " + first[0] + " reached its segment, not the index", first[0]);
    }
    return new Verdict(
        Kind.STALE, "segment " + store.files.segment(first[0]).getFileName() + " holds committed epoch " + first[0]
            + ", which the index does not list (its next epoch is " + store.next + ")", first[0]);
  }

  /**
   * Whether the file's last 36 bytes are a whole commit frame: every segment that ends with its
   * commit record passes, so a segment that does not cannot be a committed one (one that does is
   * then scanned; so does one of an unknown format version, which its scan refuses).
   */
  static boolean endsWithCommitFrame(Path file) throws IOException {
    int length = RecordCodec.HEADER + 16 + RecordCodec.TRAILER;
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = c.size();
      if (size < Segment.HEADER_SIZE + length) {
        return false;
      }
      ByteBuffer version = ByteBuffer.allocate(4);
      while (version.hasRemaining() && c.read(version, 8 + version.position()) > 0) {}
      FrameChecksum checksum = FrameChecksum.ofVersion(version.getInt(0));
      ByteBuffer b = ByteBuffer.allocate(length);
      while (b.hasRemaining() && c.read(b, size - length + b.position()) > 0) {}
      return !b.hasRemaining()
          && b.getInt(0) == length
          && b.get(4) == UndoRecord.COMMIT
          && (checksum == null || RecordCodec.checksumOk(b.array(), length, checksum));
    }
  }
}
