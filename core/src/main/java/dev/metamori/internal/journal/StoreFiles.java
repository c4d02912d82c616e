package dev.metamori.internal.journal;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Where each file of a store directory lies:
 *
 * <pre>
 *   LOCK                     held while the store is open
 *   index.mv                 MVStore: committed epochs, record positions, store metadata
 *   catalogue.seg            what the index holds that the segments do not (labels, current
 *                            epoch, roots, prunes): with them, enough to rebuild the index
 *   segments/{epoch}.seg     undo records of one epoch (source of truth)
 *   segments/{epoch}.redo    what the undo of a committed epoch destroyed, to redo it
 *   trash/{epoch}/{n}        files and directories removed from the trees during that epoch
 *   undo.progress            how far an interrupted undo got
 * </pre>
 */
final class StoreFiles {
  final Path store;
  final Path segments;
  final Path trash;

  StoreFiles(Path store) {
    this.store = store;
    this.segments = store.resolve("segments");
    this.trash = store.resolve("trash");
  }

  /** Creates the directories of a store that lacks them ({@link OwnerOnly}: 0700). */
  void createDirectories() throws IOException {
    OwnerOnly.createStoreDirectory(store);
    OwnerOnly.createDirectory(segments);
    OwnerOnly.createDirectory(trash);
  }

  Path index() {
    return store.resolve("index.mv");
  }

  /** A prune's compacted copy of the index, renamed over it when whole. */
  Path indexCopy() {
    return store.resolve("index.mv.new");
  }

  /** The catalogue: what the index holds that the epochs' segments do not ({@link Catalogue}). */
  Path catalogue() {
    return store.resolve("catalogue.seg");
  }

  /** A rewrite of the catalogue, renamed over it when whole. */
  Path catalogueCopy() {
    return store.resolve("catalogue.seg.new");
  }

  Path progress() {
    return store.resolve("undo.progress");
  }

  Path lock() {
    return store.resolve("LOCK");
  }

  Path segment(long epoch) {
    return segments.resolve(String.format("%020d.seg", epoch));
  }

  Path redo(long epoch) {
    return segments.resolve(String.format("%020d.redo", epoch));
  }

  /** The trash directory of {@code epoch}. */
  Path trashOf(long epoch) {
    return trash.resolve(Long.toString(epoch));
  }

  /** The path of a trash entry named by a {@link UndoRecord.Trashed} record (or kept name). */
  Path trashPath(String name) {
    return trash.resolve(name);
  }

  /** The trash name under which the undo of a Created record of a committed epoch keeps it. */
  static String keptName(long epoch, long seq) {
    return epoch + "/c" + seq;
  }

  /**
   * Deletes the trashes of {@code epochs}, which a prune dropped, except the files that still
   * have hard links elsewhere (and the directories that lead to them). A file trashed while a
   * channel was open on it is written through its trash name in later epochs, whose records
   * name it so; when another link to it is in the trees, undoing those records restores that
   * link through this name. Once its other links are gone a later prune deletes it, and records
   * that name it are skipped ({@link JournalStore#trashDropped}). Links between the dropped
   * trashes themselves do not count: each call should name every dropped trash there is.
   */
  void dropTrash(java.util.Collection<Long> epochs) throws IOException {
    List<Path> dirs = new java.util.ArrayList<>();
    for (long e : epochs) {
      if (Files.exists(trashOf(e), LinkOption.NOFOLLOW_LINKS)) {
        dirs.add(trashOf(e));
      }
    }
    java.util.Map<Object, Integer> linksInside = new java.util.HashMap<>();
    for (Path dir : dirs) {
      try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
        for (Path f : (Iterable<Path>) all::iterator) {
          java.nio.file.attribute.BasicFileAttributes a =
              Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
          if (a.isRegularFile() && a.fileKey() != null) {
            linksInside.merge(a.fileKey(), 1, Integer::sum);
          }
        }
      }
    }
    for (Path dir : dirs) {
      Files.walkFileTree(
          dir,
          new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path file, java.nio.file.attribute.BasicFileAttributes a)
                throws IOException {
              if (!a.isRegularFile() || a.fileKey() == null || linkCount(file) <= linksInside.get(a.fileKey())) {
                Files.delete(file);
              }
              return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              try (java.nio.file.DirectoryStream<Path> left = Files.newDirectoryStream(d)) {
                if (!left.iterator().hasNext()) {
                  Files.delete(d);
                }
              }
              return java.nio.file.FileVisitResult.CONTINUE;
            }
          });
    }
  }

  private static int linkCount(Path file) throws IOException {
    try {
      return (Integer) Files.getAttribute(file, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
    } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
      return 1;
    }
  }

  /** The epochs that have a trash directory. */
  List<Long> trashEpochs() throws IOException {
    List<Long> epochs = new java.util.ArrayList<>();
    try (java.nio.file.DirectoryStream<Path> s = Files.newDirectoryStream(trash)) {
      for (Path d : s) {
        try {
          epochs.add(Long.parseLong(d.getFileName().toString()));
        } catch (NumberFormatException e) {
          // not an epoch's
        }
      }
    }
    return epochs;
  }

  void deleteTrash(long epoch) throws IOException {
    Path dir = trashOf(epoch);
    if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  /** Forces the segments directory, and the trash of {@code epoch} if it has one. */
  void forceSegmentsAndTrashOf(long epoch) throws IOException {
    for (Path dir : segmentsAndTrashOf(epoch)) {
      forceDirectory(dir);
    }
  }

  /**
   * The directories that hold the entries of {@code epoch}'s segment and trash: the segments
   * directory, and the trash of {@code epoch} with the trash directory if it has one.
   */
  List<Path> segmentsAndTrashOf(long epoch) {
    Path dir = trashOf(epoch);
    return Files.isDirectory(dir) ? List.of(segments, dir, trash) : List.of(segments);
  }

  /** Forces a directory's entries to storage, where the platform allows it. */
  static void forceDirectory(Path dir) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException e) {
      if (System.getProperty("os.name").startsWith("Windows")) {
        return;
      }
      throw e; // nothing was forced, and nothing lost
    }
    try (channel) {
      channel.force(true);
    } catch (IOException e) {
      if (!System.getProperty("os.name").startsWith("Windows")) {
        throw IoFaults.fatal("directory " + dir + " could not be forced, so its entries may be lost", e);
      }
    }
  }
}
