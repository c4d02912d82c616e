package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;

/** Helpers on files and trees of the underlying file system, by its provider. */
final class Trees {
  private Trees() {}

  /** The attributes of {@code path} itself (links not followed), or null if it does not exist. */
  static BasicFileAttributes attributesOrNull(FileSystemProvider provider, Path path)
      throws IOException {
    try {
      return provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  static boolean isEmpty(FileSystemProvider provider, Path dir) throws IOException {
    try (DirectoryStream<Path> stream = provider.newDirectoryStream(dir, p -> true)) {
      return !stream.iterator().hasNext();
    }
  }

  /** Renames {@code from} to {@code to}; copies and deletes where a rename is impossible. */
  static void relocate(FileSystemProvider provider, Path from, Path to) throws IOException {
    try {
      provider.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      try {
        copyTree(provider, from, to);
      } catch (IOException | RuntimeException failed) {
        // a copy cut short (a full disk): remove it, so that the move reads as not made and
        // is made again in full (a restore's move checks that the target is absent)
        try {
          if (attributesOrNull(provider, to) != null) {
            deleteTree(to);
          }
        } catch (IOException | RuntimeException left) {
          failed.addSuppressed(
              dev.metamori.internal.journal.IoFaults.fatal("the part copied to " + to + " could not be removed", left));
        }
        throw failed;
      }
      deleteTree(from);
    }
  }

  /** Copies a file, link or whole directory tree with its attributes. */
  static void copyTree(FileSystemProvider provider, Path from, Path to) throws IOException {
    BasicFileAttributes a = provider.readAttributes(from, BasicFileAttributes.class, NOFOLLOW_LINKS);
    provider.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW_LINKS);
    if (a.isDirectory()) {
      try (DirectoryStream<Path> children = provider.newDirectoryStream(from, p -> true)) {
        for (Path child : children) {
          copyTree(provider, child, to.resolve(child.getFileName().toString()));
        }
      }
    }
    if (!a.isSymbolicLink()) {
      // COPY_ATTRIBUTES keeps only microseconds of the modification time: set it in full
      provider.getFileAttributeView(to, BasicFileAttributeView.class, NOFOLLOW_LINKS)
          .setTimes(a.lastModifiedTime(), null, null);
    }
  }

  /** Deletes a file, link or whole directory tree (links are not followed). */
  static void deleteTree(Path path) throws IOException {
    MoreFiles.deleteRecursively(path, RecursiveDeleteOption.ALLOW_INSECURE);
  }
}
