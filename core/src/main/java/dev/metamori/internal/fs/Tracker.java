package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord.Block;
import dev.metamori.internal.journal.UndoRecord.Created;
import dev.metamori.internal.journal.UndoRecord.Kind;
import dev.metamori.internal.journal.UndoRecord.Moved;
import dev.metamori.internal.journal.UndoRecord.Touch;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The one interception point between the journaling file system and the underlying one.
 *
 * <p>Every mutating call is classified once ({@link #locate}): under a tracked root it is
 * journaled, inside the store it is refused, elsewhere it passes through. For a journaled call
 * the undo record reaches the journal file before the underlying file system acts.
 *
 * <p>Locking: data writes, creations and attribute changes hold the epoch lock shared;
 * deletes, moves, copies, commit and rollback hold it exclusively. So every change belongs
 * wholly to one epoch, and the path a record names is where the file is when it is undone.
 */
public final class Tracker {
  enum Zone {
    TRACKED,
    STORE,
    OUTSIDE
  }

  record Located(Path real, Zone zone) {}

  private static final ExecutorService ASYNC_EXECUTOR =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "metamori-async-io");
            t.setDaemon(true);
            return t;
          });

  private final FileSystem delegate;
  private final FileSystemProvider provider;
  private final Journal journal;
  private final List<Path> roots;
  private final Path store;
  private final int blockSize;
  private final boolean posix;
  private final ReentrantReadWriteLock epochLock = new ReentrantReadWriteLock();
  private final ConcurrentHashMap<Object, TrackedFile> files = new ConcurrentHashMap<>();
  private final Set<MetamoriFileChannel> channels = ConcurrentHashMap.newKeySet();
  /** Channels handed out unwrapped (read-only, untracked); weak, so closed ones are let go. */
  private final Set<java.nio.channels.Channel> passthrough =
      java.util.Collections.synchronizedSet(
          java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>()));
  private final AtomicLong fileIds = new AtomicLong();
  private volatile long generation = 1;
  private volatile boolean open = true;

  public Tracker(FileSystem delegate, Journal journal, List<Path> realRoots, Path realStore) {
    this.delegate = delegate;
    this.provider = delegate.provider();
    this.journal = journal;
    this.roots = List.copyOf(realRoots);
    this.store = realStore;
    this.blockSize = journal.blockSize();
    this.posix = delegate.supportedFileAttributeViews().contains("posix");
  }

  /** The file system the tracked trees and the store live on. */
  public FileSystem delegate() {
    return delegate;
  }

  // ---------------------------------------------------------------- lifecycle

  /** Recovers the trees to the last committed epoch (or finishes an interrupted rollback). */
  public void recover() throws IOException {
    Lock lock = exclusive();
    try {
      journal.recover(new UndoApplier(delegate, journal, posix, journal.forcing(), true));
      newGeneration();
    } finally {
      lock.unlock();
    }
  }

  /**
   * A sealed epoch on its way to being committed (see {@link #capture}); namespace operations,
   * rollbacks and the next capture wait until it is.
   */
  public final class Capture {
    private final Journal.Sealed sealed;
    private final List<TrackedFile> touched;
    private final CountDownLatch done = new CountDownLatch(1);

    private Capture(Journal.Sealed sealed, List<TrackedFile> touched) {
      this.sealed = sealed;
      this.touched = touched;
    }

    /** The id the epoch gets when committed. */
    public long id() {
      return sealed.id();
    }
  }

  private volatile Capture committing;

  /** The write lock, once no epoch is being committed: exclusive operations wait for it. */
  private Lock exclusive() {
    while (true) {
      Capture c = committing;
      if (c != null) {
        com.google.common.util.concurrent.Uninterruptibles.awaitUninterruptibly(c.done);
      }
      Lock lock = epochLock.writeLock();
      lock.lock();
      c = committing;
      if (c == null || c.done.getCount() == 0) {
        return lock;
      }
      lock.unlock();
    }
  }

  /** Seals the working epoch and commits it. */
  public EpochInfo commit(long nowMillis) throws IOException {
    return commit(capture(null), nowMillis, null, null);
  }

  /**
   * Ends the working epoch at one instant: runs {@code atInstant} (which captures the
   * volatile state; if it throws, nothing is sealed) and seals the epoch, while no write, create
   * or namespace operation runs. Follow with {@link #commit(Capture, long, Journal.StateWriter, String)}.
   */
  public Capture capture(IoRunnable atInstant) throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      if (atInstant != null) {
        atInstant.run();
      }
      List<TrackedFile> touched = new java.util.ArrayList<>();
      for (TrackedFile f : files.values()) {
        if (f.touchedIn(generation) && journal.forcing()) {
          f.forceMappings();
          touched.add(f);
        }
      }
      Capture capture = new Capture(journal.seal(), touched);
      committing = capture;
      newGeneration();
      for (TrackedFile f : files.values()) {
        List<long[]> live = f.liveMappings();
        if (live.isEmpty() || locateReal(f.path) != Zone.TRACKED) {
          continue;
        }
        BasicFileAttributes a = attributesOrNull(f.path);
        if (a == null || !a.isRegularFile()) {
          continue; // deleted while mapped: its writes no longer reach the tree
        }
        for (long[] m : live) {
          beforeWrite(f, null, m[0], m[1]);
        }
      }
      return capture;
    } finally {
      lock.unlock();
    }
  }

  /** Something to run that may fail with an I/O error. */
  public interface IoRunnable {
    void run() throws IOException;
  }

  /**
   * Forces what the captured epoch changed, writes its state records and commits it. Writes and
   * creates of the new working epoch may run meanwhile.
   */
  public EpochInfo commit(
      Capture capture, long nowMillis, Journal.StateWriter state, String label) throws IOException {
    try {
      for (TrackedFile f : capture.touched) {
        force(f);
      }
      return journal.commit(capture.sealed, nowMillis, state, label);
    } finally {
      capture.done.countDown();
    }
  }

  /** Closes the journaling channels, then undoes everything after {@code target}. */
  public void rollback(long target) throws IOException {
    Lock lock = exclusive();
    try {
      checkOpen();
      dev.metamori.internal.journal.Route route = journal.prepareRollback(target);
      closeChannels(false);
      journal.rollback(route, new UndoApplier(delegate, journal, posix, journal.forcing(), false));
      files.values().forEach(TrackedFile::dropMappings);
      files.clear();
      newGeneration();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Prunes the journal (see {@link Journal#prune}); commits and rollbacks wait, writes go on:
   * a prune never touches the working epoch or the files.
   */
  public List<Long> prune(java.util.Set<Long> keep) throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      checkOpen();
      return journal.prune(keep);
    } finally {
      lock.unlock();
    }
  }

  /** Scrubs the journal; commits and rollbacks wait, writes go on. */
  public List<dev.metamori.CorruptStoreException> verify() throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      checkOpen();
      return journal.verify();
    } finally {
      lock.unlock();
    }
  }

  /** Closes every channel; later calls fail with {@link ClosedFileSystemException}. */
  public void close() throws IOException {
    Lock lock = exclusive();
    try {
      // while still open: a DELETE_ON_CLOSE channel deletes through the journal (undone on the
      // next open, like all uncommitted work)
      closeChannels(true);
    } finally {
      open = false;
      files.clear();
      lock.unlock();
    }
  }

  /**
   * Closes the journaling channels, and with {@code all} the unwrapped ones too (read-only or
   * untracked). A rollback closes only the former: an application's channels on files outside
   * the tracked roots have nothing to do with it.
   */
  private void closeChannels(boolean all) throws IOException {
    IOException failure = null;
    RuntimeException unchecked = null;
    for (MetamoriFileChannel c : new ArrayList<>(channels)) {
      try {
        c.close();
      } catch (IOException e) {
        failure = e;
      } catch (RuntimeException e) {
        unchecked = e;
      }
    }
    channels.clear();
    List<java.nio.channels.Channel> unwrapped = new ArrayList<>();
    if (all) {
      synchronized (passthrough) {
        unwrapped.addAll(passthrough);
        passthrough.clear();
      }
    }
    for (java.nio.channels.Channel c : unwrapped) {
      try {
        c.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
    if (unchecked != null) {
      throw unchecked;
    }
  }

  private void newGeneration() {
    generation++;
    fileIds.set(0);
    files.values().removeIf(f -> f.openCount == 0 && !f.hasMappings());
  }

  private void force(TrackedFile f) throws IOException {
    Path path = f.path;
    if (locateReal(path) != Zone.TRACKED) {
      return;
    }
    try {
      // by what is there now: the entry may have been replaced by another kind (and an inode
      // number reused). A symbolic link has no data of its own (and may dangle or loop): its
      // directory is forced.
      BasicFileAttributes a = provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      if (a.isDirectory()) {
        Journal.forceDirectory(path);
      } else if (a.isRegularFile()) {
        try (FileChannel c =
            provider.newFileChannel(path, Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS))) {
          c.force(true);
        }
      }
    } catch (NoSuchFileException ignored) {
      // removed again within the epoch: its directory is forced instead
    }
  }

  private void checkOpen() {
    if (!open) {
      throw new ClosedFileSystemException();
    }
  }

  // ---------------------------------------------------------------- classification

  /** Whether {@code path} (of the underlying file system) lies under a tracked root. */
  boolean isTracked(Path path) {
    try {
      return locate(path, true).zone == Zone.TRACKED;
    } catch (IOException e) {
      return locateReal(path.toAbsolutePath().normalize()) == Zone.TRACKED;
    }
  }

  /**
   * Where the bytes of {@code path} really are: symbolic links in its parents are always
   * resolved, the final element only if {@code followFinal}.
   */
  Located locate(Path path, boolean followFinal) throws IOException {
    checkOpen();
    Path abs = path.toAbsolutePath();
    Path real = null;
    if (followFinal) {
      try {
        real = abs.toRealPath();
      } catch (NoSuchFileException e) {
        // a file about to be created: resolve its parent, or where a dangling link points
        abs = danglingLinkTarget(abs);
      }
    }
    if (real == null) {
      Path normal = abs.normalize();
      Path parent = normal.getParent();
      real = normal;
      if (parent != null && normal.getFileName() != null) {
        try {
          real = parent.toRealPath().resolve(normal.getFileName());
        } catch (FileSystemException e) {
          // the operation itself will report the missing (or looping, or non-directory) parent,
          // after whatever the default file system checks first; but a parent that is a
          // directory failed for another reason (an I/O error), and classifying the path
          // unresolved could let a change into a tracked root through unjournaled
          if (isDirectoryFollowingLinks(parent)) {
            throw e;
          }
        }
      }
    }
    return new Located(real, locateReal(real));
  }

  /**
   * Where opening {@code path} with CREATE would create the file: if its final element is a
   * symbolic link to a missing file, the link's target (followed as the kernel does, up to
   * 40 links); otherwise {@code path} itself.
   */
  private Path danglingLinkTarget(Path path) throws IOException {
    Path current = path;
    for (int hops = 0; hops < 40; hops++) {
      Path normal = current.normalize();
      Path parent = normal.getParent();
      if (parent == null || normal.getFileName() == null) {
        return current;
      }
      Path link;
      try {
        link = parent.toRealPath().resolve(normal.getFileName());
      } catch (FileSystemException e) {
        return current;
      }
      BasicFileAttributes a = attributesOrNull(link);
      if (a == null || !a.isSymbolicLink()) {
        return current;
      }
      current = link.getParent().resolve(provider.readSymbolicLink(link));
    }
    return current;
  }

  private boolean isDirectoryFollowingLinks(Path path) {
    try {
      return provider.readAttributes(path, BasicFileAttributes.class).isDirectory();
    } catch (IOException e) {
      return false;
    }
  }

  /** The tracked roots and the store: directories a move must not carry away. */
  private List<Path> heldDirectories() {
    List<Path> held = new ArrayList<>(roots);
    held.add(store);
    return held;
  }

  private Zone locateReal(Path real) {
    if (real.startsWith(store)) {
      return Zone.STORE;
    }
    for (Path root : roots) {
      if (real.startsWith(root)) {
        return Zone.TRACKED;
      }
    }
    return Zone.OUTSIDE;
  }

  private static AccessDeniedException storeDenied(Path path) {
    return new AccessDeniedException(
        path.toString(),
        null,
        "the store of a Checkpointer cannot be changed through its file system");
  }

  // ---------------------------------------------------------------- tracked files

  private static Object keyOf(BasicFileAttributes a, Path real) {
    Object key = a.fileKey();
    return key != null ? key : real;
  }

  private TrackedFile track(Path real) throws IOException {
    BasicFileAttributes a = provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
    return track(real, a, false);
  }

  private TrackedFile track(Path real, BasicFileAttributes a, boolean opening) throws IOException {
    TrackedFile tracked =
        files.compute(
            keyOf(a, real),
            (k, f) -> {
              if (f == null
                  || (f.directory != a.isDirectory() && f.openCount == 0 && !f.hasMappings())) {
                // new, or left from a deleted entry whose inode number was reused
                f = new TrackedFile(k, real, a.isDirectory());
              }
              if (opening) {
                f.openCount++;
              }
              return f;
            });
    if (!tracked.path.equals(real) && locateReal(real) == Zone.TRACKED && !inTreesAt(tracked, tracked.path)) {
      tracked.path = real; // the name it was known by is gone: this one reaches it
    }
    return tracked;
  }

  /**
   * Whether {@code path} still names the inode of {@code f} and lies in a tracked tree or the
   * store's trash (not moved out of the trees, deleted or replaced by another file).
   */
  private boolean inTreesAt(TrackedFile f, Path path) throws IOException {
    if (f.key instanceof Path) {
      return true; // no inode identities on this file system: trust the path
    }
    // an I/O error is thrown, never taken for "gone": that would skip journaling
    BasicFileAttributes now = attributesOrNull(path);
    return now != null && f.key.equals(now.fileKey()) && locateReal(path) != Zone.OUTSIDE;
  }

  void channelClosed(MetamoriFileChannel channel) {
    channels.remove(channel);
    TrackedFile file = channel.file;
    files.computeIfPresent(
        file.key,
        (k, f) -> {
          if (f == file) {
            f.openCount--;
            if (f.openCount == 0 && (f.detached || (!f.touchedIn(generation) && !f.hasMappings()))) {
              return null;
            }
          }
          return f;
        });
  }

  private void markCreated(TrackedFile f) {
    synchronized (f) {
      f.startEpoch(generation, fileIds.incrementAndGet(), 0, true);
    }
  }

  /** Saves size and attributes on the first change of {@code f} in the working epoch. */
  private void ensureTouched(TrackedFile f) throws IOException {
    if (f.generation == generation || f.detached) {
      return; // a detached file has left the trees: nothing of it is journaled
    }
    synchronized (f) {
      if (f.generation == generation) {
        return;
      }
      Path path = f.path;
      if (!inTreesAt(f, path)) {
        // deleted, replaced or moved out while open: its writes reach no tree, nothing to save
        f.startEpoch(generation, fileIds.incrementAndGet(), 0, true);
        return;
      }
      BasicFileAttributes a;
      int permissions = -1;
      String owner = null;
      String group = null;
      if (posix) {
        PosixFileAttributes p = provider.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
        permissions = PosixModes.toBits(p.permissions());
        owner = p.owner().getName();
        group = p.group().getName();
        a = p;
      } else {
        a = provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      }
      Kind kind = a.isRegularFile() ? Kind.FILE : a.isDirectory() ? Kind.DIRECTORY : Kind.OTHER;
      long fileId = fileIds.incrementAndGet();
      long size = kind == Kind.FILE ? a.size() : 0;
      journal.append(
          new Touch(
              fileId,
              path.toString(),
              kind,
              size,
              a.lastModifiedTime().to(TimeUnit.NANOSECONDS),
              permissions,
              owner,
              group));
      f.startEpoch(generation, fileId, size, false);
    }
  }

  private void touchParent(Path real) throws IOException {
    Path parent = real.getParent();
    if (parent == null || locateReal(parent) != Zone.TRACKED) {
      return;
    }
    try {
      ensureTouched(track(parent));
    } catch (NoSuchFileException e) {
      // the operation itself will report the missing parent
    }
  }

  /** Saves the blocks of {@code [pos, pos + len)} that the working epoch has not saved yet. */
  void beforeWrite(TrackedFile f, MetamoriFileChannel channel, long pos, long len) throws IOException {
    ensureTouched(f);
    if (f.detached || f.created || pos >= f.startSize || len <= 0) {
      return;
    }
    synchronized (f) {
      long end = Math.min(pos + len, f.startSize);
      for (long b = pos / blockSize; b * blockSize < end; b++) {
        if (!f.isSaved(b)) {
          saveBlock(f, channel, b);
        }
      }
    }
  }

  /** Saves the blocks a truncation to {@code newSize} would cut off. */
  void beforeTruncate(TrackedFile f, MetamoriFileChannel channel, long newSize) throws IOException {
    ensureTouched(f);
    if (f.detached || f.created || newSize >= f.startSize) {
      return;
    }
    synchronized (f) {
      long end = Math.min(channel.delegate.size(), f.startSize);
      for (long b = newSize / blockSize; b * blockSize < end; b++) {
        if (!f.isSaved(b)) {
          saveBlock(f, channel, b);
        }
      }
    }
  }

  private void saveBlock(TrackedFile f, MetamoriFileChannel channel, long block) throws IOException {
    long offset = block * blockSize;
    byte[] data = new byte[(int) Math.min(blockSize, f.startSize - offset)];
    ByteBuffer buffer = ByteBuffer.wrap(data);
    if (channel != null && channel.delegateReadable) {
      readFully(channel.delegate, buffer, offset, f);
    } else {
      try (FileChannel reader = provider.newFileChannel(f.path, Set.of(StandardOpenOption.READ))) {
        readFully(reader, buffer, offset, f);
      }
    }
    journal.append(new Block(f.fileId, f.path.toString(), block, data));
    f.markSaved(block);
  }

  private static void readFully(FileChannel channel, ByteBuffer buffer, long offset, TrackedFile f)
      throws IOException {
    long pos = offset;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw new FileSystemException(
            f.path.toString(),
            null,
            "cannot journal a write: the file is shorter than at the start of the epoch;"
                + " it was changed outside the checkpointer's file system");
      }
      pos += n;
    }
  }

  // ---------------------------------------------------------------- channels

  FileChannel newFileChannel(MetamoriPath path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    checkOpen();
    boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
    boolean deleteOnClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE);
    if (!write && !deleteOnClose) {
      return unwrapped(provider.newFileChannel(path.delegate(), options, attrs));
    }
    // like the default file system, DELETE_ON_CLOSE never opens (or deletes) through a link
    boolean noFollow =
        options.contains(LinkOption.NOFOLLOW_LINKS)
            || (deleteOnClose && !options.contains(StandardOpenOption.CREATE_NEW));
    // CREATE_NEW (O_EXCL) fails on any existing name, a dangling link included
    boolean createNew = write && options.contains(StandardOpenOption.CREATE_NEW);
    Located loc = locate(path.delegate(), !noFollow && !createNew);
    if (loc.zone == Zone.OUTSIDE) {
      return unwrapped(provider.newFileChannel(path.delegate(), options, attrs));
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(path.delegate());
    }
    if (options.contains(StandardOpenOption.APPEND) && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
      // refused as by the default file system (TRUNCATE_EXISTING is not passed down to it)
      throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
    }
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      checkOpen();
      Path real = loc.real;
      boolean creating =
          write
              && (options.contains(StandardOpenOption.CREATE)
                  || options.contains(StandardOpenOption.CREATE_NEW))
              && attributesOrNull(real) == null;
      if (creating) {
        touchParent(real);
        journal.append(new Created(real.toString()));
      }
      Set<OpenOption> opts = new HashSet<>(options);
      opts.remove(StandardOpenOption.TRUNCATE_EXISTING);
      opts.remove(StandardOpenOption.DELETE_ON_CLOSE);
      if (noFollow) {
        opts.add(LinkOption.NOFOLLOW_LINKS);
      }
      boolean userReadable = options.contains(StandardOpenOption.READ) || !write;
      if (write && !options.contains(StandardOpenOption.APPEND)) {
        opts.add(StandardOpenOption.READ);
      }
      FileChannel channel;
      try {
        channel = provider.newFileChannel(real, opts, attrs);
      } catch (AccessDeniedException e) {
        if (userReadable || !opts.remove(StandardOpenOption.READ)) {
          throw e;
        }
        channel = provider.newFileChannel(real, opts, attrs);
      }
      try {
        BasicFileAttributes a = provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
        TrackedFile f = track(real, a, true);
        MetamoriFileChannel mc =
            new MetamoriFileChannel(
                this,
                f,
                channel,
                userReadable,
                write,
                options.contains(StandardOpenOption.APPEND),
                opts.contains(StandardOpenOption.READ),
                deleteOnClose ? path : null);
        channels.add(mc);
        if (creating) {
          markCreated(f);
        } else if (write && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
          beforeTruncate(f, mc, 0);
          channel.truncate(0);
        }
        return mc;
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  /** Remembers a channel handed out without journaling, so rollback and close close it. */
  private <C extends java.nio.channels.Channel> C unwrapped(C channel) {
    passthrough.add(channel);
    return channel;
  }

  AsynchronousFileChannel newAsynchronousFileChannel(
      MetamoriPath path, Set<? extends OpenOption> options, ExecutorService executor, FileAttribute<?>... attrs)
      throws IOException {
    FileChannel channel = newFileChannel(path, options, attrs);
    if (!(channel instanceof MetamoriFileChannel)) {
      channel.close();
      return unwrapped(provider.newAsynchronousFileChannel(path.delegate(), options, executor, attrs));
    }
    return new MetamoriAsynchronousFileChannel(
        (MetamoriFileChannel) channel, executor == null ? ASYNC_EXECUTOR : executor);
  }

  long write(MetamoriFileChannel c, ByteBuffer[] srcs, int offset, int length, long position)
      throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      total += srcs[i].remaining();
    }
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      stillOpen(c);
      if (position >= 0) {
        beforeWrite(c.file, c, position, total);
        return c.delegate.write(srcs[offset], position);
      }
      ensureTouched(c.file);
      // nothing to save, so no lseek for the position: an append lands at the end of the file,
      // and every byte between the current size and the epoch's start size is saved already
      // (truncation saves what it cuts); a new, detached or initially empty file saves nothing
      if (c.append || c.file.detached || c.file.created || c.file.startSize == 0) {
        return writeRelative(c, srcs, offset, length);
      }
      synchronized (c) {
        beforeWrite(c.file, c, c.delegate.position(), total);
        return writeRelative(c, srcs, offset, length);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Checked under the epoch lock: a rollback closes the channel while a write waits for the
   * lock, and the write must then fail as closed, journaling nothing in the new epoch.
   */
  private static void stillOpen(MetamoriFileChannel c) throws ClosedChannelException {
    if (!c.isOpen()) {
      throw new ClosedChannelException();
    }
  }

  /** A single buffer goes through {@code write}, not the gathering {@code writev}. */
  private static long writeRelative(MetamoriFileChannel c, ByteBuffer[] srcs, int offset, int length)
      throws IOException {
    return length == 1 ? c.delegate.write(srcs[offset]) : c.delegate.write(srcs, offset, length);
  }

  void truncate(MetamoriFileChannel c, long size) throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      stillOpen(c);
      if (size < c.delegate.size()) {
        beforeTruncate(c.file, c, size);
      }
      c.delegate.truncate(size);
    } finally {
      lock.unlock();
    }
  }

  MappedByteBuffer mapReadWrite(MetamoriFileChannel c, long position, long size) throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      stillOpen(c);
      beforeWrite(c.file, c, position, size);
      MappedByteBuffer buffer = c.delegate.map(FileChannel.MapMode.READ_WRITE, position, size);
      c.file.addMapping(buffer, position, size);
      return buffer;
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- namespace

  void createDirectory(MetamoriPath dir, FileAttribute<?>... attrs) throws IOException {
    Located loc = locate(dir.delegate(), false);
    if (loc.zone == Zone.OUTSIDE) {
      provider.createDirectory(dir.delegate(), attrs);
      return;
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(dir.delegate());
    }
    created(loc.real, dir, true, () -> provider.createDirectory(loc.real, attrs));
  }

  void createSymbolicLink(MetamoriPath link, Path target, FileAttribute<?>... attrs) throws IOException {
    Located loc = locate(link.delegate(), false);
    if (loc.zone == Zone.OUTSIDE) {
      provider.createSymbolicLink(link.delegate(), target, attrs);
      return;
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(link.delegate());
    }
    created(loc.real, link, true, () -> provider.createSymbolicLink(loc.real, target, attrs));
  }

  void createLink(MetamoriPath link, MetamoriPath existing) throws IOException {
    Located loc = locate(link.delegate(), false);
    if (loc.zone == Zone.OUTSIDE) {
      provider.createLink(link.delegate(), existing.delegate());
      return;
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(link.delegate());
    }
    try {
      // link(2) reports a missing existing file before a taken link name
      provider.readAttributes(existing.delegate(), BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(existing.toString());
    }
    // the inode is not new: writes through either name stay journaled
    created(loc.real, link, false, () -> provider.createLink(loc.real, existing.delegate()));
  }

  private interface IoAction {
    void run() throws IOException;
  }

  private void created(Path real, MetamoriPath userPath, boolean newInode, IoAction action)
      throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      checkOpen();
      if (attributesOrNull(real) != null) {
        throw new FileAlreadyExistsException(userPath.toString());
      }
      touchParent(real);
      journal.append(new Created(real.toString()));
      action.run();
      if (newInode) {
        markCreated(track(real));
      } else if (files.containsKey(keyOf(provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS), real))) {
        track(real); // a new name of an open or touched file: reachable here if its old name is gone
      }
    } finally {
      lock.unlock();
    }
  }

  void delete(MetamoriPath path) throws IOException {
    Located loc = locate(path.delegate(), false);
    if (loc.zone == Zone.OUTSIDE) {
      provider.delete(path.delegate());
      return;
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(path.delegate());
    }
    Lock lock = exclusive();
    try {
      checkOpen();
      BasicFileAttributes a = attributes(loc.real, path);
      if (a.isDirectory() && !isEmpty(loc.real)) {
        throw new DirectoryNotEmptyException(path.toString());
      }
      remove(loc.real, a);
    } finally {
      lock.unlock();
    }
  }

  /** Takes {@code real} out of the tree: into the trash, or deleted if the epoch created it. */
  private Path remove(Path real, BasicFileAttributes a) throws IOException {
    touchParent(real);
    TrackedFile f = files.get(keyOf(a, real));
    if (f != null && f.createdIn(generation) && lastLink(real, a)) {
      provider.delete(real);
      detach(f);
      return null;
    }
    return trash(real);
  }

  /** Renames {@code real} into the working epoch's trash; its undo renames it back. */
  private Path trash(Path real) throws IOException {
    String name = journal.newTrashEntry();
    Path trash = journal.trashPath(name);
    journal.append(new Trashed(real.toString(), name));
    relocate(provider, real, trash);
    relocated(real, trash);
    return trash;
  }

  /**
   * {@code f}, created in the working epoch, has left the tracked trees: channels still open
   * on it write to an inode outside the trees, which needs no journaling.
   */
  private void detach(TrackedFile f) {
    f.detached = true;
    files.computeIfPresent(f.key, (k, g) -> g == f && g.openCount == 0 ? null : g);
  }

  /**
   * Whether removing the name {@code real} takes its inode out of the trees. A created file with
   * another link goes through the trash like an older one, so that its entry keeps a valid path.
   */
  private boolean lastLink(Path real, BasicFileAttributes a) throws IOException {
    if (a.isDirectory() || !delegate.supportedFileAttributeViews().contains("unix")) {
      return true;
    }
    Object links = provider.readAttributes(real, "unix:nlink", NOFOLLOW_LINKS).get("nlink");
    return !(links instanceof Integer) || (Integer) links <= 1;
  }

  /**
   * Keeps the old version of a target that a rename is about to replace. A file is hard-linked
   * into the trash, so the rename that follows still replaces it atomically.
   *
   * @return the target if the working epoch created it and this is its last link (nothing to
   *     keep): the caller detaches it once the rename has replaced it
   */
  private TrackedFile replaceTarget(Path real, BasicFileAttributes a) throws IOException {
    TrackedFile f = files.get(keyOf(a, real));
    if (f != null && f.createdIn(generation) && lastLink(real, a)) {
      return f; // created in this epoch: nothing to keep
    }
    if (a.isDirectory()) {
      remove(real, a);
      return null;
    }
    String name = journal.newTrashEntry();
    Path trash = journal.trashPath(name);
    journal.append(new Trashed(real.toString(), name));
    try {
      provider.createLink(trash, real);
    } catch (IOException | UnsupportedOperationException e) {
      relocate(provider, real, trash);
    }
    relocated(real, trash);
    return null;
  }

  void move(MetamoriPath source, MetamoriPath target, CopyOption... options) throws IOException {
    Located s = locate(source.delegate(), false);
    Located t = locate(target.delegate(), false);
    if (s.zone == Zone.STORE || t.zone == Zone.STORE) {
      throw storeDenied(s.zone == Zone.STORE ? source.delegate() : target.delegate());
    }
    for (Path held : heldDirectories()) {
      if (held.startsWith(s.real) && !held.equals(s.real)) {
        throw new AccessDeniedException(
            source.toString(),
            target.toString(),
            "it contains " + held + ", which a Checkpointer tracks or keeps its store in");
      }
    }
    if (s.zone == Zone.OUTSIDE && t.zone == Zone.OUTSIDE) {
      provider.move(source.delegate(), target.delegate(), options);
      return;
    }
    List<CopyOption> opts = Arrays.asList(options);
    boolean atomic = opts.contains(StandardCopyOption.ATOMIC_MOVE);
    boolean replace = atomic || opts.contains(StandardCopyOption.REPLACE_EXISTING);
    Lock lock = exclusive();
    try {
      checkOpen();
      BasicFileAttributes sa = attributes(s.real, source);
      if (s.real.equals(t.real)) {
        return;
      }
      BasicFileAttributes ta = attributesOrNull(t.real);
      if (ta != null && sa.fileKey() != null && sa.fileKey().equals(ta.fileKey())) {
        return; // two names of one file: the default file system (and rename(2)) does nothing
      }
      if (atomic && sa.isDirectory() && t.real.startsWith(s.real)) {
        // rename(2) refuses this (EINVAL) before looking at the target
        throw new FileSystemException(
            source.toString(), target.toString(), "cannot move a directory into itself");
      }
      if (ta != null) {
        if (!replace) {
          throw new FileAlreadyExistsException(target.toString());
        }
        if (atomic && ta.isDirectory() != sa.isDirectory()) {
          // rename(2) replaces a directory only with a directory, a file only with a non-directory
          throw new FileSystemException(
              source.toString(), target.toString(), ta.isDirectory() ? "Is a directory" : "Not a directory");
        }
        if (ta.isDirectory() && !isEmpty(t.real)) {
          throw new DirectoryNotEmptyException(target.toString());
        }
      }
      if (sa.isDirectory() && t.real.startsWith(s.real)) {
        throw new FileSystemException(
            source.toString(), target.toString(), "cannot move a directory into itself");
      }
      if (s.zone == Zone.TRACKED && t.zone == Zone.TRACKED) {
        touchParent(s.real);
        touchParent(t.real);
        TrackedFile replaced = ta != null ? replaceTarget(t.real, ta) : null;
        journal.append(new Moved(s.real.toString(), t.real.toString()));
        provider.move(s.real, t.real, options);
        if (replaced != null && !replaced.key.equals(keyOf(sa, s.real))) {
          detach(replaced); // (a rename between two links of one inode changes nothing)
        }
        relocated(s.real, t.real);
      } else if (s.zone == Zone.TRACKED) {
        moveOut(s.real, sa, t.real, ta, atomic);
      } else {
        touchParent(t.real);
        TrackedFile replaced = ta != null ? replaceTarget(t.real, ta) : null;
        journal.append(new Created(t.real.toString()));
        provider.move(s.real, t.real, options);
        if (replaced != null) {
          detach(replaced);
        }
        markCreated(track(t.real));
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Moves a tracked file or tree out of the tracked roots: the destination receives a copy,
   * made beside it first so that a failure leaves both trees as they were; then the original
   * is renamed into the trash (its undo renames it back) and the copy renamed into place.
   */
  private void moveOut(Path source, BasicFileAttributes sa, Path target, BasicFileAttributes ta, boolean atomic)
      throws IOException {
    touchParent(source);
    TrackedFile f = files.get(keyOf(sa, source));
    if (f != null && f.createdIn(generation) && (sa.isDirectory() ? isEmpty(source) : lastLink(source, sa))) {
      // created in this epoch and holding nothing older: nothing to keep
      CopyOption[] options =
          atomic
              ? new CopyOption[] {StandardCopyOption.ATOMIC_MOVE}
              : ta != null ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new CopyOption[0];
      provider.move(source, target, options);
      detach(f);
      return;
    }
    Path staging = target.resolveSibling("." + target.getFileName() + ".metamori-" + System.nanoTime());
    try {
      copyTree(provider, source, staging);
    } catch (IOException | RuntimeException e) {
      try {
        if (attributesOrNull(staging) != null) {
          com.google.common.io.MoreFiles.deleteRecursively(
              staging, com.google.common.io.RecursiveDeleteOption.ALLOW_INSECURE);
        }
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    trash(source);
    if (ta != null && !atomic) {
      provider.delete(target);
    }
    provider.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
  }

  void copy(MetamoriPath source, MetamoriPath target, CopyOption... options) throws IOException {
    Located t = locate(target.delegate(), false);
    if (t.zone == Zone.OUTSIDE) {
      provider.copy(source.delegate(), target.delegate(), options);
      return;
    }
    if (t.zone == Zone.STORE) {
      throw storeDenied(target.delegate());
    }
    List<CopyOption> opts = new ArrayList<>(Arrays.asList(options));
    if (opts.contains(StandardCopyOption.ATOMIC_MOVE)) {
      throw new UnsupportedOperationException("Unsupported copy option: ATOMIC_MOVE");
    }
    boolean replace = opts.remove(StandardCopyOption.REPLACE_EXISTING);
    Lock lock = exclusive();
    try {
      checkOpen();
      LinkOption[] follow =
          opts.contains(LinkOption.NOFOLLOW_LINKS) ? new LinkOption[] {NOFOLLOW_LINKS} : new LinkOption[0];
      BasicFileAttributes sa;
      try {
        sa = provider.readAttributes(source.delegate(), BasicFileAttributes.class, follow);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(source.toString());
      }
      BasicFileAttributes ta = attributesOrNull(t.real);
      if (ta != null) {
        if (keyOf(ta, t.real).equals(keyOf(sa, source.delegate()))) {
          return;
        }
        if (!replace) {
          throw new FileAlreadyExistsException(target.toString());
        }
        if (ta.isDirectory() && !isEmpty(t.real)) {
          throw new DirectoryNotEmptyException(target.toString());
        }
        remove(t.real, ta);
      }
      touchParent(t.real);
      journal.append(new Created(t.real.toString()));
      provider.copy(source.delegate(), t.real, opts.toArray(new CopyOption[0]));
      markCreated(track(t.real));
    } finally {
      lock.unlock();
    }
  }

  private BasicFileAttributes attributes(Path real, MetamoriPath userPath) throws IOException {
    try {
      return provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(userPath.toString());
    }
  }

  private BasicFileAttributes attributesOrNull(Path real) throws IOException {
    try {
      return provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  private boolean isEmpty(Path dir) throws IOException {
    try (DirectoryStream<Path> stream = provider.newDirectoryStream(dir, p -> true)) {
      return !stream.iterator().hasNext();
    }
  }

  /** Updates where open or touched files are after {@code from} was renamed to {@code to}. */
  private void relocated(Path from, Path to) {
    for (TrackedFile f : files.values()) {
      Path p = f.path;
      if (p.startsWith(from)) {
        f.path = to.resolve(from.relativize(p));
      }
    }
  }

  /** Renames {@code from} to {@code to}; copies and deletes where a rename is impossible. */
  static void relocate(FileSystemProvider provider, Path from, Path to) throws IOException {
    try {
      provider.move(from, to, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      copyTree(provider, from, to);
      com.google.common.io.MoreFiles.deleteRecursively(
          from, com.google.common.io.RecursiveDeleteOption.ALLOW_INSECURE);
    }
  }

  /** Copies a file, link or whole directory tree with its attributes. */
  static void copyTree(FileSystemProvider provider, Path from, Path to) throws IOException {
    BasicFileAttributes a = provider.readAttributes(from, BasicFileAttributes.class, NOFOLLOW_LINKS);
    provider.copy(from, to, StandardCopyOption.COPY_ATTRIBUTES, NOFOLLOW_LINKS);
    if (a.isDirectory()) {
      try (DirectoryStream<Path> children = provider.newDirectoryStream(from, p -> true)) {
        for (Path child : children) {
          copyTree(provider, child, to.resolve(child.getFileName().toString()));
        }
      }
    }
    if (!a.isSymbolicLink()) {
      // COPY_ATTRIBUTES keeps only microseconds of the modification time: set it in full
      provider.getFileAttributeView(to, BasicFileAttributeView.class, NOFOLLOW_LINKS)
          .setTimes(a.lastModifiedTime(), null, null);
    }
  }

  // ---------------------------------------------------------------- attributes

  void setAttribute(MetamoriPath path, String attribute, Object value, LinkOption... options)
      throws IOException {
    boolean follow = !Arrays.asList(options).contains(NOFOLLOW_LINKS);
    Located loc = locate(path.delegate(), follow);
    if (loc.zone == Zone.OUTSIDE) {
      provider.setAttribute(path.delegate(), attribute, value, options);
      return;
    }
    if (loc.zone == Zone.STORE) {
      throw storeDenied(path.delegate());
    }
    int colon = attribute.indexOf(':');
    String view = colon < 0 ? "basic" : attribute.substring(0, colon);
    if (!Set.of("basic", "posix", "owner", "unix").contains(view)) {
      throw new UnsupportedOperationException(
          "attribute '"
              + attribute
              + "' of "
              + path
              + " cannot be journaled: only basic, posix, unix and owner attributes of tracked"
              + " files can be changed");
    }
    journaledAttributeChange(
        loc.real,
        path,
        () -> {
          provider.setAttribute(loc.real, attribute, value, options);
          return null;
        });
  }

  private <T> T journaledAttributeChange(Path real, MetamoriPath path, IoCall<T> change)
      throws IOException {
    Lock lock = epochLock.readLock();
    lock.lock();
    try {
      checkOpen();
      TrackedFile f;
      try {
        f = track(real);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(path.toString());
      }
      ensureTouched(f);
      return change.call();
    } finally {
      lock.unlock();
    }
  }

  private interface IoCall<T> {
    T call() throws IOException;
  }

  private static final Set<String> JOURNALED_SETTERS =
      Set.of("setTimes", "setPermissions", "setOwner", "setGroup");

  /**
   * Attribute views whose setters journal first. Views whose changes cannot be journaled
   * (user-defined, DOS, ACL) refuse writes under tracked roots.
   */
  <V extends FileAttributeView> V getFileAttributeView(MetamoriPath path, Class<V> type, LinkOption... options) {
    V view = provider.getFileAttributeView(path.delegate(), type, options);
    if (view == null || !type.isInterface()) {
      return view;
    }
    boolean follow = !Arrays.asList(options).contains(NOFOLLOW_LINKS);
    boolean journaledView =
        type == BasicFileAttributeView.class
            || type == PosixFileAttributeView.class
            || type == FileOwnerAttributeView.class;
    Object proxy =
        Proxy.newProxyInstance(
            type.getClassLoader() == null ? Tracker.class.getClassLoader() : type.getClassLoader(),
            new Class<?>[] {type},
            (self, method, args) -> {
              String name = method.getName();
              boolean mutates =
                  journaledView
                      ? JOURNALED_SETTERS.contains(name)
                      : name.startsWith("set") || name.equals("write") || name.equals("delete");
              if (!mutates || method.getDeclaringClass() == Object.class) {
                return invoke(method, view, args);
              }
              Located loc = locate(path.delegate(), follow);
              if (loc.zone == Zone.OUTSIDE) {
                return invoke(method, view, args);
              }
              if (loc.zone == Zone.STORE) {
                throw storeDenied(path.delegate());
              }
              if (!journaledView) {
                throw new UnsupportedOperationException(
                    type.getSimpleName()
                        + "."
                        + name
                        + " on "
                        + path
                        + " cannot be journaled: only basic, posix and owner attributes of"
                        + " tracked files can be changed");
              }
              return journaledAttributeChange(
                  loc.real, path, () -> invokeIo(method, view, args));
            });
    return type.cast(proxy);
  }

  private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args)
      throws Throwable {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }

  private static Object invokeIo(java.lang.reflect.Method method, Object target, Object[] args)
      throws IOException {
    try {
      return method.invoke(target, args);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      if (cause instanceof RuntimeException) {
        throw (RuntimeException) cause;
      }
      throw new IllegalStateException(cause);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }
}
