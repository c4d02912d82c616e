package dev.metamori.internal;

import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Replays records on an {@link EpochViewTree} as a restore applies them to the real trees: the
 * undo of an epoch's records, newest first, as {@code UndoApplier} undoes them, and the redo of
 * an epoch, as {@code EpochRedo} and {@code UndoApplier} redo it. Checks, as a restore's
 * preparation does, that the trash entries the replay brings back are there.
 */
final class EpochViewReplay {
  private final Journal journal;
  private final EpochViewTree tree;

  EpochViewReplay(Journal journal, EpochViewTree tree) {
    this.journal = journal;
    this.tree = tree;
  }

  // ---- undo ----

  /** Undoes committed epoch {@code epoch}, after checking its trash entries are there. */
  void undo(long epoch) throws IOException {
    List<UndoRecord> records = fileRecords(epoch);
    for (UndoRecord r : records) {
      if (r instanceof UndoRecord.TrashDigest d && d.state() != UndoRecord.TrashDigest.ABSENT) {
        present(journal.trashPath(d.trashName()), epoch, "trash entry " + d.trashName() + " (" + d.path() + ")");
      }
    }
    undo(records);
  }

  /**
   * The records of committed epoch {@code epoch}, each at its sequence number; null stands for
   * a record of the volatile state or of the commit, which the trees have nothing to do with
   * (and whose pages and chunks are not kept in memory).
   */
  private List<UndoRecord> fileRecords(long epoch) throws IOException {
    List<UndoRecord> records = new ArrayList<>();
    journal.forEachRecord(
        epoch,
        (r, frame, payload) ->
            records.add(
                r instanceof UndoRecord.Touch
                        || r instanceof UndoRecord.Block
                        || r instanceof UndoRecord.Created
                        || r instanceof UndoRecord.Trashed
                        || r instanceof UndoRecord.Moved
                        || r instanceof UndoRecord.TrashDigest
                    ? r
                    : null));
    return records;
  }

  /** Undoes {@code records} (an epoch's, in order), newest first. */
  void undo(List<UndoRecord> records) throws IOException {
    for (int i = records.size() - 1; i >= 0; i--) {
      undoRecord(records.get(i));
    }
  }

  private void undoRecord(UndoRecord record) throws IOException {
    if (record instanceof UndoRecord.Block b) {
      EpochViewNode n = tree.own(b.path());
      if (n != null && n.kind == EpochView.Kind.FILE) {
        n.write(tree.fileSystem(), b.block() * tree.blockSize(), b.data(), tree.blockSize());
      }
    } else if (record instanceof UndoRecord.Touch t) {
      if (t.kind() == UndoRecord.Kind.OTHER) {
        return;
      }
      EpochViewNode n = tree.own(t.path());
      if (n == null) {
        return;
      }
      if (t.kind() == UndoRecord.Kind.FILE) {
        if (n.kind != EpochView.Kind.FILE) {
          return;
        }
        n.resize(t.size(), tree.blockSize());
      }
      attributes(n, t.permissions(), t.modifiedNanos());
    } else if (record instanceof UndoRecord.Created c) {
      if (tree.exists(c.path())) {
        tree.delete(c.path());
      }
    } else if (record instanceof UndoRecord.Trashed t) {
      String trashed = journal.trashPath(t.trashName()).toString();
      if (tree.exists(trashed)) {
        tree.ensureParent(t.path());
        tree.move(trashed, t.path());
      }
    } else if (record instanceof UndoRecord.Moved m) {
      tree.moveOnce(m.to(), m.from());
    }
  }

  /** Sets attributes as a restore does: permissions where the file system has them, the time; never on a link. */
  private void attributes(EpochViewNode n, int permissions, long modifiedNanos) {
    if (n.kind == EpochView.Kind.LINK) {
      return;
    }
    if (tree.posix() && permissions >= 0) {
      n.permissions = permissions;
    }
    n.modifiedNanos = modifiedNanos;
  }

  // ---- redo ----

  /**
   * Redoes committed epoch {@code epoch}, whose parent's state the tree holds: each step of its
   * segment in order, a rename, deletion or creation itself, then what its redo file holds for
   * the step (bytes at once; attributes and the removal of directories the undo made after the
   * step's bytes), as {@code EpochRedo} does.
   */
  void redo(long epoch) throws IOException {
    List<UndoRecord> records = fileRecords(epoch);
    List<UndoRecord> redo = new ArrayList<>();
    // off the current line: a missing or incomplete redo file is damage the journal reports
    journal.forEachRedoRecord(epoch, redo::add);
    for (UndoRecord r : redo) {
      if (r instanceof UndoRecord.TrashDigest d && d.state() != UndoRecord.TrashDigest.ABSENT) {
        present(journal.trashPath(d.trashName()), epoch, "kept entry " + d.trashName() + " (" + d.path() + ")");
      }
    }
    // redo records are in undo order: read backwards, each once; next is the record at p, read
    // and not yet used
    int p = redo.size() - 1;
    UndoRecord next = null;
    List<UndoRecord> deferred = new ArrayList<>();
    for (int step = 0; step < records.size(); step++) {
      UndoRecord record = records.get(step);
      for (; p >= 0; p--, next = null) {
        next = next != null ? next : redo.get(p);
        if (!(next instanceof UndoRecord.RedoMark)) {
          break;
        }
      }
      // a skip is the only redo record of its step
      boolean skip = next instanceof UndoRecord.RedoSkip s && s.step() == step;
      if (!skip) {
        redoStep(record, epoch, step);
      }
      for (; p >= 0; p--, next = null) {
        UndoRecord r = next != null ? next : redo.get(p);
        next = r;
        long at = Journal.redoStep(r);
        if (at < 0) {
          continue;
        }
        if (at < step) {
          throw corrupt(epoch, "redo records out of order");
        }
        if (at > step) {
          break;
        }
        if (r instanceof UndoRecord.RedoSkip) {
          continue;
        } else if (r instanceof UndoRecord.Redo) {
          apply(r);
        } else if (r instanceof UndoRecord.RedoRemoveDirectory) {
          deferred.add(0, r);
        } else {
          deferred.add(r);
        }
      }
      for (UndoRecord r : deferred) {
        apply(r);
      }
      deferred.clear();
    }
    if (p >= 0) {
      throw corrupt(epoch, "redo records for steps the epoch does not have");
    }
  }

  private void redoStep(UndoRecord record, long epoch, long step) throws IOException {
    if (record instanceof UndoRecord.Created c) {
      tree.moveOnce(journal.keptPath(epoch, step).toString(), c.path());
    } else if (record instanceof UndoRecord.Trashed t) {
      tree.moveOnce(t.path(), journal.trashPath(t.trashName()).toString());
    } else if (record instanceof UndoRecord.Moved m) {
      tree.moveOnce(m.from(), m.to());
    }
  }

  private void apply(UndoRecord redo) throws IOException {
    if (redo instanceof UndoRecord.Redo r) {
      EpochViewNode n = tree.own(r.path());
      if (n == null || n.kind != EpochView.Kind.FILE) {
        return;
      }
      n.write(tree.fileSystem(), r.offset(), r.data(), tree.blockSize());
      n.resize(r.size(), tree.blockSize());
    } else if (redo instanceof UndoRecord.RedoAttributes a) {
      EpochViewNode n = tree.own(a.path());
      if (n != null) {
        attributes(n, a.permissions(), a.modifiedNanos());
      }
    } else if (redo instanceof UndoRecord.RedoRemoveDirectory d) {
      if (tree.isEmptyDirectory(d.path())) {
        tree.delete(d.path());
      }
    }
  }

  private CorruptStoreException corrupt(long epoch, String detail) {
    return new CorruptStoreException(journal.store(), -1, epoch, "the redo file of epoch " + epoch + ": " + detail);
  }

  /** Throws the damage if the trash entry {@code entry}, which the view must read, is missing. */
  private void present(Path entry, long epoch, String what) throws IOException {
    if (!EpochView.exists(entry)) {
      throw new CorruptStoreException(
          entry, -1, epoch, "the " + what + " of epoch " + epoch + " is missing from the store's trash");
    }
  }
}
