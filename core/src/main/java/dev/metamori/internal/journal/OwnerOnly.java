package dev.metamori.internal.journal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The one place that decides the modes of what a store creates: every directory {@code 0700},
 * every file {@code 0600}, set at creation (so there is no moment at which they are wider) and
 * so independent of the umask, which can only take bits away. A store holds the old contents of
 * every tracked file, region and object: only its owner may read it. On a file system without
 * POSIX permissions nothing is set: such a store is as readable as its directory makes it.
 *
 * <p>On open, {@link #restrict} takes group and other permissions away from the store's own
 * files and directories (those it writes: the store directory, {@code segments/} and its files,
 * {@code trash/} and its epoch directories, {@code index.mv}, {@code undo.progress},
 * {@code LOCK}) and logs a warning naming them: a store written by an earlier version, or
 * copied, is tightened rather than left readable. Trash entries are left alone: they are the
 * application's files, and their modes are what a restore brings back; the 0700 directories
 * above them keep them from others.
 */
public final class OwnerOnly {
  private static final System.Logger LOG = System.getLogger("dev.metamori");
  private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
  private static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> OWNER =
      EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
  /** Paths a warning names before it only counts the rest. */
  private static final int NAMED = 8;

  private OwnerOnly() {}

  private static boolean posix(Path path) {
    return path.getFileSystem().supportedFileAttributeViews().contains("posix");
  }

  private static FileAttribute<?>[] mode(Path path, Set<PosixFilePermission> mode) {
    return posix(path) ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
  }

  /**
   * Creates the store directory if it is missing, {@code 0700}; missing parents are created as
   * the file system's defaults make them (they are not the store's).
   */
  public static void createStoreDirectory(Path store) throws IOException {
    if (Files.isDirectory(store)) {
      return;
    }
    Path parent = store.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    createDirectory(store);
  }

  /** Creates a directory of the store, {@code 0700}, unless it exists already as a directory. */
  public static void createDirectory(Path dir) throws IOException {
    try {
      Files.createDirectory(dir, mode(dir, DIRECTORY));
    } catch (FileAlreadyExistsException e) {
      if (!Files.isDirectory(dir)) {
        throw e;
      }
    }
  }

  /** Opens a file of the store, creating it {@code 0600} if {@code options} create it. */
  public static FileChannel open(Path file, OpenOption... options) throws IOException {
    return FileChannel.open(file, Set.of(options), mode(file, FILE));
  }

  /**
   * Replaces {@code file} with {@code content} at once: writes {@code file.new} ({@code 0600}),
   * forces it and renames it over {@code file}, so that a crash leaves the old file or the new
   * one, never a part.
   */
  public static void replace(Path file, java.nio.ByteBuffer content) throws IOException {
    Path next = file.resolveSibling(file.getFileName() + ".new");
    try (FileChannel c = open(next, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      while (content.hasRemaining()) {
        c.write(content);
      }
      c.force(true);
    }
    Files.move(next, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Creates an empty file of the store, {@code 0600}, unless it exists: for a file a library
   * creates itself (MVStore's), which then finds it there with the store's mode.
   */
  static void createFileIfAbsent(Path file) throws IOException {
    try {
      Files.createFile(file, mode(file, FILE));
    } catch (FileAlreadyExistsException e) {
      // the library's file: opened as it is
    }
  }

  /**
   * Takes group and other permissions away from the store's own files and directories that
   * have any, and logs a warning naming them (and any it could not change, with the command
   * that does). Never fails: the modes are advice to the owner, not a condition of opening.
   */
  static void restrict(StoreFiles files) {
    if (!posix(files.store)) {
      return;
    }
    List<Path> own = new ArrayList<>();
    try {
      for (Path p : List.of(files.store, files.lock(), files.index(), files.catalogue(), files.progress(), files.segments, files.trash)) {
        if (Files.exists(p, NOFOLLOW_LINKS)) {
          own.add(p);
        }
      }
      listInto(files.segments, own, p -> true);
      // the epoch directories of the trash, not the entries in them
      listInto(files.trash, own, p -> Files.isDirectory(p, NOFOLLOW_LINKS));
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "store {0}: its permissions could not be checked: {1}", files.store, e);
      return;
    }
    List<Path> restricted = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    for (Path p : own) {
      try {
        PosixFileAttributes a = Files.readAttributes(p, PosixFileAttributes.class, NOFOLLOW_LINKS);
        if (a.isSymbolicLink() || OWNER.containsAll(a.permissions())) {
          continue;
        }
        Set<PosixFilePermission> narrowed = EnumSet.copyOf(a.permissions());
        narrowed.retainAll(OWNER);
        Files.setPosixFilePermissions(p, narrowed);
        restricted.add(p);
      } catch (IOException | RuntimeException e) {
        failed.add(p + " (" + e.getMessage() + ")");
      }
    }
    if (!restricted.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "store {0}: {1} of its files and directories were open to users other than their owner"
              + " ({2}); the store holds the old contents of every tracked file, so their group and"
              + " other permissions have been removed (Metamori creates them 0700 and 0600)",
          files.store,
          restricted.size(),
          named(restricted));
    }
    if (!failed.isEmpty()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "store {0}: {1} of its files and directories are open to users other than their owner"
              + " and their permissions could not be changed: {2}; the store holds the old contents"
              + " of every tracked file: as their owner, run chmod go-rwx {0} (the store directory"
              + " alone keeps everything in it from others)",
          files.store,
          failed.size(),
          named(failed));
    }
  }

  private static void listInto(Path dir, List<Path> into, java.util.function.Predicate<Path> which)
      throws IOException {
    if (!Files.isDirectory(dir, NOFOLLOW_LINKS)) {
      return;
    }
    try (DirectoryStream<Path> children = Files.newDirectoryStream(dir)) {
      for (Path child : children) {
        if (which.test(child)) {
          into.add(child);
        }
      }
    }
  }

  private static String named(List<?> paths) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(NAMED, paths.size()); i++) {
      s.append(i == 0 ? "" : ", ").append(paths.get(i));
    }
    if (paths.size() > NAMED) {
      s.append(" and ").append(paths.size() - NAMED).append(" more");
    }
    return s.toString();
  }
}
