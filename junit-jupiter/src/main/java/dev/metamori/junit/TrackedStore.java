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
    checkMine();
    return checkpointer.commit();
  }

  /**
   * Restores the tracked directory, the regions and the objects to {@code epoch}, after {@code
   * test} ran. Changes the test made behind the checkpointer's back are restored over and entries
   * it created that way are deleted, so that the next test still starts from {@code epoch}; then
   * this fails, naming them.
   */
  void restore(long epoch, String test) throws IOException {
    checkMine();
    List<OutsideChange> outside = checkpointer.status();
    if (outside.isEmpty()) {
      checkpointer.restore(epoch);
      return;
    }
    checkpointer.restore(epoch, RestoreOption.OVERWRITE_OUTSIDE_CHANGES);
    for (OutsideChange left : checkpointer.status()) {
      if (left.kind() == OutsideChange.Kind.CREATED) {
        deleteTree(left.path(), null);
      }
    }
    throw new AssertionFailedError(
        test
            + " changed the tracked directory "
            + dir
            + " behind the checkpointer's back: "
            + outside.stream().map(OutsideChange::toString).collect(Collectors.joining(", "))
            + ". They were undone. Write through the @Tracked Path (or paths of the @Tracked"
            + " FileSystem): Path.of, File and the default file system bypass the journal.");
  }

  private void checkMine() {
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
