package dev.metamori.agent;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The default file system under the agent: the platform's, with every path wrapped in a
 * {@link RoutingPath} so that calls on it reach the {@link RoutingFileSystemProvider}. It cannot
 * be closed, like the platform's.
 */
final class RoutingFileSystem extends FileSystem {
  private final RoutingFileSystemProvider provider;
  private final FileSystem platform;

  RoutingFileSystem(RoutingFileSystemProvider provider, FileSystem platform) {
    this.provider = provider;
    this.platform = platform;
  }

  /** The platform's default file system, which the store and the journal work on. */
  FileSystem platform() {
    return platform;
  }

  RoutingPath wrap(Path platformPath) {
    return new RoutingPath(this, platformPath);
  }

  @Override
  public RoutingFileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() throws IOException {
    platform.close(); // throws UnsupportedOperationException, as the default file system does
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public String getSeparator() {
    return platform.getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    List<Path> roots = new ArrayList<>();
    platform.getRootDirectories().forEach(r -> roots.add(wrap(r)));
    return roots;
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return platform.getFileStores();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return platform.supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(platform.getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher matcher = platform.getPathMatcher(syntaxAndPattern);
    return path -> matcher.matches(path instanceof RoutingPath ? ((RoutingPath) path).delegate() : path);
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return platform.getUserPrincipalLookupService();
  }

  @Override
  public WatchService newWatchService() throws IOException {
    return platform.newWatchService();
  }

  @Override
  public String toString() {
    return platform.toString();
  }
}
