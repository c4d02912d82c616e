package dev.metamori.agent;

import com.google.common.collect.Iterators;
import dev.metamori.internal.fs.JavaIoJournal;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;

/**
 * The default file system provider under the agent (scheme {@code file}), installed through
 * {@code -Djava.nio.file.spi.DefaultFileSystemProvider}: the JDK builds it with the platform's
 * provider, which it wraps.
 *
 * <p>Once the agent has opened the store ({@link #route}), every call that changes a file under a
 * tracked root goes to the journaling file system with the same path string; every other call,
 * and every call before that (the store's own I/O included), goes to the platform's provider.
 * Decided in one place: {@link #target}.
 */
public final class RoutingFileSystemProvider extends FileSystemProvider {
  private static volatile RoutingFileSystemProvider installed;

  private final FileSystemProvider platform;
  private final RoutingFileSystem fileSystem;
  private volatile JavaIoJournal journal;

  /**
   * Called by the JDK at the first use of the default file system.
   *
   * @param platform the provider this one replaces as the default
   */
  public RoutingFileSystemProvider(FileSystemProvider platform) {
    if (!"file".equals(platform.getScheme())) {
      throw new IllegalArgumentException("the default provider's scheme is not \"file\": " + platform);
    }
    this.platform = platform;
    this.fileSystem = new RoutingFileSystem(this, platform.getFileSystem(URI.create("file:///")));
    installed = this;
  }

  /** The provider the JDK installed as the default, or null if it did not. */
  static RoutingFileSystemProvider installed() {
    return installed;
  }

  /** The platform's default file system: the store and the tracked roots are its paths. */
  FileSystem platformFileSystem() {
    return fileSystem.platform();
  }

  /** From now on, changes under the tracked roots go through {@code journal}. */
  void route(JavaIoJournal journal) {
    this.journal = journal;
  }

  private static Path unwrap(Path path) {
    if (path instanceof RoutingPath) {
      return ((RoutingPath) path).delegate();
    }
    throw new ProviderMismatchException("path " + path + " is not associated with the default file system");
  }

  /**
   * Where a change of {@code path} goes: the journaling file system's path with the same string
   * if it lies under a tracked root, else the platform's path.
   */
  private Path target(Path path) {
    Path p = unwrap(path);
    JavaIoJournal j = journal;
    return j != null && j.isTracked(p) ? j.journaled(p) : p;
  }

  private Path[] targets(Path a, Path b) {
    Path pa = unwrap(a);
    Path pb = unwrap(b);
    JavaIoJournal j = journal;
    if (j != null && (j.isTracked(pa) || j.isTracked(pb))) {
      return new Path[] {j.journaled(pa), j.journaled(pb)};
    }
    return new Path[] {pa, pb};
  }

  private static boolean writes(Set<? extends OpenOption> options) {
    return options.contains(StandardOpenOption.WRITE)
        || options.contains(StandardOpenOption.APPEND)
        || options.contains(StandardOpenOption.DELETE_ON_CLOSE);
  }

  private Path channelTarget(Path path, Set<? extends OpenOption> options) {
    return writes(options) ? target(path) : unwrap(path);
  }

  @Override
  public String getScheme() {
    return platform.getScheme();
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
    return platform.newFileSystem(uri, env); // the default file system exists: refused by it
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    platform.getFileSystem(uri); // checks the URI as the platform does
    return fileSystem;
  }

  @Override
  public Path getPath(URI uri) {
    return fileSystem.wrap(platform.getPath(uri));
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    Path t = channelTarget(path, options);
    return t.getFileSystem().provider().newByteChannel(t, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    Path t = channelTarget(path, options);
    return t.getFileSystem().provider().newFileChannel(t, options, attrs);
  }

  @Override
  public AsynchronousFileChannel newAsynchronousFileChannel(
      Path path, Set<? extends OpenOption> options, ExecutorService executor, FileAttribute<?>... attrs)
      throws IOException {
    Path t = channelTarget(path, options);
    return t.getFileSystem().provider().newAsynchronousFileChannel(t, options, executor, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    // the journaling file system's stream under a tracked root: its relative changes are
    // journaled; secure where the platform's is, as the platform's is elsewhere
    Path t = target(dir);
    DirectoryStream<Path> stream =
        t.getFileSystem().provider().newDirectoryStream(t, p -> filter.accept(routing(p)));
    return RoutingDirectoryStream.of(this, stream, (RoutingPath) dir, t == unwrap(dir));
  }

  /** The default file system's path with the string of {@code any} (a platform or journaled path). */
  RoutingPath routing(Path any) {
    return fileSystem.wrap(any.getFileSystem() == fileSystem.platform() ? any : fileSystem.platform().getPath(any.toString()));
  }

  /** Whether a change of the entry {@code path} names is journaled (it lies under a tracked root). */
  boolean tracksEntry(Path path) {
    JavaIoJournal j = journal;
    return j != null && j.isTrackedEntry(unwrap(path));
  }

  /** {@code path} as a path of the platform's file system, or of the journaling one. */
  Path sameStringIn(Path path, boolean platformPath) {
    Path p = unwrap(path);
    return platformPath ? p : journal.journaled(p);
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    Path t = target(dir);
    t.getFileSystem().provider().createDirectory(t, attrs);
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
    Path t = target(link);
    Path to = target instanceof RoutingPath ? ((RoutingPath) target).delegate() : target;
    if (t != unwrap(link)) {
      to = t.getFileSystem().getPath(to.toString());
    }
    t.getFileSystem().provider().createSymbolicLink(t, to, attrs);
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    Path[] t = targets(link, existing);
    t[0].getFileSystem().provider().createLink(t[0], t[1]);
  }

  @Override
  public void delete(Path path) throws IOException {
    Path t = target(path);
    t.getFileSystem().provider().delete(t);
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    return fileSystem.wrap(platform.readSymbolicLink(unwrap(link)));
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    Path[] t = targets(source, target);
    t[1].getFileSystem().provider().copy(t[0], t[1], options);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    Path[] t = targets(source, target);
    t[1].getFileSystem().provider().move(t[0], t[1], options);
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    if (path.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof RoutingPath)) {
      return false;
    }
    return platform.isSameFile(unwrap(path), unwrap(path2));
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    return platform.isHidden(unwrap(path));
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    return platform.getFileStore(unwrap(path));
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    platform.checkAccess(unwrap(path), modes);
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    Path t = target(path);
    return t.getFileSystem().provider().getFileAttributeView(t, type, options);
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    return platform.readAttributes(unwrap(path), type, options);
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    return platform.readAttributes(unwrap(path), attributes, options);
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    Path t = target(path);
    t.getFileSystem().provider().setAttribute(t, attribute, value, options);
  }
}
