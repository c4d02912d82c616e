package dev.metamori.internal.fs;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The journaling view of an underlying file system (the default one): same path strings,
 * same roots and stores; mutations under tracked roots are journaled by the parts its
 * {@link Tracker} assembles.
 *
 * <p>Its {@link Checkpointer} owns it: {@link #close()} closes the checkpointer, and closing
 * the checkpointer closes this file system once ({@link #closeForCheckpointer()}).
 */
public final class MetamoriFileSystem extends FileSystem {
  private final MetamoriFileSystemProvider provider;
  private final FileSystem delegate;
  private final Tracker tracker;
  private final Checkpointer checkpointer;
  private final URI uri;

  public MetamoriFileSystem(
      MetamoriFileSystemProvider provider, Tracker tracker, Checkpointer checkpointer, URI uri) {
    this.provider = provider;
    this.delegate = tracker.delegate();
    this.tracker = tracker;
    this.checkpointer = checkpointer;
    this.uri = uri;
  }

  /** The checkpointer this file system journals for. */
  public Checkpointer checkpointer() {
    return checkpointer;
  }

  /** The provider of the underlying file system, for calls that change nothing. */
  FileSystemProvider delegateProvider() {
    return delegate.provider();
  }

  PathZones zones() {
    return tracker.zones();
  }

  Tracker tracker() {
    return tracker;
  }

  ChannelFactory channels() {
    return tracker.channels();
  }

  NamespaceOps namespace() {
    return tracker.namespace();
  }

  AttributeOps attributes() {
    return tracker.attributes();
  }

  /** The URI {@code FileSystems.getFileSystem} knows this file system by. */
  public URI uri() {
    return uri;
  }

  MetamoriPath wrap(Path path) {
    return new MetamoriPath(this, path);
  }

  URI toUri(Path delegatePath) {
    return URI.create(uri + "!" + delegatePath.toAbsolutePath().toUri().getRawPath());
  }

  @Override
  public MetamoriFileSystemProvider provider() {
    return provider;
  }

  /** Closes the checkpointer (without committing), which closes this file system. */
  @Override
  public void close() throws IOException {
    checkpointer.close();
  }

  /**
   * Closes every channel (later calls fail with {@link java.nio.file.ClosedFileSystemException})
   * and leaves the provider's registry. Called once, by the checkpointer as it closes.
   */
  public void closeForCheckpointer() throws IOException {
    try {
      tracker.close();
    } finally {
      MetamoriFileSystemProvider.unregister(this);
    }
  }

  @Override
  public boolean isOpen() {
    return tracker.isOpen();
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public String getSeparator() {
    return delegate.getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    List<Path> roots = new ArrayList<>();
    delegate.getRootDirectories().forEach(r -> roots.add(wrap(r)));
    return roots;
  }

  /**
   * The underlying file system's stores, as they are: a store's attributes and the views it
   * supports are the default file system's. (What changes of attributes are journaled or
   * refused under a tracked root is a matter of the attribute views, not of the store.)
   */
  @Override
  public Iterable<FileStore> getFileStores() {
    return delegate.getFileStores();
  }

  /**
   * The underlying file system's views, all readable everywhere. Under a tracked root, changes
   * through {@code basic}, {@code posix}, {@code unix} and {@code owner} are journaled; changes
   * through {@code user}, {@code dos} and {@code acl} are refused ({@link AttributeOps}).
   */
  @Override
  public Set<String> supportedFileAttributeViews() {
    return delegate.supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(delegate.getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher matcher = delegate.getPathMatcher(syntaxAndPattern);
    return path ->
        path instanceof MetamoriPath && matcher.matches(((MetamoriPath) path).delegate());
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return delegate.getUserPrincipalLookupService();
  }

  /**
   * The underlying file system's watch service, wrapped: its keys and events report paths of
   * this file system. Register a directory with {@code path.register(watchService, kinds)}.
   */
  @Override
  public WatchService newWatchService() throws IOException {
    return new MetamoriWatchService(this, delegate.newWatchService());
  }

  @Override
  public String toString() {
    return uri.toString();
  }
}
