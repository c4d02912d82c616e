package dev.metamori.internal.journal;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.CheckpointException;
import dev.metamori.NoSuchEpochException;
import dev.metamori.StoreLockedException;
import dev.metamori.internal.journal.UndoRecord.Commit;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The epoch journal of one store directory:
 *
 * <pre>
 *   LOCK                     held while the store is open
 *   index.mv                 MVStore: committed epochs, record positions, store metadata
 *   segments/{epoch}.seg     undo records of one epoch (source of truth)
 *   trash/{epoch}/{n}        files and directories removed from the trees during that epoch
 *   undo.progress            how far an interrupted undo got
 * </pre>
 *
 * The working epoch (the changes since {@link #currentEpoch()}) has id {@link
 * #workingEpoch()}; its segment is created on its first record. An epoch is committed when the
 * index says so; segments of uncommitted epochs are undone and deleted by {@link
 * #finishUndo(UndoTarget)}. Not thread-safe except {@link #append} and {@link #newTrashEntry};
 * the caller serialises the rest.
 */
public final class Journal implements Closeable {
  static final long FORMAT = 1;
  private static final String META_FORMAT = "format";
  private static final String META_BLOCK_SIZE = "blockSize";
  private static final String META_CURRENT = "current";
  private static final String META_NEXT = "next";
  private static final String META_ROLLBACK_TARGET = "rollbackTarget";

  private final Path store;
  private final Path segments;
  private final Path trash;
  private final FileChannel lockChannel;
  private final EpochIndex index;
  private final UndoProgress progress;
  private final int blockSize;
  private final SecureRandom random = new SecureRandom();
  private final AtomicLong trashCounter = new AtomicLong();
  private long current;
  private long next;
  private volatile Segment working;

  private Journal(Path store, FileChannel lockChannel, EpochIndex index, UndoProgress progress, int blockSize) {
    this.store = store;
    this.segments = store.resolve("segments");
    this.trash = store.resolve("trash");
    this.lockChannel = lockChannel;
    this.index = index;
    this.progress = progress;
    this.blockSize = blockSize;
    this.current = index.meta(META_CURRENT, 0);
    this.next = index.meta(META_NEXT, 1);
  }

  /**
   * Opens or creates the journal in {@code store} and locks it. Does not recover: call {@link
   * #finishUndo(UndoTarget)} before anything else.
   *
   * @param requestedBlockSize 0 for the store's block size (4 KiB for a new store)
   */
  public static Journal open(Path store, int requestedBlockSize, long nowMillis) throws IOException {
    Files.createDirectories(store);
    Files.createDirectories(store.resolve("segments"));
    Files.createDirectories(store.resolve("trash"));
    FileChannel lock = lock(store);
    EpochIndex index = null;
    UndoProgress progress = null;
    try {
      index = new MvStoreIndex(store.resolve("index.mv"));
      long format = index.meta(META_FORMAT, -1);
      if (format == -1) {
        int blockSize = requestedBlockSize == 0 ? 4096 : requestedBlockSize;
        index.putMeta(META_FORMAT, FORMAT);
        index.putMeta(META_BLOCK_SIZE, blockSize);
        index.putMeta(META_CURRENT, 0);
        index.putMeta(META_NEXT, 1);
        index.putEpoch(new EpochInfo(0, -1, nowMillis, 0, 0, 0, 0));
        index.commit(true);
        forceDirectory(store);
      } else if (format != FORMAT) {
        throw new CheckpointException(
            "store "
                + store
                + " has format version "
                + format
                + ", which this version of Metamori (format "
                + FORMAT
                + ") cannot read: open it with the version that wrote it");
      }
      int blockSize = (int) index.meta(META_BLOCK_SIZE, 4096);
      if (requestedBlockSize != 0 && requestedBlockSize != blockSize) {
        throw new CheckpointException(
            "store "
                + store
                + " was created with block size "
                + blockSize
                + ", not "
                + requestedBlockSize
                + ": leave the block size unset to reopen it");
      }
      progress = new UndoProgress(store.resolve("undo.progress"));
      return new Journal(store, lock, index, progress, blockSize);
    } catch (IOException | RuntimeException e) {
      closeQuietly(progress, e);
      closeQuietly(index, e);
      closeQuietly(lock, e);
      throw e;
    }
  }

  private static FileChannel lock(Path store) throws IOException {
    Path file = store.resolve("LOCK");
    FileChannel channel =
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      channel.close();
      throw new StoreLockedException(store, "another Checkpointer in this process");
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = "another process";
      try {
        String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (!pid.isEmpty()) {
          holder = "another process (pid " + pid + ")";
        }
      } catch (IOException ignored) {
        // the holder's pid is only decoration for the message
      }
      channel.close();
      throw new StoreLockedException(store, holder);
    }
    channel.truncate(0);
    Segment.writeFully(
        channel,
        ByteBuffer.wrap(
            (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
        0);
    return channel;
  }

  public Path store() {
    return store;
  }

  public int blockSize() {
    return blockSize;
  }

  /** The epoch the trees were last committed or rolled back to. */
  public long currentEpoch() {
    return current;
  }

  /** The id the working epoch will get when committed. */
  public long workingEpoch() {
    return next;
  }

  /** Committed epochs on the current line, oldest first. */
  public List<EpochInfo> epochs() {
    List<EpochInfo> all = index.epochs();
    all.sort(Comparator.comparingLong(EpochInfo::id));
    return all;
  }

  /** The committed epoch {@code id}, or null. */
  public EpochInfo epoch(long id) {
    return index.epoch(id);
  }

  /**
   * Appends an undo record to the working epoch's segment. When this returns the record is in
   * the file (written, not forced), so it survives the death of this process.
   *
   * @return the bytes the record took in the journal
   */
  public int append(UndoRecord record) throws IOException {
    Segment segment = working;
    if (segment == null) {
      segment = openWorking();
    }
    return segment.append(record);
  }

  private synchronized Segment openWorking() throws IOException {
    if (working == null) {
      long nonce;
      do {
        nonce = random.nextLong();
      } while (nonce == 0);
      working = Segment.create(segmentFile(next), next, nonce, blockSize);
    }
    return working;
  }

  /**
   * A fresh path in the working epoch's trash, and the name a {@link UndoRecord.Trashed}
   * record stores for it.
   */
  public String newTrashEntry() throws IOException {
    Path dir = trash.resolve(Long.toString(next));
    Files.createDirectories(dir);
    return next + "/" + trashCounter.incrementAndGet();
  }

  /** The path of a trash entry named by {@link #newTrashEntry()}. */
  public Path trashPath(String name) {
    return trash.resolve(name);
  }

  /**
   * Commits the working epoch: appends its commit record, forces its segment, indexes it and
   * makes it the current epoch durably.
   */
  public EpochInfo commit(long nowMillis) throws IOException {
    long id = next;
    long bytes = 0;
    long blocks = 0;
    long files = 0;
    long nonce = 0;
    Segment segment = working;
    if (segment != null) {
      segment.append(new Commit(current, nowMillis));
      segment.force();
      Segment.Scan scan = segment.scan();
      if (scan.tornTail()) {
        throw segment.corrupt(scan.validEnd(), "the working segment ends in a damaged record");
      }
      for (int seq = 0; seq < scan.count(); seq++) {
        index.putRecord(id, seq, scan.offsets()[seq]);
        byte type = scan.types()[seq];
        if (type == UndoRecord.TOUCH || type == UndoRecord.CREATED) {
          files++;
        }
      }
      long[] keys = scan.blockKeys();
      for (int i = 0; i < keys.length; i += 3) {
        index.putBlock(id, keys[i], keys[i + 1], keys[i + 2]);
        blocks++;
      }
      bytes = scan.validEnd();
      nonce = segment.nonce;
      forceDirectory(segments);
      Path trashDir = trash.resolve(Long.toString(id));
      if (Files.isDirectory(trashDir)) {
        forceDirectory(trashDir);
        forceDirectory(trash);
      }
    }
    EpochInfo epoch = new EpochInfo(id, current, nowMillis, bytes, blocks, files, nonce);
    index.putEpoch(epoch);
    index.putMeta(META_CURRENT, id);
    index.putMeta(META_NEXT, id + 1);
    index.commit(true);
    current = id;
    next = id + 1;
    working = null;
    trashCounter.set(0);
    if (segment != null) {
      segment.close();
    }
    return epoch;
  }

  /**
   * Checks that {@code target} is a valid rollback target, records the intent durably and
   * undoes the working epoch and every epoch after {@code target}, newest first.
   */
  public void rollback(long target, UndoTarget undo) throws IOException {
    checkRollbackTarget(target);
    index.putMeta(META_ROLLBACK_TARGET, target);
    index.commit(true);
    finishUndo(undo);
  }

  /** Throws {@link NoSuchEpochException} unless {@code target} is a valid rollback target. */
  public void checkRollbackTarget(long target) throws NoSuchEpochException {
    if (target < 0) {
      throw new NoSuchEpochException(target, "epoch ids are never negative");
    }
    boolean onLine = false;
    for (EpochInfo e = index.epoch(current); e != null; e = index.epoch(e.parent())) {
      if (e.id() == target) {
        onLine = true;
        break;
      }
    }
    if (!onLine) {
      throw new NoSuchEpochException(
          target,
          target > current
              ? "the current epoch is "
                  + current
                  + "; epochs newer than a rollback target stop being valid targets"
              : "it is not in the store (valid targets: the epochs listed by epochs())");
    }
  }

  /**
   * Brings the trees to a committed epoch: undoes every uncommitted segment, then finishes an
   * interrupted rollback if one was recorded. Called on open (recovery) and by {@link
   * #rollback}. Resumes exactly where an earlier, interrupted call stopped.
   */
  public void finishUndo(UndoTarget undo) throws IOException {
    long target = index.meta(META_ROLLBACK_TARGET, current);
    Segment segment = working;
    working = null;
    if (segment != null) {
      segment.close();
    }
    for (Path file : uncommittedSegments()) {
      if (Files.size(file) < Segment.HEADER_SIZE) {
        // died while creating the segment: no record can have been appended
        Files.delete(file);
        continue;
      }
      try (Segment s = Segment.open(file)) {
        Segment.Scan scan = s.scan();
        undoSegment(s, scan.offsets(), undo);
        deleteTrash(s.epoch);
      }
      Files.delete(file);
    }
    trashCounter.set(0);
    while (current != target) {
      EpochInfo epoch = index.epoch(current);
      if (epoch.segmentNonce() != 0) {
        try (Segment s = Segment.open(segmentFile(epoch.id()))) {
          long[] offsets = index.recordOffsets(epoch.id());
          for (long offset : offsets) {
            s.read(offset); // check everything before changing anything
          }
          undoSegment(s, offsets, undo);
        }
      }
      index.removeEpoch(epoch.id());
      index.putMeta(META_CURRENT, epoch.parent());
      index.commit(true);
      current = epoch.parent();
      Files.deleteIfExists(segmentFile(epoch.id()));
      deleteTrash(epoch.id());
    }
    index.removeMeta(META_ROLLBACK_TARGET);
    index.commit(true);
    undo.finish();
  }

  private void undoSegment(Segment segment, long[] offsets, UndoTarget undo) throws IOException {
    long resume = progress.resumeBefore(segment.nonce);
    for (long seq = Math.min(offsets.length, resume) - 1; seq >= 0; seq--) {
      undo.undo(segment.read(offsets[(int) seq]));
      progress.undone(segment.nonce, seq);
    }
    if (offsets.length == 0) {
      progress.undone(segment.nonce, 0);
    }
  }

  private List<Path> uncommittedSegments() throws IOException {
    List<Path> found = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(segments, "*.seg")) {
      for (Path file : stream) {
        String name = file.getFileName().toString();
        long epoch;
        try {
          epoch = Long.parseLong(name.substring(0, name.length() - 4));
        } catch (NumberFormatException e) {
          continue;
        }
        if (index.epoch(epoch) == null) {
          found.add(file);
        }
      }
    }
    found.sort(Comparator.reverseOrder());
    return found;
  }

  private void deleteTrash(long epoch) throws IOException {
    Path dir = trash.resolve(Long.toString(epoch));
    if (Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  private Path segmentFile(long epoch) {
    return segments.resolve(String.format("%020d.seg", epoch));
  }

  /** Forces a directory's entries to storage, where the platform allows it. */
  public static void forceDirectory(Path dir) throws IOException {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name").startsWith("Windows")) {
        throw e;
      }
    }
  }

  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (Closeable c : new Closeable[] {working, progress, index, lockChannel}) {
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
    working = null;
    if (failure != null) {
      throw failure;
    }
  }

  private static void closeQuietly(Closeable c, Throwable primary) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        primary.addSuppressed(e);
      }
    }
  }
}
