package dev.metamori.internal.fs;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/**
 * A path of a {@link MetamoriFileSystem}: a path of the underlying file system with the same
 * string, bound to the journaling file system.
 */
final class MetamoriPath extends ForwardingPath {
  private final MetamoriFileSystem fs;

  MetamoriPath(MetamoriFileSystem fs, Path delegate) {
    super(delegate);
    this.fs = fs;
  }

  @Override
  protected MetamoriPath wrap(Path p) {
    return new MetamoriPath(fs, p);
  }

  @Override
  protected Path unwrap(Path other) {
    if (other instanceof MetamoriPath) {
      return ((MetamoriPath) other).delegate();
    }
    throw new ProviderMismatchException(
        "path " + other + " is not associated with a Metamori file system");
  }

  @Override
  public MetamoriFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public URI toUri() {
    return fs.toUri(delegate());
  }

  /**
   * Refused for paths under a tracked root: a {@link File} would let {@code java.io} write the
   * file behind the journal's back. Other paths convert as on the default file system.
   */
  @Override
  public File toFile() {
    if (fs.zones().isTracked(delegate())) {
      throw new UnsupportedOperationException(
          "toFile() is not supported for "
              + this
              + ": it lies under a tracked root, and java.io.File I/O would bypass the journal;"
              + " use java.nio.file.Files with this Path instead");
    }
    return delegate().toFile();
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
}
