package dev.metamori.bench;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The least work a block journal can do, for the {@code floor} and {@code floor-none} baselines
 * of {@link CommitRollbackBenchmark}: what bounds a Metamori commit and rollback, measured on the
 * same tree and the same change.
 *
 * <ul>
 *   <li>Before each write (outside the measurement, like Metamori's first touch), the old block
 *       is read and appended to an undo file.
 *   <li>{@link #commit()}: the new contents of the changed blocks are read back (from the page
 *       cache) and written with one sequential write, then forced once ({@code floor}) or not
 *       ({@code floor-none}): one sequential write of the changed bytes plus one flush. {@code
 *       floor-undo} also forces the undo file, in parallel: what a journal that keeps committed
 *       epochs restorable after a power loss must make durable at a commit (the old bytes and
 *       the new ones), which is Metamori's case in its default durability.
 *   <li>{@link #rollback()}: newest first, each changed block's current bytes are read and
 *       appended to a redo file (so the change can be redone, as Metamori keeps it), its old
 *       bytes read from the undo file and written back in place; then ({@code floor}) the redo
 *       file and the changed files are forced, the files from 8 threads.
 * </ul>
 *
 * No checksums, no compression, no index, no crash safety: a floor, not a design.
 */
final class FloorJournal implements Closeable {
  private static final int BLOCK = 4096;

  private final boolean force;
  private final boolean forceUndo;
  private final FileChannel undo;
  private final FileChannel redo;
  private final FileChannel log;
  private final List<Path> files = new ArrayList<>();
  private long[] positions = new long[1024];
  private final ByteBuffer block = ByteBuffer.allocateDirect(BLOCK);
  private final ExecutorService forcers = Executors.newFixedThreadPool(8, r -> {
    Thread t = new Thread(r, "floor-force");
    t.setDaemon(true);
    return t;
  });

  FloorJournal(Path dir, boolean force, boolean forceUndo) throws IOException {
    this.force = force;
    this.forceUndo = forceUndo;
    undo = open(dir.resolve("floor-undo"));
    redo = open(dir.resolve("floor-redo"));
    log = open(dir.resolve("floor-log"));
  }

  private static FileChannel open(Path file) throws IOException {
    return FileChannel.open(
        file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  /** Starts a new epoch: forgets the changes so far. */
  void newEpoch() throws IOException {
    files.clear();
    undo.truncate(0);
    redo.truncate(0);
  }

  /** Saves the block at {@code pos} of {@code file}, about to be overwritten. */
  void beforeWrite(Path file, long pos) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ)) {
      read(c, pos);
    }
    write(undo, (long) files.size() * BLOCK);
    if (files.size() == positions.length) {
      positions = java.util.Arrays.copyOf(positions, positions.length * 2);
    }
    positions[files.size()] = pos;
    files.add(file);
  }

  void commit() throws IOException {
    ByteBuffer all = ByteBuffer.allocateDirect(files.size() * BLOCK);
    Map<Path, FileChannel> open = new LinkedHashMap<>();
    try {
      for (int i = 0; i < files.size(); i++) {
        FileChannel c = channel(open, files.get(i), StandardOpenOption.READ);
        all.limit((i + 1) * BLOCK);
        while (all.hasRemaining()) {
          c.read(all, positions[i] + all.position() - (long) i * BLOCK);
        }
      }
    } finally {
      closeAll(open);
    }
    all.flip();
    BenchFiles.writeFully(log, all, 0);
    Future<?> undone = null;
    if (forceUndo) {
      undone = forcers.submit(() -> {
        undo.force(false);
        return null;
      });
    }
    if (force) {
      log.force(false);
    }
    if (undone != null) {
      try {
        undone.get();
      } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
        throw new IOException(e);
      }
    }
  }

  void rollback() throws IOException {
    Map<Path, FileChannel> open = new LinkedHashMap<>();
    try {
      for (int i = files.size() - 1; i >= 0; i--) {
        FileChannel c = channel(open, files.get(i), StandardOpenOption.READ, StandardOpenOption.WRITE);
        read(c, positions[i]);
        write(redo, (long) (files.size() - 1 - i) * BLOCK);
        read(undo, (long) i * BLOCK);
        write(c, positions[i]);
      }
      if (force) {
        redo.force(false);
        List<Future<?>> done = new ArrayList<>();
        for (FileChannel c : open.values()) {
          done.add(forcers.submit(() -> {
            c.force(false);
            return null;
          }));
        }
        for (Future<?> f : done) {
          f.get();
        }
      }
    } catch (InterruptedException | java.util.concurrent.ExecutionException e) {
      throw new IOException(e);
    } finally {
      closeAll(open);
    }
  }

  private static FileChannel channel(Map<Path, FileChannel> open, Path file, StandardOpenOption... options)
      throws IOException {
    FileChannel c = open.get(file);
    if (c == null) {
      c = FileChannel.open(file, options);
      open.put(file, c);
    }
    return c;
  }

  private static void closeAll(Map<Path, FileChannel> open) throws IOException {
    for (FileChannel c : open.values()) {
      c.close();
    }
  }

  private void read(FileChannel c, long pos) throws IOException {
    block.clear();
    while (block.hasRemaining()) {
      if (c.read(block, pos + block.position()) < 0) {
        throw new IOException("short read at " + pos);
      }
    }
    block.flip();
  }

  private void write(FileChannel c, long pos) throws IOException {
    BenchFiles.writeFully(c, block, pos);
  }

  @Override
  public void close() throws IOException {
    forcers.shutdown();
    undo.close();
    redo.close();
    log.close();
  }
}
