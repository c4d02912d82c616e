package dev.metamori.internal.fs;

import com.google.common.collect.Iterators;
import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Objects;

/**
 * A path of a file system that wraps another one: the underlying path with the same string,
 * bound to the wrapping file system, so that {@code Files.*} calls on it reach the wrapping
 * provider. Everything about the name (its parts, comparisons, resolving) is the underlying
 * path's; what the wrapping file system decides (its URI, {@code toFile}, watch registration)
 * is the subclass's. Used by the journaling file system ({@link MetamoriPath}) and by the
 * agent's default file system. Public only for the agent; the module does not export it.
 */
public abstract class ForwardingPath implements Path {
  private final Path delegate;

  /**
   * Wraps {@code delegate}.
   *
   * @param delegate the underlying path
   */
  protected ForwardingPath(Path delegate) {
    this.delegate = Objects.requireNonNull(delegate);
  }

  /**
   * The underlying path with the same string.
   *
   * @return the underlying path
   */
  public final Path delegate() {
    return delegate;
  }

  /**
   * A path of this path's file system around {@code path}.
   *
   * @param path an underlying path, not null
   * @return the wrapping path
   */
  protected abstract ForwardingPath wrap(Path path);

  /**
   * The underlying path of {@code other}, which must be a path of this path's file system.
   *
   * @param other a path given to one of this path's methods
   * @return its underlying path
   * @throws java.nio.file.ProviderMismatchException if it is of another file system
   */
  protected abstract Path unwrap(Path other);

  private Path wrapOrNull(Path path) {
    return path == null ? null : wrap(path);
  }

  private boolean sameFileSystem(Object other) {
    return other instanceof ForwardingPath
        && other.getClass() == getClass()
        && ((ForwardingPath) other).getFileSystem() == getFileSystem();
  }

  @Override
  public boolean isAbsolute() {
    return delegate.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return wrapOrNull(delegate.getRoot());
  }

  @Override
  public Path getFileName() {
    return wrapOrNull(delegate.getFileName());
  }

  @Override
  public Path getParent() {
    return wrapOrNull(delegate.getParent());
  }

  @Override
  public int getNameCount() {
    return delegate.getNameCount();
  }

  @Override
  public Path getName(int index) {
    return wrap(delegate.getName(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return wrap(delegate.subpath(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    return sameFileSystem(other) && delegate.startsWith(((ForwardingPath) other).delegate);
  }

  @Override
  public boolean startsWith(String other) {
    return delegate.startsWith(other);
  }

  @Override
  public boolean endsWith(Path other) {
    return sameFileSystem(other) && delegate.endsWith(((ForwardingPath) other).delegate);
  }

  @Override
  public boolean endsWith(String other) {
    return delegate.endsWith(other);
  }

  @Override
  public Path normalize() {
    return wrap(delegate.normalize());
  }

  @Override
  public Path resolve(Path other) {
    return wrap(delegate.resolve(unwrap(other)));
  }

  @Override
  public Path resolve(String other) {
    return wrap(delegate.resolve(other));
  }

  @Override
  public Path resolveSibling(Path other) {
    return wrap(delegate.resolveSibling(unwrap(other)));
  }

  @Override
  public Path resolveSibling(String other) {
    return wrap(delegate.resolveSibling(other));
  }

  @Override
  public Path relativize(Path other) {
    return wrap(delegate.relativize(unwrap(other)));
  }

  @Override
  public Path toAbsolutePath() {
    return wrap(delegate.toAbsolutePath());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    return wrap(delegate.toRealPath(options));
  }

  @Override
  public Iterator<Path> iterator() {
    return Iterators.transform(delegate.iterator(), this::wrap);
  }

  @Override
  public int compareTo(Path other) {
    return delegate.compareTo(unwrap(other));
  }

  @Override
  public boolean equals(Object o) {
    return sameFileSystem(o) && ((ForwardingPath) o).delegate.equals(delegate);
  }

  @Override
  public int hashCode() {
    return delegate.hashCode();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
