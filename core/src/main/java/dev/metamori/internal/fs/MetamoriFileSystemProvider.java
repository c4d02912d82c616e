package dev.metamori.internal.fs;

import dev.metamori.Checkpointer;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.ProviderMismatchException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;

/**
 * The {@code metamori} URI scheme. Registered with {@link java.util.ServiceLoader}; every
 * instance shares one registry of open file systems, keyed by store directory.
 *
 * <p>{@code FileSystems.newFileSystem(URI.create("metamori:" + store.toUri()), env)} opens (or
 * creates) the store; {@code env} must name the tracked roots under {@value #ENV_ROOTS} (a
 * {@link Path}, a {@link String} with roots separated by {@link File#pathSeparator}, or a
 * collection of either) and may give {@value #ENV_BLOCK_SIZE}. The store may instead be given
 * under {@value #ENV_STORE} with the URI {@code metamori:///}. Closing the file system closes
 * its {@link Checkpointer}; {@link Checkpointer#of(FileSystem)} returns it.
 *
 * <p>Every path operation checks that its path belongs to a Metamori file system and hands
 * off: a channel to its {@link ChannelFactory}, a change of names to its {@link NamespaceOps},
 * a change of attributes to its {@link AttributeOps}, a directory stream to {@link
 * MetamoriDirectoryStream} (secure where the underlying one is), a call that changes nothing to
 * the underlying file system.
 */
public final class MetamoriFileSystemProvider extends FileSystemProvider {
  public static final String SCHEME = "metamori";
  public static final String ENV_STORE = "store";
  public static final String ENV_ROOTS = "roots";
  public static final String ENV_BLOCK_SIZE = "blockSize";

  private static final Map<Path, MetamoriFileSystem> OPEN = new ConcurrentHashMap<>();
  private static volatile MetamoriFileSystemProvider instance;

  /** The installed provider, or one of our own where the service file is not visible. */
  public static MetamoriFileSystemProvider instance() {
    MetamoriFileSystemProvider p = instance;
    if (p == null) {
      for (FileSystemProvider installed : FileSystemProvider.installedProviders()) {
        if (installed instanceof MetamoriFileSystemProvider) {
          p = (MetamoriFileSystemProvider) installed;
        }
      }
      instance = p = p == null ? new MetamoriFileSystemProvider() : p;
    }
    return p;
  }

  /** The URI a file system for {@code store} is known by. */
  public static URI uriOf(Path store) {
    return URI.create(SCHEME + ":" + store.toUri());
  }

  /** Records an open file system; fails if its store already has one. */
  public static void register(Path store, MetamoriFileSystem fs) {
    if (OPEN.putIfAbsent(store, fs) != null) {
      throw new FileSystemAlreadyExistsException(uriOf(store).toString());
    }
  }

  static void unregister(MetamoriFileSystem fs) {
    OPEN.values().remove(fs);
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) throws IOException {
    Path store = storeOf(uri, env);
    Checkpointer.Builder builder = Checkpointer.builder(store);
    Object roots = env.get(ENV_ROOTS);
    if (roots == null) {
      throw new IllegalArgumentException(
          "env must name the tracked roots under \"" + ENV_ROOTS + "\"");
    }
    for (Path root : paths(roots)) {
      builder.track(root);
    }
    Object blockSize = env.get(ENV_BLOCK_SIZE);
    if (blockSize != null) {
      builder.blockSize(Integer.parseInt(blockSize.toString()));
    }
    if (OPEN.containsKey(store.toAbsolutePath().normalize())) {
      throw new FileSystemAlreadyExistsException(uri.toString());
    }
    return builder.open().fileSystem();
  }

  private static Path storeOf(URI uri, Map<String, ?> env) {
    checkUri(uri);
    Object fromEnv = env == null ? null : env.get(ENV_STORE);
    String ssp = uri.getRawSchemeSpecificPart();
    int bang = ssp.indexOf("!/");
    if (bang >= 0) {
      ssp = ssp.substring(0, bang);
    }
    Path fromUri = null;
    if (ssp.startsWith("file:")) {
      fromUri = Paths.get(URI.create(ssp));
    } else if (uri.getPath() != null) {
      String path = uri.getPath();
      int end = path.indexOf("!/");
      path = end >= 0 ? path.substring(0, end) : path;
      if (!path.isEmpty() && !path.equals("/")) {
        fromUri = Paths.get(path);
      }
    }
    if (fromUri != null && fromEnv != null && !fromUri.equals(toPath(fromEnv))) {
      throw new IllegalArgumentException(
          "the URI names store " + fromUri + " but env names store " + fromEnv);
    }
    if (fromUri == null && fromEnv == null) {
      throw new IllegalArgumentException(
          "no store directory: use metamori:<file URI of the store> or env \"" + ENV_STORE + "\"");
    }
    Path store = fromUri != null ? fromUri : toPath(fromEnv);
    return store.toAbsolutePath().normalize();
  }

  private static Iterable<Path> paths(Object value) {
    java.util.List<Path> paths = new java.util.ArrayList<>();
    if (value instanceof Collection) {
      for (Object o : (Collection<?>) value) {
        paths.add(toPath(o));
      }
    } else if (value instanceof String) {
      for (String s : ((String) value).split(File.pathSeparator)) {
        if (!s.isEmpty()) {
          paths.add(Paths.get(s));
        }
      }
    } else {
      paths.add(toPath(value));
    }
    return paths;
  }

  private static Path toPath(Object o) {
    if (o instanceof MetamoriPath) {
      return ((MetamoriPath) o).delegate();
    }
    if (o instanceof Path) {
      return (Path) o;
    }
    if (o instanceof URI) {
      return Paths.get((URI) o);
    }
    return Paths.get(o.toString());
  }

  private static void checkUri(URI uri) {
    if (!SCHEME.equalsIgnoreCase(uri.getScheme())) {
      throw new IllegalArgumentException("URI scheme is not \"" + SCHEME + "\": " + uri);
    }
  }

  private static MetamoriFileSystem lookup(URI uri) {
    Path store = storeOf(uri, null);
    MetamoriFileSystem fs = OPEN.get(store);
    if (fs == null) {
      try {
        fs = OPEN.get(store.toRealPath());
      } catch (IOException e) {
        // no such store directory: not found
      }
    }
    if (fs == null) {
      throw new FileSystemNotFoundException("no open Metamori file system for " + uri);
    }
    return fs;
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    return lookup(uri);
  }

  @Override
  public Path getPath(URI uri) {
    MetamoriFileSystem fs = lookup(uri);
    String ssp = uri.getSchemeSpecificPart();
    int bang = ssp.indexOf("!/");
    if (bang < 0) {
      throw new IllegalArgumentException("URI names no path after \"!\": " + uri);
    }
    return fs.getPath(ssp.substring(bang + 1));
  }

  static MetamoriPath checkPath(Path path) {
    if (path instanceof MetamoriPath) {
      return (MetamoriPath) path;
    }
    throw new ProviderMismatchException(
        "path " + path + " is not associated with a Metamori file system");
  }

  /** As {@link #checkPath}, and fails if the path's file system is closed. */
  private static MetamoriPath openPath(Path path) {
    MetamoriPath p = checkPath(path);
    if (!p.getFileSystem().isOpen()) {
      throw new ClosedFileSystemException();
    }
    return p;
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    MetamoriPath p = checkPath(path);
    return p.getFileSystem().channels().newFileChannel(p, options, attrs);
  }

  @Override
  public AsynchronousFileChannel newAsynchronousFileChannel(
      Path path, Set<? extends OpenOption> options, ExecutorService executor, FileAttribute<?>... attrs)
      throws IOException {
    MetamoriPath p = checkPath(path);
    return p.getFileSystem().channels().newAsynchronousFileChannel(p, options, executor, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    return MetamoriDirectoryStream.open(openPath(dir), filter);
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    MetamoriPath d = checkPath(dir);
    d.getFileSystem().namespace().createDirectory(d, attrs);
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
    MetamoriPath l = checkPath(link);
    Path t = target instanceof MetamoriPath ? ((MetamoriPath) target).delegate() : target;
    l.getFileSystem().namespace().createSymbolicLink(l, t, attrs);
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    MetamoriPath l = checkPath(link);
    l.getFileSystem().namespace().createLink(l, checkPath(existing));
  }

  @Override
  public void delete(Path path) throws IOException {
    MetamoriPath p = checkPath(path);
    p.getFileSystem().namespace().delete(p);
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    MetamoriPath l = openPath(link);
    return l.getFileSystem().wrap(l.getFileSystem().delegateProvider().readSymbolicLink(l.delegate()));
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    MetamoriPath t = checkPath(target);
    t.getFileSystem().namespace().copy(checkPath(source), t, options);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    MetamoriPath t = checkPath(target);
    t.getFileSystem().namespace().move(checkPath(source), t, options);
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    if (path.equals(path2)) {
      return true;
    }
    if (!(path2 instanceof MetamoriPath)) {
      return false;
    }
    MetamoriPath p = openPath(path);
    return p.getFileSystem().delegateProvider()
        .isSameFile(p.delegate(), ((MetamoriPath) path2).delegate());
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    MetamoriPath p = openPath(path);
    return p.getFileSystem().delegateProvider().isHidden(p.delegate());
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    MetamoriPath p = openPath(path);
    return p.getFileSystem().delegateProvider().getFileStore(p.delegate());
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    MetamoriPath p = openPath(path);
    p.getFileSystem().delegateProvider().checkAccess(p.delegate(), modes);
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    MetamoriPath p = checkPath(path);
    return p.getFileSystem().attributes().getFileAttributeView(p, type, options);
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    MetamoriPath p = openPath(path);
    return p.getFileSystem().delegateProvider().readAttributes(p.delegate(), type, options);
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    MetamoriPath p = openPath(path);
    return p.getFileSystem().delegateProvider().readAttributes(p.delegate(), attributes, options);
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    MetamoriPath p = checkPath(path);
    p.getFileSystem().attributes().setAttribute(p, attribute, value, options);
  }
}
