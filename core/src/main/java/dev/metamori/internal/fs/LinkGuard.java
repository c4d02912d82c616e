package dev.metamori.internal.fs;

import dev.metamori.CheckpointException;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * Keeps a restore from writing through symbolic links. Every path a record names is a real path
 * (its directories were resolved when the record was written), and the journal applied in order
 * finds at each path what the record expects; a link can stand where a file or directory is
 * expected only if something outside the checkpointer put it there (or an OS crash kept a change
 * whose record it lost). A file opened there, attributes set there, or an entry made or removed
 * under it, would then be written wherever the link leads, outside the tracked roots. So before
 * a file's bytes or attributes are restored, the file must not be a link, and before anything is
 * done at a path, its directories must be their own real path.
 *
 * <p>Found, it is refused by a rollback ({@link CheckpointException}, like a file found missing
 * or short) and skipped with a warning by recovery on open, which is lenient. Links the journal
 * itself restores are renamed and deleted as links, never followed.
 */
final class LinkGuard {
  private static final System.Logger LOG = System.getLogger("dev.metamori");
  private final boolean lenient;
  /** Directories found to be their own real path during this restore (path strings). */
  private final NavigableSet<String> realDirectories = new TreeSet<>();

  LinkGuard(boolean lenient) {
    this.lenient = lenient;
  }

  /**
   * Whether the bytes or attributes of {@code path} may be restored, given its attributes read
   * without following links ({@code null} if it does not exist): not if it is a link, or if a
   * directory above it is not its real path.
   */
  boolean mayWrite(Path path, BasicFileAttributes attributes) throws IOException {
    return mayWrite(path, attributes != null && attributes.isSymbolicLink());
  }

  /** As above, given whether {@code path} is a symbolic link. */
  boolean mayWrite(Path path, boolean link) throws IOException {
    if (link) {
      return refuse(path, path, "a symbolic link now (to " + target(path) + ")");
    }
    return directoriesAreReal(path);
  }

  /**
   * Whether the nearest existing directory above {@code path} is its own real path: no link
   * among the directories, so an entry made, renamed or removed at {@code path} is where the
   * record says.
   */
  boolean directoriesAreReal(Path path) throws IOException {
    for (Path dir = path.getParent(); dir != null; dir = dir.getParent()) {
      if (realDirectories.contains(dir.toString())) {
        return true;
      }
      Path real;
      try {
        real = dir.toRealPath();
      } catch (NoSuchFileException missing) {
        continue; // made by the restore (ensureParent), under the nearest one that exists
      }
      if (real.equals(dir)) {
        realDirectories.add(dir.toString());
        return true;
      }
      return refuse(path, dir, "under " + dir + ", which is a symbolic link now or lies under one (it leads to "
          + real + ")");
    }
    return true;
  }

  /** Forgets what was found about {@code path} and below: a step of the restore changed it. */
  void changed(Path path) {
    if (path == null || realDirectories.isEmpty()) {
      return;
    }
    String p = path.toString();
    realDirectories.remove(p);
    String sep = path.getFileSystem().getSeparator();
    realDirectories.subSet(p + sep, true, p + (char) (sep.charAt(0) + 1), false).clear();
  }

  private boolean refuse(Path path, Path link, String where) throws IOException {
    if (lenient) {
      LOG.log(
          System.Logger.Level.WARNING,
          "recovery: {0} is {1}, where the journal holds a file or directory (an OS crash or"
              + " power loss with durability PROCESS, or a change outside the checkpointer); a"
              + " restore never writes through a link: its record is skipped",
          path,
          where);
      return false;
    }
    throw new CheckpointException(
        "cannot restore " + path + ": it is " + where + ", where the journal holds a file or directory;"
            + " it was changed outside the checkpointer, and a restore never writes through a symbolic"
            + " link (" + link + ")");
  }

  private static String target(Path link) {
    try {
      return java.nio.file.Files.readSymbolicLink(link).toString();
    } catch (IOException | UnsupportedOperationException e) {
      return "?";
    }
  }
}
