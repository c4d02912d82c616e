package dev.metamori.agent;

import com.google.common.collect.Iterators;
import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.util.Iterator;
import java.util.Set;

/**
 * A directory stream of the default file system under the agent: a {@link SecureDirectoryStream}
 * wherever the stream it wraps is one (the platform's, for a directory outside the tracked
 * roots; the journaling file system's, for one under them: both are on Linux), so that libraries
 * that look for one (Guava's {@code MoreFiles.deleteRecursively}) behave as without the agent.
 *
 * <p>A relative operation on a platform stream whose entry lies under a tracked root (a
 * directory above a root) goes through the routing provider by path instead, so it is
 * journaled; an absolute path goes through the provider, as the interface says.
 */
final class RoutingDirectoryStream implements SecureDirectoryStream<Path> {
  private final RoutingFileSystemProvider provider;
  private final SecureDirectoryStream<Path> stream;
  private final RoutingPath dir;
  /** Whether {@link #stream} is the platform's (not the journaling file system's). */
  private final boolean platform;

  private RoutingDirectoryStream(
      RoutingFileSystemProvider provider, SecureDirectoryStream<Path> stream, RoutingPath dir, boolean platform) {
    this.provider = provider;
    this.stream = stream;
    this.dir = dir;
    this.platform = platform;
  }

  /** {@code stream}, opened on {@code dir}, as the default file system's. */
  static DirectoryStream<Path> of(
      RoutingFileSystemProvider provider, DirectoryStream<Path> stream, RoutingPath dir, boolean platform) {
    if (stream instanceof SecureDirectoryStream) {
      return new RoutingDirectoryStream(provider, (SecureDirectoryStream<Path>) stream, dir, platform);
    }
    return new DirectoryStream<>() {
      @Override
      public Iterator<Path> iterator() {
        return Iterators.transform(stream.iterator(), provider::routing);
      }

      @Override
      public void close() throws IOException {
        stream.close();
      }
    };
  }

  @Override
  public Iterator<Path> iterator() {
    return Iterators.transform(stream.iterator(), provider::routing);
  }

  @Override
  public void close() throws IOException {
    stream.close();
  }

  private static RoutingPath ours(Path path) {
    if (path instanceof RoutingPath) {
      return (RoutingPath) path;
    }
    throw new ProviderMismatchException("path " + path + " is not associated with the default file system");
  }

  /**
   * Whether an operation on {@code path} goes through the provider by path: an absolute path, or
   * an entry of a platform stream that lies under a tracked root.
   */
  private boolean byPath(RoutingPath path) {
    return path.isAbsolute() || (platform && provider.tracksEntry(dir.resolve(path)));
  }

  /** {@code path} (relative) as a path of the wrapped stream's file system. */
  private Path inStream(RoutingPath path) {
    return provider.sameStringIn(path, platform);
  }

  @Override
  public SecureDirectoryStream<Path> newDirectoryStream(Path path, LinkOption... options) throws IOException {
    RoutingPath p = ours(path);
    RoutingPath at = ours(dir.resolve(p));
    if (byPath(p)) {
      DirectoryStream<Path> s = provider.newDirectoryStream(at, e -> true);
      if (s instanceof SecureDirectoryStream) {
        return (SecureDirectoryStream<Path>) s;
      }
      s.close();
      throw new FileSystemException(at.toString(), null, "not a directory stream that supports relative operations");
    }
    return new RoutingDirectoryStream(provider, stream.newDirectoryStream(inStream(p), options), at, platform);
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    RoutingPath p = ours(path);
    if (byPath(p)) {
      return provider.newByteChannel(dir.resolve(p), options, attrs);
    }
    return stream.newByteChannel(inStream(p), options, attrs);
  }

  @Override
  public void deleteFile(Path path) throws IOException {
    RoutingPath p = ours(path);
    if (byPath(p)) {
      Path at = dir.resolve(p);
      if (Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
        throw new FileSystemException(p.toString(), null, "Is a directory");
      }
      provider.delete(at);
      return;
    }
    stream.deleteFile(inStream(p));
  }

  @Override
  public void deleteDirectory(Path path) throws IOException {
    RoutingPath p = ours(path);
    if (byPath(p)) {
      Path at = dir.resolve(p);
      if (!Files.isDirectory(at, LinkOption.NOFOLLOW_LINKS)) {
        throw new FileSystemException(p.toString(), null, "Not a directory");
      }
      provider.delete(at);
      return;
    }
    stream.deleteDirectory(inStream(p));
  }

  @Override
  public void move(Path srcpath, SecureDirectoryStream<Path> targetdir, Path targetpath) throws IOException {
    if (!(targetdir instanceof RoutingDirectoryStream)) {
      throw new ProviderMismatchException("the target directory stream is not of the default file system");
    }
    RoutingDirectoryStream to = (RoutingDirectoryStream) targetdir;
    RoutingPath src = ours(srcpath);
    RoutingPath target = ours(targetpath);
    if (byPath(src) || to.byPath(target) || platform != to.platform) {
      provider.move(dir.resolve(src), to.dir.resolve(target), StandardCopyOption.ATOMIC_MOVE);
      return;
    }
    stream.move(inStream(src), to.stream, to.inStream(target));
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Class<V> type) {
    return stream.getFileAttributeView(type);
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
    RoutingPath p = ours(path);
    if (byPath(p)) {
      return provider.getFileAttributeView(dir.resolve(p), type, options);
    }
    return stream.getFileAttributeView(inStream(p), type, options);
  }
}
