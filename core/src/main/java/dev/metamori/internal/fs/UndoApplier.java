package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.CheckpointException;
import dev.metamori.internal.journal.IoFaults;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.OwnerOnly;
import dev.metamori.internal.journal.ParallelForce;
import dev.metamori.internal.journal.UndoRecord;
import dev.metamori.internal.journal.UndoRecord.Block;
import dev.metamori.internal.journal.UndoRecord.Created;
import dev.metamori.internal.journal.UndoRecord.Kind;
import dev.metamori.internal.journal.UndoRecord.Moved;
import dev.metamori.internal.journal.UndoRecord.Touch;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import dev.metamori.internal.journal.UndoTarget;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Applies undo records to the underlying file system. Renames and deletes check whether they
 * already happened, so the one step that a crash may have cut short is redone safely.
 *
 * <p>A rollback refuses a file that is missing or shorter than its records expect: something
 * changed it outside the checkpointer, and restoring it would produce a state no epoch had.
 * Recovery on open is lenient instead: after an OS crash or power loss in a mode that does not
 * force undo records before the data they protect ({@link dev.metamori.Durability#PROCESS}),
 * the disk may hold data whose records were lost, or records whose data was lost. Recovery then
 * restores everything the journal still holds, extends a short file to its recorded size (with a
 * hole where the lost bytes were) or skips a missing one, and logs a warning naming the file,
 * so that the store still opens at its last committed epoch with every epoch listed.
 */
final class UndoApplier implements UndoTarget {
  private static final System.Logger LOG = System.getLogger("dev.metamori");
  private final java.nio.file.FileSystem fileSystem;
  private final FileSystemProvider provider;
  /** The store's trash directory, where trashed and kept entries lie. */
  private final Path trash;
  private final Journal journal;
  private final int blockSize;
  private final RedoReader redoReader;
  /** Owner and group names by id, looked up once a restore. */
  private final FileOwners owners;
  private final boolean posix;
  /** Whether {@link #finish()} forces what was restored (not with durability NONE). */
  private final boolean forcing;
  /** Channels of files written so far, by the path they had when opened. */
  private final Map<Path, FileChannel> open = new HashMap<>();
  /** Channels no longer reachable by path (a rename may have moved them), forced at the end. */
  private final java.util.List<FileChannel> retired = new java.util.ArrayList<>();
  private final Set<Path> dirs = new HashSet<>();
  /** Recovery on open: tolerate files a lost write left short or missing (see above). */
  private final boolean lenient;
  private boolean repeating; // see repeating(boolean)
  /** No write through a symbolic link that stands where the journal expects a file or directory. */
  private final LinkGuard links;
  /** Entries changed outside the checkpointer that the caller accepts: tolerated as by recovery. */
  private final DirtyPaths tolerated;

  UndoApplier(
      java.nio.file.FileSystem fileSystem,
      Journal journal,
      boolean posix,
      boolean forcing,
      boolean lenient,
      DirtyPaths tolerated) {
    this.tolerated = tolerated;
    this.forcing = forcing;
    this.lenient = lenient;
    this.links = new LinkGuard(lenient);
    this.fileSystem = fileSystem;
    this.provider = fileSystem.provider();
    this.trash = journal.trashDirectory();
    this.journal = journal;
    this.blockSize = journal.blockSize();
    this.posix = posix;
    this.owners = new FileOwners(provider);
    this.redoReader = new RedoReader(fileSystem, posix, blockSize, trash, owners);
  }

  /** Whether a file missing or short at {@code path} is restored as nearly as can be, with a warning. */
  private boolean lenient(Path path) {
    return lenient || tolerated.contains(path.toString());
  }

  @Override
  public void undo(UndoRecord record, String keepAs) throws IOException {
    redoReader.forget();
    if (record instanceof Block b) {
      FileChannel channel = channel(fileSystem.getPath(b.path()));
      if (channel == null) {
        return;
      }
      ByteBuffer data = ByteBuffer.wrap(b.data());
      long pos = b.block() * blockSize;
      if (SparseZeros.allZero(b.data())) {
        SparseZeros.restore(channel, pos, b.data().length);
        return;
      }
      while (data.hasRemaining()) {
        pos += channel.write(data, pos);
      }
    } else if (record instanceof Touch t) {
      restore(t);
    } else if (record instanceof Created c) {
      closeChannels();
      Path path = fileSystem.getPath(c.path());
      if (!links.directoriesAreReal(path)) {
        return;
      }
      if (keepAs != null) {
        Path kept = trash.resolve(keepAs);
        if (exists(path) && !exists(kept)) {
          ensureParent(kept);
          Trees.relocate(provider, path, kept);
        }
      } else if (exists(path)) {
        MoreFiles.deleteRecursively(path, RecursiveDeleteOption.ALLOW_INSECURE);
      }
      links.changed(path);
      dirs.add(path.getParent());
    } else if (record instanceof Trashed t) {
      closeChannels();
      Path trashed = trash.resolve(t.trashName());
      Path path = fileSystem.getPath(t.path());
      if (exists(trashed) && links.directoriesAreReal(path)) {
        ensureParent(path);
        Trees.relocate(provider, trashed, path);
        links.changed(path);
      }
      dirs.add(path.getParent());
    } else if (record instanceof Moved m) {
      closeChannels();
      Path from = fileSystem.getPath(m.from());
      Path to = fileSystem.getPath(m.to());
      moveOnce(to, from, from, to);
      dirs.add(from.getParent());
      dirs.add(to.getParent());
    }
  }

  @Override
  public void capture(
      UndoRecord record, long step, Set<String> seen, java.util.function.Consumer<UndoRecord> sink)
      throws IOException {
    redoReader.capture(record, step, seen, sink);
  }

  private BasicFileAttributes attributes(Path path) throws IOException {
    try {
      return provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  @Override
  public void redo(UndoRecord record, String keptAs) throws IOException {
    redoReader.forget();
    if (record instanceof Created c) {
      closeChannels();
      Path path = fileSystem.getPath(c.path());
      moveOnce(trash.resolve(keptAs), path, path);
      dirs.add(path.getParent());
    } else if (record instanceof Trashed t) {
      closeChannels();
      Path path = fileSystem.getPath(t.path());
      moveOnce(path, trash.resolve(t.trashName()), path);
      dirs.add(path.getParent());
    } else if (record instanceof Moved m) {
      closeChannels();
      Path from = fileSystem.getPath(m.from());
      Path to = fileSystem.getPath(m.to());
      moveOnce(from, to, from, to);
      dirs.add(from.getParent());
      dirs.add(to.getParent());
    }
  }

  /**
   * Moves {@code from} to {@code to} unless that already happened (a step repeated after a
   * crash): only while {@code from} exists and {@code to} does not, and only if none of the
   * {@code inTrees} paths leads through a link ({@link LinkGuard}).
   */
  private void moveOnce(Path from, Path to, Path... inTrees) throws IOException {
    if (!exists(from) || exists(to)) {
      return;
    }
    for (Path p : inTrees) {
      if (!links.directoriesAreReal(p)) {
        return;
      }
    }
    ensureParent(to);
    Trees.relocate(provider, from, to);
    links.changed(from);
    links.changed(to);
  }

  @Override
  public void apply(UndoRecord redo) throws IOException {
    redoReader.forget();
    if (redo instanceof UndoRecord.Redo r) {
      FileChannel channel = channel(fileSystem.getPath(r.path()));
      if (channel == null) {
        return;
      }
      if (SparseZeros.allZero(r.data())) {
        SparseZeros.restore(channel, r.offset(), r.data().length);
      } else {
        ByteBuffer data = ByteBuffer.wrap(r.data());
        while (data.hasRemaining()) {
          channel.write(data, r.offset() + data.position());
        }
      }
      long size = channel.size();
      if (size > r.size()) {
        channel.truncate(r.size());
      } else if (size < r.size()) {
        SparseZeros.restore(channel, r.size() - 1, 1);
      }
    } else if (redo instanceof UndoRecord.RedoAttributes a) {
      Path path = fileSystem.getPath(a.path());
      if (attributes(path) == null) {
        return;
      }
      setAttributes(path, a.permissions(), a.owner(), a.group(), a.modifiedNanos());
    } else if (redo instanceof UndoRecord.RedoRemoveDirectory d) {
      closeChannels();
      Path dir = fileSystem.getPath(d.path());
      if (isDirectory(dir) && links.directoriesAreReal(dir)) {
        try (java.nio.file.DirectoryStream<Path> children = provider.newDirectoryStream(dir, p -> true)) {
          if (children.iterator().hasNext()) {
            return;
          }
        }
        provider.delete(dir);
        links.changed(dir);
        dirs.add(dir.getParent());
      }
    }
  }

  private void restore(Touch t) throws IOException {
    Path path = fileSystem.getPath(t.path());
    if (t.kind() == Kind.OTHER || (journal.inDroppedTrash(path) && !exists(path))) {
      return;
    }
    if (lenient(path) && !exists(path)) {
      LOG.log(
          System.Logger.Level.WARNING,
          "{0} is missing although the journal holds its attributes (an OS crash or"
              + " power loss with durability PROCESS, or a change outside the checkpointer); it"
              + " is left missing",
          path);
      return;
    }
    if (t.kind() == Kind.FILE) {
      FileChannel channel = channel(path);
      if (channel == null) {
        return;
      }
      long size = channel.size();
      if (size > t.size()) {
        channel.truncate(t.size());
      } else if (size < t.size() && lenient(path)) {
        // repeating: a later step of the run being repeated had cut it already, and cuts it again
        LOG.log(
            repeating ? System.Logger.Level.DEBUG : System.Logger.Level.WARNING,
            "{0} is {1} bytes, shorter than the {2} bytes the journal records: "
                + (repeating
                    ? "the restore an interruption stopped repeats its last run of epochs"
                    : "data written to it was lost (an OS crash or power loss with durability PROCESS,"
                        + " or a change outside the checkpointer)")
                + "; it was extended to {2} bytes and the bytes the journal did not hold read as zeros",
            path,
            size,
            t.size());
        SparseZeros.restore(channel, t.size() - 1, 1);
      } else if (size < t.size()) {
        throw new CheckpointException(
            "cannot restore "
                + path
                + ": it is "
                + size
                + " bytes, shorter than the "
                + t.size()
                + " bytes the journal expects; it was changed outside the checkpointer");
      }
    } else {
      dirs.add(path);
    }
    setAttributes(path, t.permissions(), t.owner(), t.group(), t.modifiedNanos());
  }

  private void setAttributes(Path path, int permissions, String owner, String group, long modifiedNanos)
      throws IOException {
    if (posix && permissions >= 0) {
      FileOwners.Owner now = owners.read(path);
      if (!links.mayWrite(path, now.link())) {
        return;
      }
      // checked not to be a link: set through the view that follows, whose chmod needs no read access
      PosixFileAttributeView view = provider.getFileAttributeView(path, PosixFileAttributeView.class);
      if (now.permissions() != permissions) {
        view.setPermissions(PosixModes.fromBits(permissions));
      }
      UserPrincipalLookupService users = path.getFileSystem().getUserPrincipalLookupService();
      if (owner != null && !now.owner().equals(owner)) {
        view.setOwner(users.lookupPrincipalByName(owner));
      }
      if (group != null && !now.group().equals(group)) {
        view.setGroup(users.lookupPrincipalByGroupName(group));
      }
    } else if (!links.mayWrite(path, attributes(path))) {
      return;
    }
    provider
        .getFileAttributeView(path, BasicFileAttributeView.class)
        .setTimes(FileTime.from(modifiedNanos, TimeUnit.NANOSECONDS), null, null);
  }

  private FileChannel channel(Path path) throws IOException {
    FileChannel channel = open.get(path);
    if (channel == null) {
      if (!links.directoriesAreReal(path)) {
        return null;
      }
      try {
        // readable too where allowed, so that restoring zeros can keep holes (restoreZeros);
        // never through a link (LinkGuard)
        channel = provider.newFileChannel(path, Set.of(StandardOpenOption.WRITE, StandardOpenOption.READ, NOFOLLOW_LINKS));
        open.put(path, channel);
        return channel;
      } catch (java.nio.file.AccessDeniedException unreadable) {
        channel = null;
      } catch (NoSuchFileException e) {
        channel = null;
      } catch (IOException e) {
        // a link: the JDK reports O_NOFOLLOW's ELOOP as a plain IOException
        if (links.mayWrite(path, attributes(path))) {
          throw e;
        }
        return null;
      }
    }
    if (channel == null) {
      try {
        channel = provider.newFileChannel(path, Set.of(StandardOpenOption.WRITE, NOFOLLOW_LINKS));
      } catch (java.nio.file.AccessDeniedException e) {
        if (!posix) {
          throw e;
        }
        // made read-only in the epoch being undone: its Touch record restores the mode last
        PosixFileAttributeView view = provider.getFileAttributeView(path, PosixFileAttributeView.class);
        Set<java.nio.file.attribute.PosixFilePermission> mode = view.readAttributes().permissions();
        mode.add(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        view.setPermissions(mode);
        channel = provider.newFileChannel(path, Set.of(StandardOpenOption.WRITE, NOFOLLOW_LINKS));
      } catch (NoSuchFileException e) {
        if (journal.inDroppedTrash(path)) {
          return null; // written while open after it was trashed; a prune dropped the entry
        }
        if (lenient(path)) {
          LOG.log(
              System.Logger.Level.WARNING,
              "{0} is missing although the journal holds its old contents (an OS"
                  + " crash or power loss with durability PROCESS, or a change outside the"
                  + " checkpointer); it is left missing",
              path);
          return null;
        }
        throw new CheckpointException(
            "cannot restore "
                + path
                + ": the file is missing; it was changed outside the checkpointer",
            e);
      }
      open.put(path, channel);
    }
    return channel;
  }

  /**
   * A directory created and removed again within one epoch leaves no record of its removal,
   * yet records of older files that passed through it name paths inside it: recreate it for
   * them (its own Created record, undone later, removes it again). A directory of the trash
   * (an epoch's, for what it kept or trashed) is the store's: created owner-only.
   */
  private void ensureParent(Path path) throws IOException {
    Path parent = path.getParent();
    if (parent != null && !exists(parent)) {
      ensureParent(parent);
      if (parent.startsWith(trash)) {
        OwnerOnly.createDirectory(parent);
      } else {
        provider.createDirectory(parent);
      }
    }
  }

  private boolean exists(Path path) throws IOException {
    try {
      provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      return true;
    } catch (NoSuchFileException e) {
      return false;
    }
  }

  private boolean isDirectory(Path path) throws IOException {
    try {
      return provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS).isDirectory();
    } catch (NoSuchFileException e) {
      return false;
    } catch (java.nio.file.FileSystemException e) {
      // ENOTDIR: a later step of the epoch put a file where a directory above it was
      for (Path p = path.getParent(); p != null; p = p.getParent()) {
        BasicFileAttributes a;
        try {
          a = attributes(p);
        } catch (java.nio.file.FileSystemException deeper) {
          continue; // ENOTDIR again: the file is higher up
        }
        if (a != null) {
          if (a.isDirectory()) {
            throw e;
          }
          return false;
        }
      }
      throw e;
    }
  }

  /** Called before a rename or delete: the path-to-channel map may stop being true. */
  private void closeChannels() throws IOException {
    redoReader.closeChannels();
    retired.addAll(open.values());
    open.clear();
    if (retired.size() > 256) {
      forceRetired();
    }
  }

  private void forceRetired() throws IOException {
    try {
      if (forcing) {
        ParallelForce.forceAll(retired, c -> IoFaults.force(c, true));
      }
    } finally {
      for (FileChannel c : retired) {
        c.close();
      }
      retired.clear();
    }
  }

  @Override
  public void repeating(boolean repeating) {
    this.repeating = repeating;
  }

  @Override
  public void finish() throws IOException {
    closeChannels();
    forceRetired();
    // a journaled path whose parent did not resolve may name a link (dangling, even) here
    ParallelForce.forceAll(
        new ArrayList<>(dirs), dir -> {
          if (dir != null && isDirectory(dir)) {
            Journal.forceDirectory(dir);
          }
        });
    dirs.clear();
  }
}
