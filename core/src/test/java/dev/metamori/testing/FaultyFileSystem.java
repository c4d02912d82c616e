package dev.metamori.testing;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A file system that forwards every call to the default one, with the same path strings, and
 * counts each I/O call its provider and channels make: opens, channel reads, writes, forces and
 * truncations, moves, copies, deletes, directory creation and listing, links, attribute reads
 * and writes, access checks. It can be armed to fail one call (or every call from one on, or
 * every call that matches, as a disk that stays full) with an {@link IOException}, and it tells a {@link Recorder} about every change of file data before
 * it is made, every force after it, and every directory operation (create, delete, rename, link,
 * copy, attribute change) before and after it (the power-loss simulation builds on that).
 *
 * <p>{@code faulty.getPath(real.toString())} is the same file as {@code real}.
 */
public final class FaultyFileSystem extends FileSystem {
  /** What an armed fault throws. */
  public enum Fault {
    /** A plain {@code IOException("injected I/O error")}. */
    IO_ERROR,
    /** {@code FileSystemException(path, null, "No space left on device")}. */
    DISK_FULL,
    /**
     * As {@link #DISK_FULL}, but a positional channel write first writes the first half of its
     * bytes, as a write that runs out of space part way does.
     */
    DISK_FULL_PART_WRITTEN
  }

  /** One counted call: its number (from 1), what it does, and the real path it concerns. */
  public record Call(long number, String op, Path path) {
    @Override
    public String toString() {
      return "#" + number + " " + op + " " + path;
    }
  }

  /** Told about changes of file data (before they are made) and forces (after). */
  public interface Recorder {
    /** Every counted call, before it is made (and before a fault may be thrown for it). */
    default void call(Call call) throws IOException {}

    /** Before {@code channel} writes {@code length} bytes at {@code position}. */
    default void beforeWrite(Object fileKey, FileChannel channel, long position, long length)
        throws IOException {}

    /** Before {@code channel} is truncated to {@code size}. */
    default void beforeTruncate(Object fileKey, FileChannel channel, long size) throws IOException {}

    /** After the data of the file open in {@code channel} was forced. */
    default void forced(Object fileKey, FileChannel channel) throws IOException {}

    /** After the last name of a regular file was removed: its inode number may be reused. */
    default void unlinked(Object fileKey) {}

    /**
     * Before a directory operation on real paths ({@code kind}: create, createDirectory,
     * createSymbolicLink, createLink, delete, move, copy, setAttributes; {@code other}: the
     * target of a move or copy, the existing file of a link). Returns what {@link
     * #afterNameChange} is given.
     */
    default Object beforeNameChange(String kind, Path path, Path other) throws IOException {
      return null;
    }

    /** After the operation {@link #beforeNameChange} prepared was made, or failed. */
    default void afterNameChange(Object prepared, boolean made) throws IOException {}

    /** Links to the file the recorder itself holds, not counted when deciding on a last link. */
    default int hiddenLinks(Object fileKey) {
      return 0;
    }
  }

  /** An operation that changes names. */
  private interface NameChange {
    void run() throws IOException;
  }

  /** Makes a directory operation, telling the recorder before and after. */
  private void nameChange(String kind, Path path, Path other, NameChange change) throws IOException {
    Recorder r = recorder;
    Object prepared = r == null ? null : r.beforeNameChange(kind, path, other);
    boolean made = false;
    try {
      change.run();
      made = true;
    } finally {
      if (r != null) {
        r.afterNameChange(prepared, made);
      }
    }
  }

  private final FileSystem real = FileSystems.getDefault();
  private final Provider provider = new Provider();
  private final Object lock = new Object();
  private long calls;
  private Predicate<Call> failWhen;
  private boolean persistent;
  /** Fail every call that matches, not only the first (a disk that stays full). */
  private boolean everyMatch;
  private Fault fault = Fault.IO_ERROR;
  private Call firstFaulted;
  private long faultsThrown;
  private volatile Recorder recorder;

  public static FaultyFileSystem create() {
    // whether a file's times fall in the clock tick of its stat (and so it is hashed) depends on
    // timing: hash every witnessed file, so that every run makes the same calls
    System.setProperty("metamori.witness.hashAll", "true");
    return new FaultyFileSystem();
  }

  private FaultyFileSystem() {}

  // ---------------------------------------------------------------- control

  /** The number of I/O calls made so far. */
  public long calls() {
    synchronized (lock) {
      return calls;
    }
  }

  /** Fails the call with number {@code k} (counted from 1), or every call from it on. */
  public void failAt(long k, Fault kind, boolean fromThenOn) {
    failWhen(c -> c.number() == k, kind, fromThenOn);
  }

  /** Fails the first call that matches {@code when}, or every call from it on. */
  public void failWhen(Predicate<Call> when, Fault kind, boolean fromThenOn) {
    synchronized (lock) {
      failWhen = when;
      fault = kind;
      persistent = fromThenOn;
      everyMatch = false;
      firstFaulted = null;
      faultsThrown = 0;
    }
  }

  /**
   * Fails every call that matches {@code when} until {@link #disarm()}; calls that do not match
   * go through (a full disk fails what allocates space, not reads, truncations or deletes).
   */
  public void failWhenever(Predicate<Call> when, Fault kind) {
    synchronized (lock) {
      failWhen = when;
      fault = kind;
      persistent = false;
      everyMatch = true;
      firstFaulted = null;
      faultsThrown = 0;
    }
  }

  /** Stops failing calls. */
  public void disarm() {
    synchronized (lock) {
      failWhen = null;
    }
  }

  /** The first call that was failed since the last arming, or null. */
  public Call firstFaulted() {
    synchronized (lock) {
      return firstFaulted;
    }
  }

  public long faultsThrown() {
    synchronized (lock) {
      return faultsThrown;
    }
  }

  public void recorder(Recorder r) {
    recorder = r;
  }

  /** Counts a call on {@code path} and throws if it is armed to fail. */
  private final Object recorderCalls = new Object();

  void io(String op, Path path) throws IOException {
    Call call;
    IOException failure = null;
    synchronized (lock) {
      call = new Call(++calls, op, path);
      if (failWhen != null && ((persistent && firstFaulted != null) || failWhen.test(call))) {
        if (firstFaulted == null) {
          firstFaulted = call;
        }
        faultsThrown++;
        failure =
            fault != Fault.IO_ERROR
                ? new FileSystemException(String.valueOf(path), null, "No space left on device")
                : new IOException("injected I/O error at " + call);
        if (!persistent && !everyMatch) {
          failWhen = null;
        }
      }
    }
    Recorder r = recorder;
    if (r != null) {
      // one at a time: commits and restores force files from several threads, and a recorder
      // (a power-loss test building a disk state at each call) need not be thread-safe
      synchronized (recorderCalls) {
        r.call(call);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  // ---------------------------------------------------------------- paths

  static Path unwrap(Path p) {
    if (p instanceof FaultyPath) {
      return ((FaultyPath) p).real;
    }
    if (p == null) {
      return null;
    }
    throw new java.nio.file.ProviderMismatchException(p.getClass().getName());
  }

  Path wrap(Path p) {
    return p == null ? null : new FaultyPath(this, p);
  }

  @Override
  public FileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() {
    throw new UnsupportedOperationException();
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
    return real.getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    return () -> map(real.getRootDirectories().iterator());
  }

  private Iterator<Path> map(Iterator<Path> it) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Path next() {
        return wrap(it.next());
      }
    };
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return real.getFileStores();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return real.supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(real.getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher m = real.getPathMatcher(syntaxAndPattern);
    return p -> m.matches(unwrap(p));
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return real.getUserPrincipalLookupService();
  }

  @Override
  public WatchService newWatchService() throws IOException {
    return real.newWatchService();
  }

  /** A path of the faulty file system: the real one, wrapped. */
  static final class FaultyPath implements Path {
    final FaultyFileSystem fs;
    final Path real;

    FaultyPath(FaultyFileSystem fs, Path real) {
      this.fs = fs;
      this.real = real;
    }

    @Override
    public FileSystem getFileSystem() {
      return fs;
    }

    @Override
    public boolean isAbsolute() {
      return real.isAbsolute();
    }

    @Override
    public Path getRoot() {
      return fs.wrap(real.getRoot());
    }

    @Override
    public Path getFileName() {
      return fs.wrap(real.getFileName());
    }

    @Override
    public Path getParent() {
      return fs.wrap(real.getParent());
    }

    @Override
    public int getNameCount() {
      return real.getNameCount();
    }

    @Override
    public Path getName(int index) {
      return fs.wrap(real.getName(index));
    }

    @Override
    public Path subpath(int beginIndex, int endIndex) {
      return fs.wrap(real.subpath(beginIndex, endIndex));
    }

    @Override
    public boolean startsWith(Path other) {
      return other instanceof FaultyPath && real.startsWith(((FaultyPath) other).real);
    }

    @Override
    public boolean endsWith(Path other) {
      return other instanceof FaultyPath && real.endsWith(((FaultyPath) other).real);
    }

    @Override
    public Path normalize() {
      return fs.wrap(real.normalize());
    }

    @Override
    public Path resolve(Path other) {
      return fs.wrap(real.resolve(unwrap(other)));
    }

    @Override
    public Path resolve(String other) {
      return fs.wrap(real.resolve(other));
    }

    @Override
    public Path relativize(Path other) {
      return fs.wrap(real.relativize(unwrap(other)));
    }

    @Override
    public URI toUri() {
      return real.toUri();
    }

    @Override
    public Path toAbsolutePath() {
      return fs.wrap(real.toAbsolutePath());
    }

    @Override
    public Path toRealPath(LinkOption... options) throws IOException {
      fs.io("toRealPath", real);
      return fs.wrap(real.toRealPath(options));
    }

    @Override
    public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
        throws IOException {
      return real.register(watcher, events, modifiers);
    }

    @Override
    public int compareTo(Path other) {
      return real.compareTo(unwrap(other));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FaultyPath && ((FaultyPath) o).fs == fs && ((FaultyPath) o).real.equals(real);
    }

    @Override
    public int hashCode() {
      return real.hashCode();
    }

    @Override
    public String toString() {
      return real.toString();
    }
  }

  // ---------------------------------------------------------------- provider

  private final class Provider extends FileSystemProvider {
    private FileSystemProvider real() {
      return real.provider();
    }

    @Override
    public String getScheme() {
      return "faulty";
    }

    @Override
    public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
      throw new UnsupportedOperationException();
    }

    @Override
    public FileSystem getFileSystem(URI uri) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Path getPath(URI uri) {
      return wrap(real().getPath(uri));
    }

    @Override
    public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
        throws IOException {
      return newFileChannel(path, options, attrs);
    }

    @Override
    public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
        throws IOException {
      Path p = unwrap(path);
      io("open" + options, p);
      Recorder r = recorder;
      boolean exists = r != null && java.nio.file.Files.exists(p);
      if (exists && options.contains(StandardOpenOption.TRUNCATE_EXISTING) && options.contains(StandardOpenOption.WRITE)) {
        try (FileChannel old = real().newFileChannel(p, Set.of(StandardOpenOption.READ))) {
          r.beforeTruncate(real().readAttributes(p, BasicFileAttributes.class).fileKey(), old, 0);
        } catch (java.nio.file.NoSuchFileException e) {
          // gone meanwhile: the open below says so
        }
      }
      FileChannel[] opened = new FileChannel[1];
      boolean creates =
          r != null && !exists && (options.contains(StandardOpenOption.CREATE) || options.contains(StandardOpenOption.CREATE_NEW));
      if (creates) {
        nameChange("create", p, null, () -> opened[0] = real().newFileChannel(p, options, attrs));
      } else {
        opened[0] = real().newFileChannel(p, options, attrs);
      }
      FileChannel channel = opened[0];
      Object key = null;
      FileChannel reader = channel;
      if (recorder != null) {
        // the inode, known while the path still names it (the file may be renamed later), and
        // a way to read what a write overwrites
        key = real().readAttributes(p, BasicFileAttributes.class).fileKey();
        if (options.contains(StandardOpenOption.WRITE) && !options.contains(StandardOpenOption.READ)) {
          reader = real().newFileChannel(p, Set.of(StandardOpenOption.READ));
        }
      }
      return new FaultyChannel(p, key, channel, reader, options.contains(StandardOpenOption.APPEND));
    }

    @Override
    public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
        throws IOException {
      Path d = unwrap(dir);
      io("list", d);
      DirectoryStream<Path> stream = real().newDirectoryStream(d, p -> filter.accept(wrap(p)));
      return new DirectoryStream<>() {
        @Override
        public Iterator<Path> iterator() {
          return map(stream.iterator());
        }

        @Override
        public void close() throws IOException {
          stream.close();
        }
      };
    }

    @Override
    public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
      io("createDirectory", unwrap(dir));
      nameChange("createDirectory", unwrap(dir), null, () -> real().createDirectory(unwrap(dir), attrs));
    }

    @Override
    public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs) throws IOException {
      io("createSymbolicLink", unwrap(link));
      Path to = target instanceof FaultyPath ? unwrap(target) : target;
      nameChange("createSymbolicLink", unwrap(link), null, () -> real().createSymbolicLink(unwrap(link), to, attrs));
    }

    @Override
    public void createLink(Path link, Path existing) throws IOException {
      io("createLink", unwrap(link));
      nameChange("createLink", unwrap(link), unwrap(existing), () -> real().createLink(unwrap(link), unwrap(existing)));
    }

    @Override
    public void delete(Path path) throws IOException {
      io("delete", unwrap(path));
      Object last = lastLink(unwrap(path));
      nameChange("delete", unwrap(path), null, () -> real().delete(unwrap(path)));
      unlinked(last);
    }

    /** The file key of {@code p} if it is a regular file with one link and a recorder listens. */
    private Object lastLink(Path p) {
      if (recorder == null) {
        return null;
      }
      try {
        BasicFileAttributes a = real().readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        Object links = real().readAttributes(p, "unix:nlink", LinkOption.NOFOLLOW_LINKS).get("nlink");
        int visible = ((Number) links).intValue() - recorder.hiddenLinks(a.fileKey());
        return a.isRegularFile() && visible == 1 ? a.fileKey() : null;
      } catch (IOException | RuntimeException e) {
        return null;
      }
    }

    private void unlinked(Object key) {
      Recorder r = recorder;
      if (key != null && r != null) {
        r.unlinked(key);
      }
    }

    @Override
    public Path readSymbolicLink(Path link) throws IOException {
      io("readSymbolicLink", unwrap(link));
      return wrap(real().readSymbolicLink(unwrap(link)));
    }

    @Override
    public void copy(Path source, Path target, CopyOption... options) throws IOException {
      io("copy to " + unwrap(target), unwrap(source));
      Object replaced = lastLink(unwrap(target));
      nameChange("copy", unwrap(source), unwrap(target), () -> real().copy(unwrap(source), unwrap(target), options));
      unlinked(replaced);
    }

    @Override
    public void move(Path source, Path target, CopyOption... options) throws IOException {
      io("move to " + unwrap(target), unwrap(source));
      Object replaced = lastLink(unwrap(target));
      if (replaced != null && replaced.equals(lastLink(unwrap(source)))) {
        replaced = null;
      }
      nameChange("move", unwrap(source), unwrap(target), () -> real().move(unwrap(source), unwrap(target), options));
      unlinked(replaced);
    }

    @Override
    public boolean isSameFile(Path path, Path path2) throws IOException {
      io("isSameFile", unwrap(path));
      return real().isSameFile(unwrap(path), unwrap(path2));
    }

    @Override
    public boolean isHidden(Path path) throws IOException {
      return real().isHidden(unwrap(path));
    }

    @Override
    public FileStore getFileStore(Path path) throws IOException {
      io("getFileStore", unwrap(path));
      return real().getFileStore(unwrap(path));
    }

    @Override
    public void checkAccess(Path path, AccessMode... modes) throws IOException {
      io("checkAccess", unwrap(path));
      real().checkAccess(unwrap(path), modes);
    }

    @Override
    public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
      Path p = unwrap(path);
      V view = real().getFileAttributeView(p, type, options);
      if (view == null) {
        return null;
      }
      // every call of a view is I/O (readAttributes, setTimes, setPermissions, setOwner...)
      Object proxy =
          Proxy.newProxyInstance(
              type.getClassLoader() == null ? FaultyFileSystem.class.getClassLoader() : type.getClassLoader(),
              new Class<?>[] {type},
              (self, method, args) -> {
                if (method.getDeclaringClass() != Object.class && !method.getName().equals("name")) {
                  io("view." + method.getName(), p);
                }
                if (method.getName().startsWith("set")) {
                  nameChange("setAttributes", p, null, () -> invoke(method, view, args));
                  return null;
                }
                return invoke(method, view, args);
              });
      return type.cast(proxy);
    }

    private Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws IOException {
      try {
        return method.invoke(target, args);
      } catch (InvocationTargetException e) {
        if (e.getCause() instanceof IOException) {
          throw (IOException) e.getCause();
        }
        if (e.getCause() instanceof RuntimeException) {
          throw (RuntimeException) e.getCause();
        }
        throw new IllegalStateException(e.getCause());
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
        throws IOException {
      io("readAttributes", unwrap(path));
      return real().readAttributes(unwrap(path), type, options);
    }

    @Override
    public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
        throws IOException {
      io("readAttributes " + attributes, unwrap(path));
      return real().readAttributes(unwrap(path), attributes, options);
    }

    @Override
    public void setAttribute(Path path, String attribute, Object value, LinkOption... options) throws IOException {
      io("setAttribute " + attribute, unwrap(path));
      nameChange("setAttributes", unwrap(path), null, () -> real().setAttribute(unwrap(path), attribute, value, options));
    }
  }

  // ---------------------------------------------------------------- channels

  /** A file channel whose reads, writes, forces and truncations are counted. */
  private final class FaultyChannel extends FileChannel {
    private final Path path;
    private final Object key;
    private final FileChannel channel;
    private final FileChannel reader;
    private final boolean append;

    FaultyChannel(Path path, Object key, FileChannel channel, FileChannel reader, boolean append) {
      this.path = path;
      this.key = key;
      this.reader = reader;
      this.channel = channel;
      this.append = append;
    }

    private void beforeWrite(long position, long length) throws IOException {
      Recorder r = recorder;
      if (r != null) {
        r.beforeWrite(key, reader, position, length);
      }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      io("read", path);
      return channel.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      io("read", path);
      return channel.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      io("read", path);
      return channel.read(dst, position);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      io("write", path);
      beforeWrite(append ? channel.size() : channel.position(), src.remaining());
      return channel.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      io("write", path);
      long total = 0;
      for (int i = offset; i < offset + length; i++) {
        total += srcs[i].remaining();
      }
      beforeWrite(append ? channel.size() : channel.position(), total);
      return channel.write(srcs, offset, length);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      try {
        io("write", path);
      } catch (IOException e) {
        boolean part;
        synchronized (lock) {
          part = fault == Fault.DISK_FULL_PART_WRITTEN;
        }
        if (part && src.remaining() > 1) {
          ByteBuffer half = src.duplicate();
          half.limit(half.position() + half.remaining() / 2);
          beforeWrite(position, half.remaining());
          channel.write(half, position);
        }
        throw e;
      }
      beforeWrite(position, src.remaining());
      return channel.write(src, position);
    }

    @Override
    public long position() throws IOException {
      return channel.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      channel.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      io("size", path);
      return channel.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      io("truncate", path);
      Recorder r = recorder;
      if (r != null) {
        r.beforeTruncate(key, reader, size);
      }
      channel.truncate(size);
      return this;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      io("force", path);
      channel.force(metaData);
      Recorder r = recorder;
      if (r != null) {
        r.forced(key, channel);
      }
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      io("transferTo", path);
      ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
      long done = 0;
      while (done < count) {
        b.clear().limit((int) Math.min(b.capacity(), count - done));
        int n = channel.read(b, position + done);
        if (n <= 0) {
          break;
        }
        b.flip();
        while (b.hasRemaining()) {
          target.write(b);
        }
        done += n;
      }
      return done;
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      io("transferFrom", path);
      ByteBuffer b = ByteBuffer.allocate((int) Math.min(count, 1 << 16));
      long done = 0;
      while (done < count) {
        b.clear().limit((int) Math.min(b.capacity(), count - done));
        int n = src.read(b);
        if (n <= 0) {
          break;
        }
        b.flip();
        beforeWrite(position + done, n);
        while (b.hasRemaining()) {
          done += channel.write(b, position + done);
        }
      }
      return done;
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      io("map " + mode, path);
      return channel.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      io("lock", path);
      return channel.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      io("tryLock", path);
      return channel.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      channel.close();
      if (reader != channel) {
        reader.close();
      }
    }
  }
}
