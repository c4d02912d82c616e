package dev.metamori.testing;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;

/**
 * Copies of whole directories (a store, a tracked tree) that keep what Metamori restores and
 * checks: bytes, symbolic links, last-modified times of files and directories, POSIX
 * permissions. Used to run many experiments on the same store at the same paths.
 */
public final class StoreCopies {
  private StoreCopies() {}

  /** Deletes {@code dir} if it exists, then copies {@code source} to it. */
  public static void replace(Path source, Path dir) throws IOException {
    replace(source, dir, false);
  }

  /** As {@link #replace(Path, Path)}, keeping a store's witness if {@code witness} (see {@link #copy(Path, Path, boolean)}). */
  public static void replace(Path source, Path dir, boolean witness) throws IOException {
    if (Files.exists(dir, NOFOLLOW_LINKS)) {
      makeWritable(dir);
      MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
    }
    copy(source, dir, witness);
  }

  /**
   * Copies the tree {@code source} to {@code target}, which must not exist. Of a store, the
   * witness of outside changes is left out: it holds the inodes and change times of the tree it
   * was made with, which a copy of that tree does not keep (a real store and its tree keep them
   * together), so the copy witnesses its tree afresh when opened.
   */
  public static void copy(Path source, Path target) throws IOException {
    copy(source, target, false);
  }

  /**
   * As {@link #copy(Path, Path)}, keeping the witness of a store too if {@code witness}: for a
   * store whose tree is copied alongside by this class (which keeps times and modes, so the
   * store takes the copy for the same tree, as it would a {@code cp -a} backup).
   */
  public static void copy(Path source, Path target, boolean witness) throws IOException {
    boolean store = !witness && Files.isRegularFile(source.resolve("index.mv"));
    Files.walkFileTree(
        source,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            Path to = target.resolve(source.relativize(dir).toString());
            Files.createDirectory(to);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            if (store && file.getParent().equals(source) && file.getFileName().toString().startsWith("witness")) {
              return FileVisitResult.CONTINUE;
            }
            Path to = target.resolve(source.relativize(file).toString());
            Files.copy(file, to, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.COPY_ATTRIBUTES);
            // the copy keeps times to the microsecond at best, and not at all for links
            Files.getFileAttributeView(to, BasicFileAttributeView.class, NOFOLLOW_LINKS)
                .setTimes(attrs.lastModifiedTime(), null, null);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            Path to = target.resolve(source.relativize(dir).toString());
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, NOFOLLOW_LINKS);
            PosixFileAttributeView view =
                Files.getFileAttributeView(to, PosixFileAttributeView.class, NOFOLLOW_LINKS);
            view.setPermissions(a.permissions());
            FileTime modified = a.lastModifiedTime();
            view.setTimes(modified, null, null);
            return FileVisitResult.CONTINUE;
          }
        });
  }

  /** Gives the owner write and search permission on every directory below {@code dir}. */
  private static void makeWritable(Path dir) throws IOException {
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
            Files.setPosixFilePermissions(
                d, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
