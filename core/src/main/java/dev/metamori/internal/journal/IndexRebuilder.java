package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_BLOCK_SIZE;
import static dev.metamori.internal.journal.JournalStore.META_CATALOGUE;
import static dev.metamori.internal.journal.JournalStore.META_CURRENT;
import static dev.metamori.internal.journal.JournalStore.META_FORMAT;
import static dev.metamori.internal.journal.JournalStore.META_NEXT;
import static dev.metamori.internal.journal.JournalStore.META_NEXT_ITEM;
import static dev.metamori.internal.journal.JournalStore.META_PRUNED;
import static dev.metamori.internal.journal.JournalStore.META_ROLLBACK_TARGET;
import static dev.metamori.internal.journal.JournalStore.META_ROOT;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds {@code index.mv} anew from the segments and the catalogue, the two sources of truth:
 * every segment that ends with a Commit record is a committed epoch (its parent and time from
 * that record, its label from its Label record, its records, blocks, state versions and names
 * from a checked scan), and the catalogue adds what no segment holds (epochs without a segment,
 * what prunes changed and deleted, the current epoch, the next ids, the tracked roots, a restore
 * under way). The new index is written to {@code index.mv.new}, forced and renamed over
 * {@code index.mv}. A damaged segment (anything but a torn tail of an uncommitted one) or a
 * committed epoch whose segment is missing fails the rebuild with a {@link
 * CorruptStoreException} naming it, and leaves the store as it was.
 */
final class IndexRebuilder {
  private IndexRebuilder() {}

  /** What a rebuild found. */
  record Summary(int epochs, int listed, int labelled, int names, int segments, long records, long current, List<String> roots) {}

  /** An epoch's entry and what else its segment gave. */
  private record Indexed(EpochInfo epoch, int names, long nextItem) {}

  /** A segment without a commit record: the working epoch's, or remains a restore left. */
  private record Uncommitted(long id, long nonce, int flags) {}

  /** Rebuilds the index and puts it in place of {@code index.mv}. */
  static Summary rebuild(StoreFiles files, Catalogue.State catalogue, UndoProgress progress) throws IOException {
    Summary s = build(files, catalogue, progress);
    install(files);
    return s;
  }

  /** Puts the index {@link #build} wrote in place of {@code index.mv}. */
  static void install(StoreFiles files) throws IOException {
    Files.move(files.indexCopy(), files.index(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    StoreFiles.forceDirectory(files.store);
  }

  /** Writes the rebuilt index to {@code index.mv.new}, forced and closed. */
  static Summary build(StoreFiles files, Catalogue.State catalogue, UndoProgress progress) throws IOException {
    finishCompactions(files, catalogue);
    Files.deleteIfExists(files.indexCopy());
    Map<Long, EpochInfo> epochs = new TreeMap<>();
    List<Uncommitted> uncommitted = new ArrayList<>();
    UndoRecord.Head head = catalogue.head;
    long nextItem = head.nextItem();
    int names = 0;
    int segments = 0;
    long records = 0;
    long current;
    MvStoreIndex index = new MvStoreIndex(files.indexCopy());
    try {
      for (long id : segmentIds(files)) {
        Path file = files.segment(id);
        if (catalogue.deleted.contains(id) || Files.size(file) < Segment.HEADER_SIZE) {
          continue; // deleted by a prune (the tombstone below finishes it), or never written to
        }
        try (Segment s = Segment.open(file)) {
          if (s.epoch != id || s.blockSize != catalogue.blockSize) {
            throw s.corrupt(0, "the header names epoch " + s.epoch + " and block size " + s.blockSize
                + ", the catalogue's is " + catalogue.blockSize);
          }
          Segment.Scan scan = s.scan();
          if (!CommittedSegments.endsInCommit(scan)) {
            uncommitted.add(new Uncommitted(id, s.nonce, s.flags));
            continue;
          }
          Indexed x = index(index, s, scan, false);
          epochs.put(id, x.epoch());
          names += x.names();
          nextItem = Math.max(nextItem, x.nextItem());
          segments++;
          records += scan.count();
        }
      }
      for (UndoRecord.TreeEntry t : catalogue.epochs.values()) {
        EpochInfo seg = epochs.get(t.id());
        if (seg == null && t.nonce() != 0) {
          throw new CorruptStoreException(
              files.segment(t.id()), -1, t.id(), "the segment of committed epoch " + t.id() + " is missing");
        }
        if (seg != null && seg.segmentNonce() != t.nonce()) {
          throw new CorruptStoreException(
              files.segment(t.id()), 0, t.id(), "the catalogue names another incarnation of the segment");
        }
        epochs.put(
            t.id(),
            seg == null
                ? new EpochInfo(t.id(), t.parent(), t.committedAtMillis(), 0, 0, 0, 0, t.label(), t.flags())
                : new EpochInfo(t.id(), t.parent(), t.committedAtMillis(), seg.bytes(), seg.blocks(), seg.files(),
                    seg.segmentNonce(), t.label(), t.flags()));
      }
      // epochs committed after the catalogue's last event: the newest is the current one
      long newest = -1;
      long top = -1;
      for (long id : epochs.keySet()) {
        top = Math.max(top, id);
        newest = id >= head.next() ? Math.max(newest, id) : newest;
      }
      long target = head.restoringTo();
      if (newest >= 0 && target >= 0) {
        throw new CorruptStoreException(
            files.catalogue(), -1, newest, "epoch " + newest + " was committed while a restore was under way");
      }
      current = newest >= 0 ? newest : target >= 0 ? whereTheRestoreGot(files, head, progress, epochs) : head.current();
      long next = Math.max(head.next(), top + 1);
      checkUncommitted(files, uncommitted, next, progress);
      for (EpochInfo e : epochs.values()) {
        index.putEpoch(e);
      }
      index.putMeta(META_FORMAT, FORMAT);
      index.putMeta(META_BLOCK_SIZE, catalogue.blockSize);
      index.putMeta(META_CURRENT, current);
      index.putMeta(META_NEXT, next);
      if (nextItem > 0) {
        index.putMeta(META_NEXT_ITEM, nextItem);
      }
      if (catalogue.root >= 0) {
        index.putMeta(META_ROOT, catalogue.root);
      }
      if (target >= 0) {
        index.putMeta(META_ROLLBACK_TARGET, target);
      }
      for (long d : catalogue.deleted) {
        index.putMeta(META_PRUNED + String.format("%020d", d), 1);
      }
      index.putMeta(META_CATALOGUE, catalogue.generation);
      index.putRoots(head.roots());
      index.commit(true);
    } finally {
      index.close();
    }
    int listed = 0;
    int labelled = 0;
    for (EpochInfo e : epochs.values()) {
      listed += e.visible() ? 1 : 0;
      labelled += e.visible() && e.label() != null ? 1 : 0;
    }
    return new Summary(epochs.size(), listed, labelled, names, segments, records, current, head.roots());
  }

  /**
   * Puts the records, blocks, state versions and names of committed segment {@code s} (scanned
   * as {@code scan}, ending with its commit record) into {@code index}, and returns its entry
   * (not put). Entries an earlier incarnation of its id left are removed first ({@code
   * removeFirst}).
   */
  private static Indexed index(EpochIndex index, Segment s, Segment.Scan scan, boolean removeFirst) throws IOException {
    long id = s.epoch;
    int last = scan.count() - 1;
    UndoRecord.Commit commit = (UndoRecord.Commit) s.read(scan.offsets()[last], last);
    String label = null;
    long files = 0;
    int names = 0;
    long nextItem = 0;
    for (int seq = 0; seq < last; seq++) {
      byte type = scan.types()[seq];
      if (type == UndoRecord.TOUCH || type == UndoRecord.CREATED) {
        files++;
      } else if (type == UndoRecord.LABEL) {
        label = ((UndoRecord.Label) s.read(scan.offsets()[seq], seq)).label();
      } else if (type == UndoRecord.NAME) {
        UndoRecord.Name n = (UndoRecord.Name) s.read(scan.offsets()[seq], seq);
        index.putName(n.name(), NameEntry.of(n, id, seq));
        nextItem = Math.max(nextItem, n.item() + 1);
        names++;
      }
    }
    long blocks = 0;
    long[] keys = scan.blockKeys();
    for (int i = 0; i < keys.length; i += 3) {
      blocks += keys[i] >= 0 ? 1 : 0;
    }
    if (removeFirst) {
      index.removeRecords(id);
    }
    index.putRecordsInChunks(id, scan.offsets(), keys);
    EpochInfo e = new EpochInfo(id, commit.parent(), commit.committedAtMillis(), scan.validEnd(), blocks, files, s.nonce, label, 0);
    return new Indexed(e, names, nextItem);
  }

  /**
   * Finishes a commit the index does not have yet: segment {@code id}, which ends with its
   * commit record, becomes the current epoch (a crash came between the commit record and the
   * index commit, or the index lost that commit). The caller checked that its parent is the
   * index's current epoch and its id the next.
   */
  static void rollForward(JournalStore store, long id) throws IOException {
    EpochIndex index = store.index();
    long nextItem = index.meta(META_NEXT_ITEM, 0);
    try (Segment s = Segment.open(store.files.segment(id))) {
      Indexed x = index(index, s, s.scan(), true);
      index.putEpoch(x.epoch());
      nextItem = Math.max(nextItem, x.nextItem());
    }
    if (nextItem > 0) {
      index.putMeta(META_NEXT_ITEM, nextItem);
    }
    index.putMeta(META_CURRENT, id);
    index.putMeta(META_NEXT, Math.max(store.next, id + 1));
    index.commit(true);
    store.current = id;
    store.next = Math.max(store.next, id + 1);
    store.progress.head(id);
    store.progress.force();
  }

  /**
   * A restore was under way: the undo progress, written after every epoch it moved, tells
   * where it got. It must name an epoch of the restore's way.
   */
  private static long whereTheRestoreGot(StoreFiles files, UndoRecord.Head head, UndoProgress progress, Map<Long, EpochInfo> epochs)
      throws CorruptStoreException {
    long at = progress.head();
    Set<Long> way = new HashSet<>(line(head.current(), epochs));
    way.addAll(line(head.restoringTo(), epochs));
    if (at < 0 || !way.contains(at)) {
      throw new CorruptStoreException(
          files.progress(), -1, -1, "a restore from epoch " + head.current() + " to epoch " + head.restoringTo()
              + " was under way, and the undo progress does not tell which epoch it had reached (it names " + at + ")");
    }
    return at;
  }

  private static List<Long> line(long from, Map<Long, EpochInfo> epochs) {
    List<Long> line = new ArrayList<>();
    for (EpochInfo e = epochs.get(from); e != null && line.size() <= epochs.size(); e = epochs.get(e.parent())) {
      line.add(e.id());
    }
    return line;
  }

  /**
   * A segment without a commit record is the working epoch's ({@code next}, or the one after it
   * if created while that one was being committed), or one whose undo the progress records;
   * any other lost its commit record to damage. So did one the progress names as the current
   * epoch, unless it is the working epoch's: a commit forces the witness beside its commit
   * record, so a power loss may keep the one and not the other.
   */
  private static void checkUncommitted(StoreFiles files, List<Uncommitted> uncommitted, long next, UndoProgress progress)
      throws CorruptStoreException {
    for (Uncommitted u : uncommitted) {
      boolean working = u.id() == next || (u.id() == next + 1 && (u.flags() & Segment.AFTER_SEALED) != 0);
      if (!working && (!progress.names(u.nonce()) || progress.head() == u.id())) {
        throw new CorruptStoreException(
            files.segment(u.id()), -1, u.id(), "the segment has no commit record (damaged or cut short), but it is not"
                + " the working epoch's (the next epoch is " + next + ")");
      }
    }
  }

  /**
   * Renames each compacted copy ({@code <id>.seg.new}) the catalogue's last word on its epoch
   * names over the segment (and drops the epoch's redo file and trash), and deletes the others.
   */
  private static void finishCompactions(StoreFiles files, Catalogue.State catalogue) throws IOException {
    List<Path> copies = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(files.segments, "*.seg.new")) {
      s.forEach(copies::add);
    }
    for (Path copy : copies) {
      long epoch = -1;
      long nonce = 0;
      try (Segment c = Segment.open(copy)) {
        epoch = c.epoch;
        nonce = c.nonce;
      } catch (IOException damaged) {
        // torn while its header was written: never committed to
      }
      UndoRecord.TreeEntry t = catalogue.epochs.get(epoch);
      if (t != null && t.nonce() == nonce && (t.flags() & EpochInfo.COMPACTED) != 0) {
        Files.move(copy, files.segment(epoch), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(files.redo(epoch));
        files.dropTrash(List.of(epoch));
      } else {
        Files.deleteIfExists(copy);
      }
    }
    if (!copies.isEmpty()) {
      StoreFiles.forceDirectory(files.segments);
    }
  }

  /** The epochs of the segment files ({@code {epoch}.seg}), ascending. */
  static List<Long> segmentIds(StoreFiles files) throws IOException {
    List<Long> ids = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(files.segments, "*.seg")) {
      for (Path file : stream) {
        String name = file.getFileName().toString();
        try {
          ids.add(Long.parseLong(name.substring(0, name.length() - 4)));
        } catch (NumberFormatException e) {
          // not a segment of this store's
        }
      }
    }
    ids.sort(null);
    return ids;
  }
}
