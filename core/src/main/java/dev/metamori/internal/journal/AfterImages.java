package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The new contents of the files a commit does not force, {@code segments/{epoch}.after}: a
 * durable commit writes, for each file it defers, the bytes the epoch changed, the file's size
 * and its attributes as redo records ({@link UndoRecord.Redo}, {@link UndoRecord.RedoAttributes})
 * ending with {@link UndoRecord.RedoMark} 0, and forces this one file instead of every file
 * (design.md, "Deferred flushes"). The data files are forced later, off the committing thread;
 * the file is deleted (durably) once they are. Until then, the open after a power loss applies
 * it to bring the deferred files to the committed epoch.
 *
 * <p>At most one committed epoch has after-images at any time, and it is the current one: a
 * commit waits for the files of the epoch before it to be forced (and its after-images deleted)
 * before it writes its commit record, and a restore does before it changes anything.
 */
public final class AfterImages {
  private final JournalStore store;
  private final Segment segment;

  private AfterImages(JournalStore store, Segment segment) {
    this.store = store;
    this.segment = segment;
  }

  /** Starts the after-images of the sealed epoch {@code epoch}, replacing any earlier try's. */
  static AfterImages create(JournalStore store, long epoch) throws IOException {
    Path file = store.files.after(epoch);
    Files.deleteIfExists(file);
    return new AfterImages(store, Segment.create(file, epoch, store.newNonce(), store.blockSize, 0));
  }

  /** The epoch these after-images belong to. */
  public long epoch() {
    return segment.epoch;
  }

  /** Appends {@code record}, a {@link UndoRecord.Redo} or {@link UndoRecord.RedoAttributes} of step 0. */
  public void add(UndoRecord record) throws IOException {
    segment.append(record);
  }

  /** Ends the after-images (a mark of step 0) and forces them: the commit may follow. */
  public void seal() throws IOException {
    segment.append(new UndoRecord.RedoMark(0));
    segment.force();
  }

  /** Bytes written so far. */
  public long size() {
    return segment.size();
  }

  /**
   * Deletes the after-images once the files they describe are forced: durably, so that no
   * later open applies them over later changes.
   */
  public void delete() throws IOException {
    segment.close();
    Files.deleteIfExists(segment.file);
    StoreFiles.forceDirectory(store.files.segments);
  }

  /** Closes the after-images and leaves them for the next open. */
  public void abandonOpen() throws IOException {
    segment.close();
  }

  /** Drops after-images that no commit will use (not durably: an open drops them too). */
  public void abandon() throws IOException {
    segment.close();
    Files.deleteIfExists(segment.file);
  }

  /**
   * On open, after the uncommitted epochs were undone: applies the after-images of the current
   * epoch, if it has any, to {@code undo} and forces what they changed, then deletes every
   * after-images file (those of an epoch that was never committed are dropped unread).
   *
   * @return whether after-images were applied
   * @throws CorruptStoreException if the current epoch's after-images are damaged or incomplete
   */
  static boolean replay(JournalStore store, UndoTarget undo) throws IOException {
    boolean applied = false;
    boolean found = false;
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(store.files.segments, "*.after")) {
      for (Path file : stream) {
        found = true;
        if (file.getFileName().toString().equals(store.files.after(store.current).getFileName().toString())) {
          apply(file, store.current, undo);
          applied = true;
        }
      }
    }
    if (found) {
      try (DirectoryStream<Path> stream = Files.newDirectoryStream(store.files.segments, "*.after")) {
        for (Path file : stream) {
          Files.delete(file);
        }
      }
      StoreFiles.forceDirectory(store.files.segments);
    }
    return applied;
  }

  private static void apply(Path file, long epoch, UndoTarget undo) throws IOException {
    try (Segment s = Segment.open(file)) {
      if (s.epoch != epoch) {
        throw s.corrupt(0, "the after-images file's header names epoch " + s.epoch);
      }
      Segment.Scan scan = s.scan();
      int n = scan.count();
      UndoRecord last = n == 0 ? null : s.read(scan.offsets()[n - 1], n - 1);
      if (scan.tornTail() || !(last instanceof UndoRecord.RedoMark)) {
        throw s.corrupt(
            scan.validEnd(),
            "the after-images of the current epoch are incomplete, so files its commit did not force"
                + " may have lost data in an OS crash or power loss; restore a backup of the store and"
                + " of the tracked trees");
      }
      // read whole first: damage changes nothing
      UndoRecord[] records = new UndoRecord[n - 1];
      for (int i = 0; i < n - 1; i++) {
        records[i] = s.read(scan.offsets()[i], i);
      }
      for (UndoRecord r : records) {
        undo.apply(r);
      }
    }
    undo.finish();
  }
}
