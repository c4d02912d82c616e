package dev.metamori.junit;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.OutsideChange;
import dev.metamori.RestoreOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.stream.Collectors;
import org.opentest4j.AssertionFailedError;

/**
 * One store and the directory it tracks, both in a fresh temporary directory that {@link
 * #close()} deletes. The store is opened with {@link Durability#NONE}: it lives only as long as
 * the test or the test class, so nothing needs to survive a power loss.
 */
final class TrackedStore implements AutoCloseable {
  private final Path home;
  private final Path dir;
  private final Checkpointer checkpointer;
  private boolean closed;
  private String lostBaseline;
  private String running;
  private String runningName;

  private TrackedStore(Path home, Path dir, Checkpointer checkpointer) {
    this.home = home;
    this.dir = dir;
    this.checkpointer = checkpointer;
  }

  /** Creates a temporary directory with an empty tracked directory and a new store in it. */
  static TrackedStore open() throws IOException {
    Path home = Files.createTempDirectory("metamori-junit-");
    try {
      Path dir = Files.createDirectory(home.resolve("tracked"));
      Checkpointer cp =
          Checkpointer.builder(home.resolve("store"))
              .track(dir)
              .durability(Durability.NONE)
              .open();
      return new TrackedStore(home, dir, cp);
    } catch (IOException | RuntimeException e) {
      deleteTree(home, e);
      throw e;
    }
  }

  Checkpointer checkpointer() {
    return checkpointer;
  }

  FileSystem fileSystem() {
    return checkpointer.fileSystem();
  }

  /** The tracked directory as a path of the journaling file system. */
  Path trackedDir() {
    return checkpointer.fileSystem().getPath(dir.toString());
  }

  /** The temporary directory that holds the store and the tracked directory. */
  Path home() {
    return home;
  }

  /** The object asked for by a field or parameter of type {@code type}. */
  Object get(Class<?> type) {
    if (type == Path.class) {
      return trackedDir();
    }
    if (type == FileSystem.class) {
      return fileSystem();
    }
    return checkpointer;
  }

  long commit() throws IOException {
    checkUsable();
    return checkpointer.commit();
  }

  /**
   * Restores the tracked directory, the regions and the objects to {@code epoch}, after {@code
   * test} ran. If the test changed the directory behind the checkpointer's back, this deletes
   * the entries created that way, restores over the other changes, then fails, naming them; if
   * entries the store knew were changed or deleted that way, their earlier contents are lost and
   * every later {@link #checkUsable} fails with the same message.
   */
  void restore(long epoch, String test) throws IOException {
    checkUsable();
    List<OutsideChange> outside = checkpointer.status();
    if (outside.isEmpty()) {
      checkpointer.restore(epoch);
      return;
    }
    for (OutsideChange change : outside) {
      if (change.kind() == OutsideChange.Kind.CREATED
          && Files.exists(change.path(), LinkOption.NOFOLLOW_LINKS)) {
        deleteTree(change.path(), null); // the store never knew it: gone, it is no change
      }
    }
    boolean lost = !checkpointer.status().isEmpty();
    if (lost) {
      checkpointer.restore(epoch, RestoreOption.OVERWRITE_OUTSIDE_CHANGES);
    } else {
      checkpointer.restore(epoch);
    }
    String message =
        test
            + " changed the tracked directory "
            + dir
            + " behind the checkpointer's back: "
            + outside.stream().map(OutsideChange::toString).collect(Collectors.joining(", "))
            + ". Write through the @Tracked Path (or paths of the @Tracked FileSystem): Path.of,"
            + " File and the default file system bypass the journal. "
            + (lost
                ? "The store never saw what those changes destroyed, so the directory cannot go"
                    + " back to its baseline."
                : "The entries created that way were deleted.");
    if (lost) {
      lostBaseline = message;
    }
    throw new AssertionFailedError(message);
  }

  /**
   * Notes that the test {@code id} ({@code name} in messages) runs on this store until {@link
   * #end}: a store holds one state, so two tests that share it must not run at the same time.
   */
  synchronized void begin(String id, String name) {
    if (running != null) {
      throw new IllegalStateException(
          name
              + " and "
              + runningName
              + " ran at the same time on the store of their class, which holds one state: run"
              + " the class's tests one at a time (@Execution(ExecutionMode.SAME_THREAD) on the"
              + " class), or ask for a store per test");
    }
    running = id;
    runningName = name;
  }

  /** Whether the test {@code id} is the one running on this store. */
  synchronized boolean runs(String id) {
    return id.equals(running);
  }

  /** Notes that the test {@code id}, which {@link #runs}, is done with this store. */
  synchronized void end(String id) {
    if (id.equals(running)) {
      running = null;
      runningName = null;
    }
  }

  /**
   * Fails if the directory cannot be put back to its baseline any more, or the test closed the
   * checkpointer.
   */
  void checkUsable() {
    if (lostBaseline != null) {
      throw new IllegalStateException("the tracked directory lost its baseline: " + lostBaseline);
    }
    if (!checkpointer.fileSystem().isOpen()) {
      throw new IllegalStateException(
          "the Checkpointer of "
              + dir
              + " was closed by the test; the extension opens and closes it, leave it open");
    }
  }

  /** Closes the store and deletes it with the tracked directory. Idempotent. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    IOException failure = null;
    try {
      checkpointer.close();
    } catch (IOException e) {
      failure = e;
    }
    deleteTree(home, failure);
    if (failure != null) {
      throw failure;
    }
  }

  /** Deletes {@code root} and all under it, adding a failure to {@code primary} if there is one. */
  private static void deleteTree(Path root, Exception primary) throws IOException {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.delete(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              Files.delete(d);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException | UncheckedIOException e) {
      if (primary == null) {
        throw e instanceof UncheckedIOException u ? u.getCause() : (IOException) e;
      }
      primary.addSuppressed(e);
    }
  }
}
