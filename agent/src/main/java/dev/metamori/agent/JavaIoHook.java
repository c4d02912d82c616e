package dev.metamori.agent;

import com.google.common.collect.MapMaker;
import dev.metamori.agent.bootstrap.IoHook;
import dev.metamori.internal.fs.JavaIoJournal;
import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.SecureRandom;
import java.util.Set;
import java.util.concurrent.ConcurrentMap;

/**
 * The agent's side of the {@code java.io} interception: decides whether a call concerns a
 * tracked root and, if so, journals it ({@link JavaIoJournal}) or does it through the journaling
 * file system. Streams and files opened on a tracked path are remembered (weakly) with the real
 * path they were opened on; their writes are journaled there.
 *
 * <p>A thread already inside the hook passes through: the journal's own I/O never comes back.
 */
final class JavaIoHook implements IoHook {
  private static final Set<OpenOption> TRUNCATE =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
  private static final Set<OpenOption> APPEND =
      Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  private static final Set<OpenOption> CREATE = Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE);

  private final JavaIoJournal journal;
  private final FileSystem platform;
  /** Tracked streams and random-access files, by identity, until collected. */
  private final ConcurrentMap<Object, Opened> open = new MapMaker().weakKeys().makeMap();
  private final ThreadLocal<Boolean> busy = new ThreadLocal<>();
  private final SecureRandom random = new SecureRandom();

  private record Opened(Path real, boolean append) {}

  JavaIoHook(JavaIoJournal journal, FileSystem platform) {
    this.journal = journal;
    this.platform = platform;
  }

  /** The platform path of {@code file}, or null if it has none (an invalid name). */
  private Path pathOf(File file) {
    try {
      return platform.getPath(file.getPath());
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private boolean enter() {
    if (busy.get() != null) {
      return false;
    }
    busy.set(Boolean.TRUE);
    return true;
  }

  private void exit() {
    busy.remove();
  }

  @Override
  public Object openOutput(File file, boolean append) throws IOException {
    return opening(file, append ? APPEND : TRUNCATE);
  }

  @Override
  public Object openRandomAccess(File file, String mode) throws IOException {
    return opening(file, mode.equals("r") ? null : CREATE);
  }

  /**
   * The real path of {@code file} if tracked, after doing what opening it with {@code options}
   * does before a write (null: a read-only open, nothing to do).
   */
  private Object opening(File file, Set<OpenOption> options) throws IOException {
    Path path = pathOf(file);
    if (path == null || options == null || !enter()) {
      return null;
    }
    try {
      Path real = journal.trackedReal(path);
      if (real != null) {
        try {
          journal.open(path, options);
        } catch (FileSystemException e) {
          // as the JDK reports a file it cannot open
          FileNotFoundException f = new FileNotFoundException(file.getPath() + " (" + reason(e) + ")");
          f.initCause(e);
          throw f;
        }
      }
      return real;
    } finally {
      exit();
    }
  }

  /** The reason as the JDK words it for a file it cannot open. */
  private static String reason(FileSystemException e) {
    if (e instanceof NoSuchFileException) {
      return "No such file or directory";
    }
    if (e instanceof AccessDeniedException) {
      return "Permission denied";
    }
    return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
  }

  @Override
  public void opened(Object stream, Object opening, boolean append) {
    open.put(stream, new Opened((Path) opening, append));
  }

  @Override
  public Object beforeWrite(Object stream, long length) throws IOException {
    Opened o = open.get(stream);
    if (o == null || !enter()) {
      return null;
    }
    try {
      long position;
      if (o.append) {
        position = -1;
      } else if (stream instanceof RandomAccessFile) {
        position = ((RandomAccessFile) stream).getFilePointer();
      } else {
        position = ((FileOutputStream) stream).getChannel().position();
      }
      return journal.beforeWrite(o.real, position, length);
    } finally {
      exit();
    }
  }

  @Override
  public Object beforeSetLength(Object file, long newLength) throws IOException {
    Opened o = open.get(file);
    if (o == null || !enter()) {
      return null;
    }
    try {
      return journal.beforeSetLength(o.real, newLength);
    } finally {
      exit();
    }
  }

  @Override
  public Object beforeChannelWrite(Object parent, Object channel, long position, long length)
      throws IOException {
    Opened o = open.get(parent);
    if (o == null || length <= 0 || !enter()) {
      return null;
    }
    try {
      long pos = position >= 0 ? position : o.append ? -1 : ((FileChannel) channel).position();
      return journal.beforeWrite(o.real, pos, length);
    } finally {
      exit();
    }
  }

  @Override
  public Object beforeChannelGather(Object parent, Object channel, ByteBuffer[] srcs, int offset, int length)
      throws IOException {
    if (offset < 0 || length < 0 || offset > srcs.length - length) {
      return null; // the JDK reports the bad bounds
    }
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      total += srcs[i] == null ? 0 : srcs[i].remaining();
    }
    return beforeChannelWrite(parent, channel, -1, total);
  }

  /** The journaling path of {@code file} if it names an entry under a tracked root, else null. */
  private Path trackedEntry(File file) {
    Path path = pathOf(file);
    return path != null && journal.isTrackedEntry(path) ? journal.journaled(path) : null;
  }

  /** A change of names: returns null (pass through) when no path is tracked. */
  private interface Change {
    Boolean run() throws IOException;
  }

  private Boolean guarded(Change change) {
    if (!enter()) {
      return null;
    }
    try {
      return change.run();
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      return Boolean.FALSE; // java.io reports failure, not why
    } finally {
      exit();
    }
  }

  @Override
  public Boolean delete(File file) {
    return guarded(() -> {
      Path j = trackedEntry(file);
      if (j == null) {
        return null;
      }
      Files.delete(j);
      return Boolean.TRUE;
    });
  }

  @Override
  public Boolean renameTo(File from, File to) {
    return guarded(() -> {
      Path a = pathOf(from);
      Path b = pathOf(to);
      if (a == null || b == null || !(journal.isTrackedEntry(a) || journal.isTrackedEntry(b))) {
        return null;
      }
      // rename(2), as java.io does: replaces an existing target
      Files.move(journal.journaled(a), journal.journaled(b), StandardCopyOption.ATOMIC_MOVE);
      return Boolean.TRUE;
    });
  }

  @Override
  public Boolean mkdir(File dir) {
    return guarded(() -> {
      Path j = trackedEntry(dir);
      if (j == null) {
        return null;
      }
      Files.createDirectory(j);
      return Boolean.TRUE;
    });
  }

  @Override
  public Boolean setLastModified(File file, long time) {
    return guarded(() -> {
      Path path = pathOf(file);
      if (path == null || !journal.isTracked(path)) {
        return null;
      }
      Files.setLastModifiedTime(journal.journaled(path), FileTime.fromMillis(time));
      return Boolean.TRUE;
    });
  }

  @Override
  public Boolean createNewFile(File file) throws IOException {
    if (!enter()) {
      return null;
    }
    try {
      Path j = trackedEntry(file);
      if (j == null) {
        return null;
      }
      try {
        Files.createFile(j);
        return Boolean.TRUE;
      } catch (FileAlreadyExistsException e) {
        return Boolean.FALSE;
      }
    } finally {
      exit();
    }
  }

  @Override
  public File createTempFile(String prefix, String suffix, File directory) throws IOException {
    File dir = directory != null ? directory : new File(System.getProperty("java.io.tmpdir"));
    Path path = pathOf(dir);
    if (path == null || !journal.isTracked(path) || !enter()) {
      return null;
    }
    try {
      String end = suffix == null ? ".tmp" : suffix;
      while (true) {
        String name = prefix + Long.toUnsignedString(random.nextLong()) + end;
        try {
          Files.createFile(journal.journaled(path.resolve(name)));
          return new File(dir, name);
        } catch (FileAlreadyExistsException e) {
          // another name
        }
      }
    } finally {
      exit();
    }
  }
}
