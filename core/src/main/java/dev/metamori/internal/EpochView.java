package dev.metamori.internal;

import dev.metamori.CorruptStoreException;
import dev.metamori.NoSuchEpochException;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The tracked trees at a committed epoch, reconstructed read-only from the live trees and the
 * journal, without restoring anything: no write to the trees, the store, the index, the undo
 * progress, redo files or the trash.
 *
 * <p>The view replays, on an {@link EpochViewTree} (an overlay over the live state), what a
 * restore to the epoch would do: the undo of the working epoch's records, then of each epoch of
 * the current line after the common ancestor of the epoch and the current one, newest epoch
 * and newest record first (as {@code EpochUndo} and {@code UndoApplier} do), then the redo of
 * each epoch from the common ancestor down to the epoch (each step of its segment, then the
 * step's records from its redo file, as {@code EpochRedo} does). Memory grows with the records
 * replayed (the bytes of the blocks they write back are kept), not with the trees.
 *
 * <p>Create it with the checkpointer's lock held and writers held off, and read it before
 * anything changes the trees or the store: it reads the live state lazily. Not safe for use by
 * several threads at once. Each {@link #read} opens and closes the file it reads from.
 */
final class EpochView {

  /** What an entry of the view is. */
  enum Kind {
    FILE,
    DIRECTORY,
    /** A symbolic link (never followed). */
    LINK,
    /** Anything else (a named pipe, a socket, a device). */
    OTHER
  }

  /**
   * One entry.
   *
   * @param kind what it is
   * @param size its size in bytes, for a file (else 0)
   * @param modifiedNanos its last-modified time, in nanoseconds since 1970-01-01T00:00Z
   * @param permissions its POSIX permission bits (0644 ...), or -1 where the file system has none
   * @param linkTarget a link's target, as stored in the link; else null
   */
  record Node(Kind kind, long size, long modifiedNanos, int permissions, String linkTarget) {}

  private final EpochViewTree tree;
  private final Predicate<String> excluded;
  private final String store;

  private EpochView(EpochViewTree tree, Predicate<String> excluded, String store) {
    this.tree = tree;
    this.excluded = excluded;
    this.store = store;
  }

  /** As {@link #at(Journal, FileSystem, long, Predicate)}, with no path excluded. */
  static EpochView at(Journal journal, FileSystem delegate, long epoch) throws IOException {
    return at(journal, delegate, epoch, p -> false);
  }

  /**
   * The view of committed epoch {@code epoch}. Call with the checkpointer's lock held and
   * writers held off.
   *
   * @param delegate the file system the trees and the store are on (the real one)
   * @param excluded which paths (absolute path strings) the exclusions leave out: not listed
   * @throws NoSuchEpochException if the store does not list {@code epoch}
   * @throws dev.metamori.CheckpointException if a restore stopped part way (a full disk) and
   *     is not finished: the live trees are then in no epoch's state
   * @throws CorruptStoreException if a record, a redo file or a trash entry the view needs is
   *     damaged or missing
   */
  static EpochView at(Journal journal, FileSystem delegate, long epoch, Predicate<String> excluded)
      throws IOException {
    if (journal.epoch(epoch) == null) {
      throw new NoSuchEpochException(
          epoch, "it is not in the store (valid epochs: the ones listed by epochs())");
    }
    if (journal.unfinishedRestore() >= 0) {
      throw new dev.metamori.CheckpointException(
          "cannot read epoch " + epoch + ": a restore to epoch " + journal.unfinishedRestore()
              + " stopped part way for lack of space, so the trees are between two epochs;"
              + " free space, then restore or commit to finish it first");
    }
    List<Long> current = journal.line(journal.currentEpoch());
    List<Long> target = journal.line(epoch);
    Set<Long> onTarget = new HashSet<>(target);
    long base = current.stream().filter(onTarget::contains).findFirst().orElse(-1L);
    if (base < 0) {
      throw new CorruptStoreException(
          journal.store(), -1, epoch, "epoch " + epoch + " has no common ancestor with the current epoch");
    }
    EpochViewTree tree = new EpochViewTree(delegate, journal.blockSize());
    EpochViewReplay replay = new EpochViewReplay(journal, tree);
    List<UndoRecord> working = new ArrayList<>();
    journal.forEachWorkingRecord((r, frame, payload) -> working.add(r));
    replay.undo(working);
    for (long id : current.subList(0, current.indexOf(base))) {
      replay.undo(id);
    }
    List<Long> down = new ArrayList<>(target.subList(0, target.indexOf(base)));
    Collections.reverse(down);
    for (long id : down) {
      replay.redo(id);
    }
    return new EpochView(tree, excluded, journal.store().toString());
  }

  /**
   * What is at {@code path} (an absolute path string of the real file system, as in undo
   * records) at the epoch; null if nothing. Links are not followed.
   */
  Node stat(String path) throws IOException {
    EpochViewNode n = tree.get(path);
    return n == null ? null : n.describe();
  }

  /**
   * The names (not paths) of the entries of directory {@code dir} at the epoch, sorted; excluded
   * paths and the store are left out.
   *
   * @throws NoSuchFileException if nothing is at {@code dir}
   * @throws java.nio.file.NotDirectoryException if it is not a directory
   */
  List<String> list(String dir) throws IOException {
    List<String> out = new ArrayList<>();
    for (String name : tree.list(dir)) {
      String path = dir + "/" + name;
      if (!path.equals(store) && !excluded.test(path)) {
        out.add(name);
      }
    }
    return out;
  }

  /**
   * Reads bytes of the file at {@code path} at the epoch, from {@code position} into {@code
   * dst}; returns the count, -1 at or past its end.
   *
   * @throws NoSuchFileException if no file is at {@code path}
   */
  int read(String path, long position, ByteBuffer dst) throws IOException {
    EpochViewNode n = tree.get(path);
    if (n == null || n.kind != Kind.FILE) {
      throw new NoSuchFileException(path, null, n == null ? "nothing there at the epoch" : "not a file at the epoch");
    }
    return n.read(tree.fileSystem(), position, dst, tree.blockSize());
  }

  /** Whether a real path exists (links not followed). */
  static boolean exists(java.nio.file.Path p) {
    return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
  }
}
