package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.UndoRecord.TrashDigest;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Checksums of trash entries ({@link TrashDigest} records). Each is made once the entry's
 * contents are fixed and still in the page cache: at the commit of the epoch that trashed it
 * (for each of its {@link Trashed} records), and when the undo of a committed epoch keeps what
 * the epoch created ({@code trash/{epoch}/c{seq}}). An entry is then what a restore brings back:
 * the records that change it later (only writes through a channel or mapping open on it when
 * it was trashed, or through another hard link) are undone before it is used, so such entries
 * are recorded without a checksum ({@link TrashDigest#OPEN}, {@link TrashDigest#LINKED}) and
 * every other one must match its checksum whenever it is checked: by a restore that will use
 * it, before the restore changes anything ({@link TrashCheck}), and by verify ({@link
 * TrashAudit}).
 */
final class TrashDigests {
  private TrashDigests() {}

  /**
   * The trash entries the working epoch makes, collected as its {@link Trashed} records are
   * appended, and those a channel or mapping could still write to when they were trashed.
   */
  static final class Made {
    private final Queue<Trashed> trashed = new ConcurrentLinkedQueue<>();
    private final Set<String> open = ConcurrentHashMap.newKeySet();

    void trashed(Trashed t) {
      trashed.add(t);
    }

    void open(String trashName) {
      open.add(trashName);
    }

    /** What the forces of {@link #ahead} made, in the order of the Trashed records; null before. */
    private volatile TrashDigest[] madeAhead;

    /**
     * A checksum for each entry, in the order of the epoch's Trashed records, each entry's data
     * forced if {@code force}: those {@link #ahead} made, if all were.
     */
    List<TrashDigest> digests(StoreFiles files, boolean force) throws IOException {
      TrashDigest[] made = madeAhead;
      if (made != null && made.length == trashed.size() && !java.util.Arrays.asList(made).contains(null)) {
        return List.of(made);
      }
      List<TrashDigest> out = new ArrayList<>(trashed.size());
      TreeDigest digester = trashed.isEmpty() ? null : new TreeDigest();
      for (Trashed t : trashed) {
        out.add(digest(files, digester, t, force));
      }
      return out;
    }

    /**
     * Forces that make {@link #digests} ahead, its entries spread over up to {@link
     * ParallelForce#THREADS} of them, to run beside other forces once the epoch is sealed: its
     * entries do not change then (those that may are {@linkplain #open open}), and renames and
     * deletes wait for its commit.
     */
    List<ParallelForce.Force> ahead(StoreFiles files, boolean force) {
      List<Trashed> all = new ArrayList<>(trashed);
      TrashDigest[] made = new TrashDigest[all.size()];
      madeAhead = made;
      int lanes = Math.min(ParallelForce.THREADS, all.size());
      List<ParallelForce.Force> forces = new ArrayList<>(lanes);
      for (int lane = 0; lane < lanes; lane++) {
        int first = lane;
        forces.add(
            () -> {
              TreeDigest digester = new TreeDigest();
              for (int i = first; i < made.length; i += lanes) {
                made[i] = digest(files, digester, all.get(i), force);
              }
            });
      }
      return forces;
    }

    private TrashDigest digest(StoreFiles files, TreeDigest digester, Trashed t, boolean force) throws IOException {
      return open.contains(t.trashName())
          ? new TrashDigest(t.trashName(), t.path(), TrashDigest.OPEN, 0, 0, 0)
          : record(digester.of(files.trashPath(t.trashName()), true, force), t.trashName(), t.path());
    }
  }

  /** The checksum of what the undo of a creation of {@code path} kept as {@code keptName}. */
  static TrashDigest ofKept(StoreFiles files, TreeDigest digester, String keptName, String path)
      throws IOException {
    return record(digester.of(files.trashPath(keptName), true, false), keptName, path);
  }

  private static TrashDigest record(TreeDigest.Result r, String name, String path) {
    return new TrashDigest(name, path, r.state(), r.bytes(), r.entries(), r.digest());
  }

  /**
   * The checksums of the entries a committed epoch trashed: the records just before its commit
   * record (the commit writes them there), read backwards from it.
   */
  static List<TrashDigest> inSegment(Segment s, long[] offsets) throws IOException {
    List<TrashDigest> found = new ArrayList<>();
    for (int seq = offsets.length - 2; seq >= 0; seq--) {
      UndoRecord r = s.read(offsets[seq], seq);
      if (!(r instanceof TrashDigest d)) {
        break;
      }
      found.add(d);
    }
    Collections.reverse(found);
    return found;
  }

  /**
   * Checks the entry that a checked record describes.
   *
   * @param epoch the epoch that trashed the entry, or whose undo kept it
   * @param kept whether the undo of {@code epoch} kept it (a creation), else {@code epoch}
   *     trashed it
   * @return the damage, or null if the entry matches its checksum
   */
  static CorruptStoreException check(StoreFiles files, TreeDigest digester, TrashDigest d, long epoch, boolean kept)
      throws IOException {
    Path entry = files.trashPath(d.trashName());
    TreeDigest.Result now;
    try {
      now = digester.of(entry, false, false);
    } catch (AccessDeniedException e) {
      return damage(entry, d, epoch, kept, "cannot be read (" + e.getMessage() + ")");
    }
    if (now.state() == TrashDigest.ABSENT) {
      return damage(entry, d, epoch, kept, "is missing");
    }
    if (now.bytes() != d.bytes()) {
      return damage(entry, d, epoch, kept, "holds " + now.bytes() + " bytes where its checksum was taken of " + d.bytes());
    }
    if (now.entries() != d.entries()) {
      return damage(
          entry, d, epoch, kept,
          "holds " + now.entries() + " files, directories and links where its checksum was taken of " + d.entries());
    }
    if (!now.matches(d)) {
      return damage(entry, d, epoch, kept, "does not match its checksum (names, link targets or contents differ)");
    }
    return null;
  }

  private static CorruptStoreException damage(Path entry, TrashDigest d, long epoch, boolean kept, String what) {
    String affects =
        kept
            ? "it is what a restore puts back at " + d.path() + " (created in epoch " + epoch
                + ") when it redoes epoch " + epoch + ", that is a restore to epoch " + epoch
                + " or an epoch below it from elsewhere; such restores are refused, others do not use it"
            : "it is what a restore puts back at " + d.path() + " (removed in epoch " + epoch
                + ") when it undoes epoch " + epoch + ", that is a restore to any epoch other than " + epoch
                + " and those below it; such restores are refused, restores to epoch " + epoch
                + " and below do not use it";
    return new CorruptStoreException(
        entry,
        -1,
        epoch,
        "the trash entry " + what + "; " + affects + ". To restore across epoch " + epoch
            + ", put back the store directory (or this entry) from a backup");
  }
}
