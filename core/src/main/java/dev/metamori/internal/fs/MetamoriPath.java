package dev.metamori.internal.fs;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import com.google.common.collect.Iterators;
import java.util.Iterator;
import java.util.Objects;

/**
 * A path of a {@link MetamoriFileSystem}: a path of the underlying file system with the same
 * string, bound to the journaling file system.
 */
final class MetamoriPath implements Path {
  private final MetamoriFileSystem fs;
  private final Path delegate;

  MetamoriPath(MetamoriFileSystem fs, Path delegate) {
    this.fs = fs;
    this.delegate = Objects.requireNonNull(delegate);
  }

  /** The underlying path with the same string. */
  Path delegate() {
    return delegate;
  }

  private MetamoriPath wrap(Path p) {
    return p == null ? null : new MetamoriPath(fs, p);
  }

  private Path unwrap(Path other) {
    if (other instanceof MetamoriPath) {
      return ((MetamoriPath) other).delegate;
    }
    throw new ProviderMismatchException(
        "path " + other + " is not associated with a Metamori file system");
  }

  @Override
  public MetamoriFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return delegate.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return wrap(delegate.getRoot());
  }

  @Override
  public Path getFileName() {
    return wrap(delegate.getFileName());
  }

  @Override
  public Path getParent() {
    return wrap(delegate.getParent());
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
    return other instanceof MetamoriPath
        && other.getFileSystem() == fs
        && delegate.startsWith(((MetamoriPath) other).delegate);
  }

  @Override
  public boolean startsWith(String other) {
    return delegate.startsWith(other);
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof MetamoriPath
        && other.getFileSystem() == fs
        && delegate.endsWith(((MetamoriPath) other).delegate);
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
  public URI toUri() {
    return fs.toUri(delegate);
  }

  @Override
  public Path toAbsolutePath() {
    return wrap(delegate.toAbsolutePath());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    return wrap(delegate.toRealPath(options));
  }

  /**
   * Refused for paths under a tracked root: a {@link File} would let {@code java.io} write the
   * file behind the journal's back. Other paths convert as on the default file system.
   */
  @Override
  public File toFile() {
    if (fs.zones().isTracked(delegate)) {
      throw new UnsupportedOperationException(
          "toFile() is not supported for "
              + this
              + ": it lies under a tracked root, and java.io.File I/O would bypass the journal;"
              + " use java.nio.file.Files with this Path instead");
    }
    return delegate.toFile();
  }

  /**
   * Registers this directory with a watch service of a Metamori file system ({@link
   * MetamoriFileSystem#newWatchService()}); another watch service is refused with {@link
   * ProviderMismatchException}, as the default file system refuses a foreign one.
   */
  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    if (watcher == null) {
      throw new NullPointerException();
    }
    if (!(watcher instanceof MetamoriWatchService)) {
      throw new ProviderMismatchException();
    }
    return ((MetamoriWatchService) watcher).register(this, events, modifiers);
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events) throws IOException {
    return register(watcher, events, new WatchEvent.Modifier[0]);
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
    return o instanceof MetamoriPath
        && ((MetamoriPath) o).fs == fs
        && ((MetamoriPath) o).delegate.equals(delegate);
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
