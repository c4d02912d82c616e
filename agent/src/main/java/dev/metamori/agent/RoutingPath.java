package dev.metamori.agent;

import dev.metamori.internal.fs.ForwardingPath;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/**
 * A path of the {@link RoutingFileSystem}: a path of the platform's file system with the same
 * string, whose provider is the {@link RoutingFileSystemProvider}, so that {@code Files.*} calls
 * on it come back to the agent.
 */
final class RoutingPath extends ForwardingPath {
  private final RoutingFileSystem fs;

  RoutingPath(RoutingFileSystem fs, Path delegate) {
    super(delegate);
    this.fs = fs;
  }

  @Override
  protected RoutingPath wrap(Path p) {
    return new RoutingPath(fs, p);
  }

  /** The platform path of {@code other}: one of ours unwrapped, or one of the platform's. */
  @Override
  protected Path unwrap(Path other) {
    if (other instanceof RoutingPath) {
      return ((RoutingPath) other).delegate();
    }
    if (other != null && other.getFileSystem() == delegate().getFileSystem()) {
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
  public URI toUri() {
    return delegate().toUri();
  }

  @Override
  public File toFile() {
    return new File(toString());
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    return delegate().register(watcher, events, modifiers);
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>... events) throws IOException {
    return delegate().register(watcher, events);
  }
}
