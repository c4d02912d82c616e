package dev.metamori.internal.journal;

import java.io.IOException;

/**
 * How a journal carries on after an I/O error (see {@link IoFaults} for which ones it survives).
 *
 * <p>A failure for lack of space is treated like a crash that the process survived: what is on
 * disk is what a crash at that point leaves, which recovery is built to take up, and what is
 * held in memory is brought back to it. The index is read again from its last commit (MVStore
 * closes itself when a write of it fails, and a half-made commit must not be committed by a
 * later one). Then:
 *
 * <ul>
 *   <li>an undo record that could not be appended was not appended (a partial frame is cut
 *       off), and the change it protects is not made;
 *   <li>a sealed epoch whose commit failed stays sealed, its segment open, until a retry cuts
 *       the segment back to where it was sealed and commits it again;
 *   <li>a restore that stopped part way is finished like an interrupted one on open, from the
 *       index and the undo progress, once what it restored so far is forced; until then no
 *       undo record is appended (so no change of a tracked file is made).
 * </ul>
 *
 * <p>A fatal error stops the journal: a force of an undo record that failed, or the remains of
 * a failed append that could not be cut off. No record is appended after it.
 */
final class JournalFaults {
  private final JournalStore store;
  private volatile IOException stoppedBy;
  /** The target of a restore that stopped part way for lack of space, or -1. */
  private volatile long restoreTarget = -1;
  private volatile Throwable restoreFailure;
  /** The sealed epoch not committed yet (in flight, or failed for lack of space), or null. */
  private volatile Journal.Sealed unfinishedCommit;

  JournalFaults(JournalStore store) {
    this.store = store;
  }

  /** The fatal error that stopped the journal, or null. */
  IOException stoppedBy() {
    return stoppedBy;
  }

  /** The target of a restore that stopped part way and is not finished yet, or -1. */
  long restoreTarget() {
    return restoreTarget;
  }

  /** Refuses an append while the journal is stopped or a restore is unfinished. */
  void checkAppend() throws IOException {
    IOException stopped = stoppedBy;
    if (stopped != null) {
      throw new IOException(
          "this Checkpointer stopped after an I/O error (" + stopped.getMessage()
              + "); close it and open the store again to recover it to its last committed epoch",
          stopped);
    }
    long target = restoreTarget;
    if (target >= 0) {
      throw IoFaults.diskFull(
          store.files.store.toString(),
          store.files.store,
          "a restore to epoch " + target + " stopped part way",
          "The tracked files are partly restored and cannot be changed until it is finished: free"
              + " space on that disk and call restore(" + target + ") again (or commit(), which"
              + " finishes it first)",
          -1,
          restoreFailure);
    }
  }

  /** What to throw for a failed append of {@code record}. */
  IOException appendFailed(UndoRecord record, IOException e) {
    if (!IoFaults.recoverable(e)) {
      if (e instanceof IoFaults.Fatal) {
        stoppedBy = e;
      }
      return e;
    }
    String path = pathOf(record);
    return IoFaults.diskFull(
        path == null ? store.files.store.toString() : path,
        store.files.store,
        "cannot journal " + whatOf(record) + (path == null ? "" : " of " + path) + " before changing it",
        "Nothing was changed: free space on that disk and retry",
        e);
  }

  /**
   * What to throw when what a change removes could not be put into the trash ({@code path}), or
   * no trash entry could be made for it ({@code path} null).
   */
  IOException trashFailed(String path, IOException e) {
    if (!IoFaults.recoverable(e)) {
      if (e instanceof IoFaults.Fatal) {
        stoppedBy = e;
      }
      return e;
    }
    return IoFaults.diskFull(
        path == null ? store.files.trash.toString() : path,
        store.files.store,
        path == null ? "cannot make room in the store's trash for what the change removes" : "cannot keep " + path + " in the store's trash",
        "Nothing was changed: free space on that disk and retry",
        e);
  }

  /** A sealed epoch, not committed yet: its segment is closed with the journal unless a commit closes it. */
  void sealed(Journal.Sealed sealed) {
    unfinishedCommit = sealed;
  }

  /** After a failed commit: the index drops what the commit put into it, if it may be retried. */
  void commitFailed(Throwable e) {
    if (IoFaults.recoverable(e)) {
      reopenIndex(e);
    }
  }

  void committed() {
    unfinishedCommit = null;
  }

  /**
   * After a restore to {@code target} failed: if the failure allows it, forces what was
   * restored (a retry goes on from the undo progress and forces only what it restores itself)
   * and remembers the restore to finish.
   */
  void restoreFailed(long target, UndoTarget undo, Throwable e) {
    if (!IoFaults.recoverable(e)) {
      return;
    }
    try {
      undo.finish();
    } catch (IOException | RuntimeException f) {
      e.addSuppressed(IoFaults.fatal("what the restore had restored could not be made durable", f));
    }
    reopenIndex(e);
    if (IoFaults.recoverable(e)) {
      restoreFailure = e;
      restoreTarget = target;
    }
  }

  void restored() {
    restoreTarget = -1;
    restoreFailure = null;
  }

  private void reopenIndex(Throwable e) {
    try {
      store.reopenIndex();
    } catch (IOException | RuntimeException f) {
      e.addSuppressed(IoFaults.fatal("the index could not be read again after a failed write", f));
    }
  }

  /** Closes the segment of a sealed epoch that was not committed, if any. */
  void close() throws IOException {
    Journal.Sealed sealed = unfinishedCommit;
    unfinishedCommit = null;
    if (sealed != null && sealed.segment != null) {
      sealed.segment.close();
    }
  }

  private static String pathOf(UndoRecord r) {
    if (r instanceof UndoRecord.Touch t) {
      return t.path();
    } else if (r instanceof UndoRecord.Block b) {
      return b.path();
    } else if (r instanceof UndoRecord.Created c) {
      return c.path();
    } else if (r instanceof UndoRecord.Trashed t) {
      return t.path();
    } else if (r instanceof UndoRecord.Moved m) {
      return m.from();
    }
    return null;
  }

  private static String whatOf(UndoRecord r) {
    if (r instanceof UndoRecord.Touch || r instanceof UndoRecord.Block) {
      return "the old contents";
    } else if (r instanceof UndoRecord.Created) {
      return "the creation";
    } else if (r instanceof UndoRecord.Trashed) {
      return "the removal";
    } else if (r instanceof UndoRecord.Moved) {
      return "the rename";
    }
    return "the undo record";
  }
}
