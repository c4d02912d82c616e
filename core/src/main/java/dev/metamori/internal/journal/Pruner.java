package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Removes epochs from the tree. The epochs to keep (and the current one) span a subtree whose
 * root is their common ancestor; a restore between two of them never leaves it. So:
 *
 * <ul>
 *   <li>an epoch inside the subtree that is not kept is <em>hidden</em>: no longer listed or
 *       restorable, but its undo and redo stay, because restores pass through it (its undo in
 *       effect folds into its neighbours');
 *   <li>an epoch above the subtree's root is never passed through again: its segment is deleted,
 *       unless it holds region, object or name records that epochs below still read (the newest
 *       version of a page may be far up), in which case it stays as an <em>archive</em>;
 *   <li>every other epoch (branches without a kept epoch) is deleted with its segment, redo
 *       file and trash.
 * </ul>
 *
 * <p>Crash safety: the index commit that changes the tree names the epochs to delete with
 * tombstones ({@code pruned/<id>} in {@code meta}) and points at the archives' compacted copies,
 * written and forced before it; the files and index entries are removed and the copies renamed
 * after it, and again on the next open if a crash intervened. Until the commit nothing has
 * changed; after it, only deletions of what no epoch needs remain. The catalogue gets the
 * event after the commit, and a snapshot once the index is compacted.
 */
final class Pruner {
  private final JournalStore store;
  private final EpochGraph graph;
  private final EpochIndex index;

  Pruner(JournalStore store, EpochGraph graph) {
    this.store = store;
    this.graph = graph;
    this.index = store.index();
  }

  /**
   * Prunes, then compacts the index.
   *
   * @return the ids of the epochs no longer listed
   */
  List<Long> prune(Set<Long> requested) throws IOException {
    List<Long> removed = pruneTree(requested);
    dropTrashes(store);
    IndexCompaction.compact(store);
    store.rewriteCatalogue();
    return removed;
  }

  private List<Long> pruneTree(Set<Long> requested) throws IOException {
    Map<Long, EpochInfo> all = new HashMap<>();
    for (EpochInfo e : graph.all()) {
      all.put(e.id(), e);
    }
    long current = store.current;
    Set<Long> keep = new HashSet<>();
    for (long id : requested) {
      EpochInfo e = all.get(id);
      if (e != null && e.visible()) {
        keep.add(id);
      }
    }
    keep.add(current);
    long root = commonAncestor(keep);
    Set<Long> needed = new HashSet<>();
    for (long k : keep) {
      for (long e : graph.line(k)) {
        if (!needed.add(e) || e == root) {
          break;
        }
      }
    }
    List<Long> chain = new ArrayList<>(graph.line(root));
    chain.remove(0); // the root itself; the rest runs up to the old root
    List<Long> archives = new ArrayList<>();
    List<Long> deleted = new ArrayList<>();
    for (long a : chain) {
      if ((all.get(a).flags() & EpochInfo.ARCHIVE) != 0 || holdsState(all.get(a))) {
        archives.add(a);
      } else {
        deleted.add(a);
      }
    }
    Set<Long> above = new HashSet<>(chain);
    List<Long> removed = new ArrayList<>();
    for (EpochInfo e : all.values()) {
      if (e.visible() && !keep.contains(e.id())) {
        removed.add(e.id());
      }
      if (!needed.contains(e.id()) && !above.contains(e.id())) {
        deleted.add(e.id());
      }
    }
    removed.sort(null);
    if (removed.isEmpty() && deleted.isEmpty()) {
      return removed;
    }
    // the archives' compacted copies, written and forced before the commit that points at them
    Map<Long, Compacted> copies = new HashMap<>();
    for (long a : archives) {
      EpochInfo e = all.get(a);
      if ((e.flags() & EpochInfo.COMPACTED) == 0 && e.segmentNonce() != 0) {
        copies.put(a, compactedCopy(e));
      }
    }
    if (!copies.isEmpty() && store.forcing()) {
      StoreFiles.forceDirectory(store.files.segments);
    }
    deleted.sort(null);
    for (long id : deleted) {
      index.putMeta(JournalStore.META_PRUNED + String.format("%020d", id), 1);
      index.removeEpoch(id);
    }
    Map<Long, Long> flags = new HashMap<>();
    for (long id : needed) {
      EpochInfo e = all.get(id);
      flags.put(id, keep.contains(id) ? e.flags() : e.flags() | EpochInfo.HIDDEN);
    }
    for (long a : archives) {
      flags.put(a, EpochInfo.HIDDEN | EpochInfo.ARCHIVE | EpochInfo.COMPACTED);
    }
    // the archives stay a line above the root: each one's parent is the next one up
    Map<Long, Long> parents = new HashMap<>();
    long child = root;
    for (long a : archives) {
      parents.put(child, a);
      child = a;
    }
    parents.put(child, -1L);
    List<UndoRecord.TreeEntry> changed = new ArrayList<>();
    for (Map.Entry<Long, Long> f : flags.entrySet()) {
      EpochInfo e = all.get(f.getKey());
      long parent = parents.getOrDefault(e.id(), e.parent());
      Compacted c = copies.get(e.id());
      EpochInfo now =
          c == null
              ? e.withParentAndFlags(parent, f.getValue())
              : new EpochInfo(e.id(), parent, e.committedAtMillis(), c.bytes, 0, 0, c.nonce, e.label(), f.getValue());
      if (!now.equals(e)) {
        index.putEpoch(now);
        changed.add(UndoRecord.TreeEntry.of(now));
      }
      if (c != null) {
        index.replaceRecords(e.id(), c.offsets);
      }
    }
    changed.sort(java.util.Comparator.comparingLong(UndoRecord.TreeEntry::id));
    index.putMeta(JournalStore.META_ROOT, child);
    // the commit point: the copies, the deletions and the new tree at once
    store.commitEvent(true, changed, deleted.stream().mapToLong(Long::longValue).toArray());
    finishDeletions(store);
    finishCompactions(store);
    return removed;
  }

  /** A compacted copy of an archive's segment: its nonce, size and record offsets. */
  private record Compacted(long nonce, long bytes, long[] offsets) {}

  /**
   * Writes {@code <id>.seg.new}: the archive's segment with each undo record replaced by a
   * {@link UndoRecord.Compacted} placeholder (so that sequence numbers stay), forced. The prune's
   * commit points the index at it; {@link #finishCompactions} then renames it over the segment
   * and drops the archive's redo file and trash, which no restore needs again.
   */
  private Compacted compactedCopy(EpochInfo e) throws IOException {
    java.nio.file.Path file = store.files.segment(e.id());
    java.nio.file.Path copy = file.resolveSibling(file.getFileName() + ".new");
    Files.deleteIfExists(copy);
    long nonce = store.newNonce();
    long[] offsets = index.recordOffsets(e.id());
    long[] moved = new long[offsets.length];
    long bytes;
    try (Segment old = Segment.open(file);
        Segment fresh = Segment.create(copy, e.id(), nonce, store.blockSize, 0)) {
      for (int seq = 0; seq < offsets.length; seq++) {
        UndoRecord r = old.read(offsets[seq], seq);
        // Touch, Block, Created, Trashed, Moved, and the checksums of the trash, deleted here
        boolean undo = r.type() <= UndoRecord.MOVED || r.type() == UndoRecord.TRASH_DIGEST;
        moved[seq] = fresh.size();
        fresh.append(undo ? new UndoRecord.Compacted() : r);
      }
      fresh.force();
      bytes = fresh.size();
    }
    return new Compacted(nonce, bytes, moved);
  }

  /**
   * Renames every {@code <id>.seg.new} the index already points at over its segment, and
   * deletes the others (a compaction cut short before its index commit). Runs after every
   * compaction and on open.
   */
  static void finishCompactions(JournalStore store) throws IOException {
    java.nio.file.Path dir = store.files.segments;
    List<java.nio.file.Path> copies = new ArrayList<>();
    try (java.nio.file.DirectoryStream<java.nio.file.Path> s = Files.newDirectoryStream(dir, "*.seg.new")) {
      s.forEach(copies::add);
    }
    for (java.nio.file.Path copy : copies) {
      long nonce = -1;
      long epoch = -1;
      try (Segment c = Segment.open(copy)) {
        nonce = c.nonce;
        epoch = c.epoch;
      } catch (IOException damaged) {
        // torn while its header was written: never committed to
      }
      EpochInfo e = epoch < 0 ? null : store.index().epoch(epoch);
      if (e != null && e.segmentNonce() == nonce) {
        Files.move(copy, store.files.segment(epoch), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.deleteIfExists(store.files.redo(epoch));
        store.files.dropTrash(List.of(epoch));
      } else {
        Files.deleteIfExists(copy);
      }
    }
    if (!copies.isEmpty() && store.forcing()) {
      StoreFiles.forceDirectory(dir);
    }
  }

  private long commonAncestor(Set<Long> epochs) throws IOException {
    List<Long> common = null;
    for (long e : epochs) {
      List<Long> line = graph.line(e);
      if (common == null) {
        common = line;
      } else {
        Set<Long> set = new HashSet<>(line);
        common = common.subList(indexOfFirstIn(common, set), common.size());
      }
    }
    return common.get(0);
  }

  private static int indexOfFirstIn(List<Long> line, Set<Long> set) {
    for (int i = 0; i < line.size(); i++) {
      if (set.contains(line.get(i))) {
        return i;
      }
    }
    return line.size() - 1;
  }

  /** Whether the epoch's segment holds state records (names, pages, chunks, manifests). */
  private boolean holdsState(EpochInfo e) throws IOException {
    if (e.segmentNonce() == 0) {
      return false;
    }
    try (Segment s = Segment.open(store.files.segment(e.id()))) {
      Segment.Scan scan = s.scan();
      for (int i = 0; i < scan.count(); i++) {
        byte t = scan.types()[i];
        if (t == UndoRecord.NAME || t == UndoRecord.PAGE || t == UndoRecord.CHUNK || t == UndoRecord.MANIFEST) {
          return true;
        }
      }
      return false;
    }
  }

  /**
   * Drops the trash of every epoch a prune dropped ({@link StoreFiles#dropTrash}): the epochs
   * this prune deletes and what earlier prunes left (files whose other links are gone since).
   */
  private static void dropTrashes(JournalStore store) throws IOException {
    List<Long> dropped = new ArrayList<>();
    for (long e : store.files.trashEpochs()) {
      if (store.trashDropped(e)) {
        dropped.add(e);
      }
    }
    store.files.dropTrash(dropped);
  }

  /**
   * Deletes the files and index entries of the epochs a committed prune named, and then their
   * tombstones. Runs after every prune and on open.
   */
  static void finishDeletions(JournalStore store) throws IOException {
    EpochIndex index = store.index();
    List<String> tombstones = index.metaKeys(JournalStore.META_PRUNED);
    if (tombstones.isEmpty()) {
      return;
    }
    for (String key : tombstones) {
      long id = Long.parseLong(key.substring(JournalStore.META_PRUNED.length()));
      index.removeRecords(id);
      Files.deleteIfExists(store.files.segment(id));
      Files.deleteIfExists(store.files.redo(id));
    }
    dropTrashes(store);
    if (store.forcing()) {
      StoreFiles.forceDirectory(store.files.segments);
    }
    for (String key : tombstones) {
      index.removeMeta(key);
    }
    index.commit(store.forcing());
  }
}
