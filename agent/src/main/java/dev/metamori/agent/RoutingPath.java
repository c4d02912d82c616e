package dev.metamori.agent;

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
 * A path of the {@link RoutingFileSystem}: a path of the platform's file system with the same
 * string, whose provider is the {@link RoutingFileSystemProvider}, so that {@code Files.*} calls
 * on it come back to the agent.
 */
final class RoutingPath implements Path {
  private final RoutingFileSystem fs;
  private final Path delegate;

  RoutingPath(RoutingFileSystem fs, Path delegate) {
    this.fs = fs;
    this.delegate = Objects.requireNonNull(delegate);
  }

  /** The platform's path with the same string. */
  Path delegate() {
    return delegate;
  }

  private Path wrap(Path p) {
    return p == null ? null : new RoutingPath(fs, p);
  }

  /** The platform path of {@code other}: one of ours unwrapped, or one of the platform's. */
  private Path unwrap(Path other) {
    if (other instanceof RoutingPath) {
      return ((RoutingPath) other).delegate;
    }
    if (other != null && other.getFileSystem() == delegate.getFileSystem()) {
      return other;
    }
    throw new ProviderMismatchException(
        "path " + other + " is not associated with the default file system");
  }

  @Override
  public RoutingFileSystem getFileSystem() {
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
    return other instanceof RoutingPath && delegate.startsWith(((RoutingPath) other).delegate);
  }

  @Override
  public boolean startsWith(String other) {
    return delegate.startsWith(other);
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof RoutingPath && delegate.endsWith(((RoutingPath) other).delegate);
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
    return delegate.toUri();
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
  public File toFile() {
    return new File(toString());
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    return delegate.register(watcher, events, modifiers);
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events) throws IOException {
    return delegate.register(watcher, events);
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
    return o instanceof RoutingPath && ((RoutingPath) o).delegate.equals(delegate);
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
