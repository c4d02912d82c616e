package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.collect.Iterators;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.ClosedDirectoryStreamException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Objects;
import java.util.Set;

/**
 * The secure directory stream of a Metamori path, over the underlying file system's. Its
 * entries, and the paths it hands out, are paths of the Metamori file system; a relative path
 * given to it names a file of the directory it was opened on, an absolute one is used as is.
 *
 * <p>A call on a file outside the tracked roots and the store is made by the underlying stream,
 * relative to its open directory, exactly as on the default file system. A call on a file under
 * a tracked root (or in the store) goes through the file system's own operations on the
 * resolved path, so that it is journaled (or refused) like any other: {@link #deleteFile} and
 * {@link #deleteDirectory} as {@code Files.delete}, {@link #move} as {@code Files.move} with
 * {@code ATOMIC_MOVE} (a rename, as {@code renameat(2)}), {@link #newByteChannel} as {@code
 * Files.newByteChannel}, a change through an attribute view as through {@code
 * Files.getFileAttributeView}. Errors name the paths as given, as the default stream's do.
 *
 * <p>The journal names files by path, so a call with a relative path first checks that the
 * directory's path still names the directory the stream has open; if the directory was moved
 * or replaced since, the call is refused with a {@link FileSystemException} rather than
 * changing a file the journal would not know by that name. (The check and the call are two
 * steps: a rename racing between them is not seen.)
 */
final class MetamoriSecureDirectoryStream implements SecureDirectoryStream<Path> {
  private final MetamoriFileSystem fs;
  private final MetamoriPath dir;
  private final SecureDirectoryStream<Path> stream;
  private volatile boolean closed;

  MetamoriSecureDirectoryStream(MetamoriPath dir, SecureDirectoryStream<Path> stream) {
    this.fs = dir.getFileSystem();
    this.dir = dir;
    this.stream = stream;
  }

  /** A call that names a file, made through the file system's journaled operations. */
  private interface Call<T> {
    T run() throws IOException;
  }

  @Override
  public Iterator<Path> iterator() {
    return Iterators.transform(stream.iterator(), fs::wrap);
  }

  @Override
  public void close() throws IOException {
    closed = true;
    stream.close();
  }

  @Override
  public SecureDirectoryStream<Path> newDirectoryStream(Path path, LinkOption... options) throws IOException {
    MetamoriPath name = name(path);
    SecureDirectoryStream<Path> child = stream.newDirectoryStream(name.delegate(), options);
    return new MetamoriSecureDirectoryStream(resolve(name), child);
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    MetamoriPath name = name(path);
    MetamoriPath file = resolve(name);
    boolean follow = !options.contains(NOFOLLOW_LINKS);
    if (!journaled(name, file, follow)) {
      return stream.newByteChannel(name.delegate(), options, attrs);
    }
    return named(name, file, null, null, () -> fs.provider().newByteChannel(file, options, attrs));
  }

  @Override
  public void deleteFile(Path path) throws IOException {
    delete(path, false);
  }

  @Override
  public void deleteDirectory(Path path) throws IOException {
    delete(path, true);
  }

  /** unlinkat(2) with AT_REMOVEDIR ({@code directory}) or without. */
  private void delete(Path path, boolean directory) throws IOException {
    MetamoriPath name = name(path);
    MetamoriPath file = resolve(name);
    if (!journaled(name, file, false)) {
      if (directory) {
        stream.deleteDirectory(name.delegate());
      } else {
        stream.deleteFile(name.delegate());
      }
      return;
    }
    if (attributes(name, file).isDirectory() != directory) {
      throw new FileSystemException(name.toString(), null, directory ? "Not a directory" : "Is a directory");
    }
    try {
      named(name, file, null, null, () -> {
        fs.namespace().delete(file);
        return null;
      });
    } catch (DirectoryNotEmptyException e) {
      throw new DirectoryNotEmptyException(null); // as the default stream names it
    }
  }

  @Override
  public void move(Path source, SecureDirectoryStream<Path> targetDir, Path target) throws IOException {
    MetamoriPath from = name(source);
    MetamoriPath to = name(target);
    Objects.requireNonNull(targetDir);
    if (!(targetDir instanceof MetamoriSecureDirectoryStream)) {
      throw new ProviderMismatchException();
    }
    MetamoriSecureDirectoryStream that = (MetamoriSecureDirectoryStream) targetDir;
    that.checkOpen();
    MetamoriPath fromFile = resolve(from);
    MetamoriPath toFile = that.resolve(to);
    if (!journaled(from, fromFile, false) && !that.journaled(to, toFile, false)) {
      stream.move(from.delegate(), that.stream, to.delegate());
      return;
    }
    named(from, fromFile, to, toFile, () -> {
      fs.namespace().move(fromFile, toFile, StandardCopyOption.ATOMIC_MOVE);
      return null;
    });
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Class<V> type) {
    V view = stream.getFileAttributeView(type);
    return view == null ? null : fs.attributes().wrap(dir, true, type, checked(type, view, null));
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
    MetamoriPath name = name(path);
    V view = stream.getFileAttributeView(name.delegate(), type, options);
    boolean follow = !Arrays.asList(options).contains(NOFOLLOW_LINKS);
    return view == null ? null : fs.attributes().wrap(resolve(name), follow, type, checked(type, view, name));
  }

  // ---------------------------------------------------------------- paths

  private static MetamoriPath name(Path path) {
    Objects.requireNonNull(path);
    if (!(path instanceof MetamoriPath)) {
      throw new ProviderMismatchException();
    }
    return (MetamoriPath) path;
  }

  private MetamoriPath resolve(MetamoriPath name) {
    return (MetamoriPath) dir.resolve(name);
  }

  private void checkOpen() {
    if (closed) {
      throw new ClosedDirectoryStreamException();
    }
  }

  /**
   * Whether a call on {@code file} (named {@code name}) is to go through the journaled
   * operations: it lies under a tracked root or in the store. For a relative name, first checks
   * that the stream's directory is still where its path says.
   */
  private boolean journaled(MetamoriPath name, MetamoriPath file, boolean follow) throws IOException {
    checkOpen();
    if (!name.isAbsolute()) {
      checkSameDirectory();
    }
    return fs.zones().locate(file.delegate(), follow).zone() != PathZones.Zone.OUTSIDE;
  }

  private void checkSameDirectory() throws IOException {
    Object opened = stream.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
    Object named;
    try {
      named = fs.delegateProvider().readAttributes(dir.delegate(), BasicFileAttributes.class).fileKey();
    } catch (IOException e) {
      named = null;
    }
    if (opened == null || !opened.equals(named)) {
      throw new FileSystemException(
          dir.toString(),
          null,
          "this directory was moved or replaced after the directory stream opened it; a change"
              + " relative to it cannot be journaled: open a new stream on its new path");
    }
  }

  private BasicFileAttributes attributes(MetamoriPath name, MetamoriPath file) throws IOException {
    try {
      return fs.delegateProvider().readAttributes(file.delegate(), BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(name.toString());
    }
  }

  /** Runs {@code call}; its errors name {@code name} and {@code otherName} as given. */
  private static <T> T named(
      MetamoriPath name, MetamoriPath file, MetamoriPath otherName, MetamoriPath otherFile, Call<T> call)
      throws IOException {
    try {
      return call.run();
    } catch (FileSystemException e) {
      throw FileErrors.renamed(
          e,
          file.toString(),
          name.toString(),
          otherFile == null ? null : otherFile.toString(),
          otherName == null ? null : otherName.toString());
    }
  }

  /**
   * {@code view} with each change (a method whose name starts with {@code set}) preceded by
   * the check that the directory is still where its path says ({@code name} relative, or the
   * directory itself): the change is journaled under that path.
   */
  private <V extends FileAttributeView> V checked(Class<V> type, V view, MetamoriPath name) {
    if (name != null && name.isAbsolute()) {
      return view;
    }
    Object proxy =
        Proxy.newProxyInstance(
            MetamoriSecureDirectoryStream.class.getClassLoader(),
            new Class<?>[] {type},
            (p, method, args) -> {
              if (method.getName().startsWith("set")) {
                checkOpen();
                checkSameDirectory();
              }
              try {
                return method.invoke(view, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
    return type.cast(proxy);
  }
}
