package dev.metamori.internal.fs;

import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.util.Objects;

/**
 * Renames the files an error names. A call made relative to an open directory goes through an
 * operation on the resolved path, whose errors name that path; the default file system's
 * errors name the path as the caller gave it, so the error is rebuilt naming that instead.
 */
final class FileErrors {
  private FileErrors() {}

  /**
   * {@code e} with {@code resolved} replaced by {@code given} wherever it names it as its file
   * or other file; the same type, reason, cause and stack trace. {@code e} itself if it names
   * neither, or if its type is not one of the file system's own.
   */
  static FileSystemException renamed(
      FileSystemException e, String resolved, String given, String resolvedOther, String givenOther) {
    String file = swap(swap(e.getFile(), resolved, given), resolvedOther, givenOther);
    String other = swap(swap(e.getOtherFile(), resolved, given), resolvedOther, givenOther);
    if (Objects.equals(file, e.getFile()) && Objects.equals(other, e.getOtherFile())) {
      return e;
    }
    FileSystemException r = rebuilt(e, file, other, e.getReason());
    if (r == null) {
      return e;
    }
    r.initCause(e.getCause());
    r.setStackTrace(e.getStackTrace());
    return r;
  }

  private static FileSystemException rebuilt(FileSystemException e, String file, String other, String reason) {
    Class<?> type = e.getClass();
    if (type == NoSuchFileException.class) {
      return new NoSuchFileException(file, other, reason);
    } else if (type == FileAlreadyExistsException.class) {
      return new FileAlreadyExistsException(file, other, reason);
    } else if (type == AccessDeniedException.class) {
      return new AccessDeniedException(file, other, reason);
    } else if (type == NotLinkException.class) {
      return new NotLinkException(file, other, reason);
    } else if (type == AtomicMoveNotSupportedException.class) {
      return new AtomicMoveNotSupportedException(file, other, reason);
    } else if (type == DirectoryNotEmptyException.class) {
      return new DirectoryNotEmptyException(file);
    } else if (type == NotDirectoryException.class) {
      return new NotDirectoryException(file);
    } else if (type == FileSystemLoopException.class) {
      return new FileSystemLoopException(file);
    } else if (type == FileSystemException.class) {
      return new FileSystemException(file, other, reason);
    }
    return null;
  }

  private static String swap(String name, String from, String to) {
    return name != null && name.equals(from) ? to : name;
  }
}
