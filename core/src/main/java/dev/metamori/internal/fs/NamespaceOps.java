package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord.Created;
import dev.metamori.internal.journal.UndoRecord.Moved;
import dev.metamori.internal.journal.UndoRecord.Trashed;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.locks.Lock;

/**
 * Creates, links, deletes, moves and copies names. Under a tracked root each change journals
 * its undo first ({@link Created}, {@link Trashed}, {@link Moved}); what a change removes goes
 * to the store's trash, unless the working epoch created it.
 *
 * <p>Creations hold the epoch lock shared; deletes, moves and copies hold it exclusively, so
 * that the path a record names is where the file is when the record is undone.
 */
final class NamespaceOps {
  /** A change of the underlying file system. */
  interface IoAction {
    void run() throws IOException;
  }

  private final FileSystem delegate;
  private final FileSystemProvider provider;
  private final Journal journal;
  private final EpochGate gate;
  private final PathZones zones;
  private final FileRegistry files;
  private final BeforeImages beforeImages;

  NamespaceOps(
      FileSystem delegate,
      Journal journal,
      EpochGate gate,
      PathZones zones,
      FileRegistry files,
      BeforeImages beforeImages) {
    this.delegate = delegate;
    this.provider = delegate.provider();
    this.journal = journal;
    this.gate = gate;
    this.zones = zones;
    this.files = files;
    this.beforeImages = beforeImages;
  }

  // ---------------------------------------------------------------- creation

  void createDirectory(MetamoriPath dir, FileAttribute<?>... attrs) throws IOException {
    PathZones.Located loc = zones.route(dir.delegate(), false);
    if (!loc.tracked()) {
      provider.createDirectory(dir.delegate(), attrs);
      return;
    }
    created(loc.real(), dir, null, true, () -> provider.createDirectory(loc.real(), attrs));
  }

  void createSymbolicLink(MetamoriPath link, Path target, FileAttribute<?>... attrs) throws IOException {
    PathZones.Located loc = zones.route(link.delegate(), false);
    if (!loc.tracked()) {
      provider.createSymbolicLink(link.delegate(), target, attrs);
      return;
    }
    created(loc.real(), link, null, true, () -> provider.createSymbolicLink(loc.real(), target, attrs));
  }

  void createLink(MetamoriPath link, MetamoriPath existing) throws IOException {
    PathZones.Located loc = zones.route(link.delegate(), false);
    if (!loc.tracked()) {
      provider.createLink(link.delegate(), existing.delegate());
      return;
    }
    try {
      // link(2) reports a missing existing file before a taken link name
      provider.readAttributes(existing.delegate(), BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(link.toString(), existing.toString(), null); // as link(2) reports it
    }
    // the inode is not new: writes through either name stay journaled
    created(loc.real(), link, existing, false, () -> provider.createLink(loc.real(), existing.delegate()));
  }

  /**
   * Creates {@code userPath} ({@code real}), a new name; {@code existing}, for a hard link, is
   * the file it names, which the error for a taken name also names (as link(2)'s does).
   */
  private void created(Path real, MetamoriPath userPath, MetamoriPath existing, boolean newInode, IoAction action)
      throws IOException {
    Lock lock = gate.shared();
    try {
      gate.checkOpen();
      if (Trees.attributesOrNull(provider, real) != null) {
        throw new FileAlreadyExistsException(
            userPath.toString(), existing == null ? null : existing.toString(), null);
      }
      beforeImages.touchParent(real);
      journal.append(new Created(real.toString()));
      action.run();
      if (newInode) {
        files.markCreated(files.track(real));
      } else if (files.contains(
          provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS), real)) {
        files.track(real); // a new name of an open or touched file: reachable here if its old name is gone
      }
    } finally {
      lock.unlock();
    }
  }

  // ---------------------------------------------------------------- removal

  void delete(MetamoriPath path) throws IOException {
    PathZones.Located loc = zones.route(path.delegate(), false);
    if (!loc.tracked()) {
      provider.delete(path.delegate());
      return;
    }
    Lock lock = gate.exclusive();
    try {
      gate.checkOpen();
      BasicFileAttributes a = attributes(loc.real(), path);
      if (a.isDirectory() && !Trees.isEmpty(provider, loc.real())) {
        throw new DirectoryNotEmptyException(path.toString());
      }
      remove(loc.real(), a);
    } finally {
      lock.unlock();
    }
  }

  /** Takes {@code real} out of the tree: into the trash, or deleted if the epoch created it. */
  private void remove(Path real, BasicFileAttributes a) throws IOException {
    beforeImages.touchParent(real);
    TrackedFile f = files.createdInEpoch(a, real);
    if (f != null && lastLink(real, a)) {
      provider.delete(real);
      files.detach(f);
      return;
    }
    trash(real);
  }

  /** Renames {@code real} into the working epoch's trash; its undo renames it back. */
  private void trash(Path real) throws IOException {
    String name = journal.newTrashEntry();
    Path trash = journal.trashPath(name);
    journal.append(new Trashed(real.toString(), name));
    stillWritable(real, name);
    try {
      Trees.relocate(provider, real, trash);
    } catch (IOException e) {
      throw journal.trashFailed(real, e);
    }
    files.relocated(real, trash);
  }

  /**
   * Tells the journal if a channel or mapping open on {@code real} (or on a file under it) can
   * still write to it once it is the trash entry {@code name}: the entry then gets no checksum.
   */
  private void stillWritable(Path real, String name) {
    for (TrackedFile f : files.values()) {
      if (f.path.startsWith(real) && (f.openCount > 0 || f.hasMappings())) {
        journal.trashedWhileOpen(name);
        return;
      }
    }
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
    TrackedFile f = files.createdInEpoch(a, real);
    if (f != null && lastLink(real, a)) {
      return f; // created in this epoch: nothing to keep
    }
    if (a.isDirectory()) {
      remove(real, a);
      return null;
    }
    String name = journal.newTrashEntry();
    Path trash = journal.trashPath(name);
    journal.append(new Trashed(real.toString(), name));
    stillWritable(real, name);
    try {
      provider.createLink(trash, real);
    } catch (IOException | UnsupportedOperationException e) {
      try {
        Trees.relocate(provider, real, trash);
      } catch (IOException notMoved) {
        throw journal.trashFailed(real, notMoved);
      }
    }
    files.relocated(real, trash);
    return null;
  }

  // ---------------------------------------------------------------- move and copy

  void move(MetamoriPath source, MetamoriPath target, CopyOption... options) throws IOException {
    // both located before either is refused: a store path is refused as the source first
    PathZones.Located s = zones.locate(source.delegate(), false);
    PathZones.Located t = zones.locate(target.delegate(), false);
    if (s.zone() == PathZones.Zone.STORE || t.zone() == PathZones.Zone.STORE) {
      throw PathZones.storeDenied(s.zone() == PathZones.Zone.STORE ? source.delegate() : target.delegate());
    }
    for (Path held : zones.heldDirectories()) {
      if (held.startsWith(s.real()) && !held.equals(s.real())) {
        throw new AccessDeniedException(
            source.toString(),
            target.toString(),
            "it contains " + held + ", which a Checkpointer tracks or keeps its store in");
      }
    }
    if (!s.tracked() && !t.tracked()) {
      provider.move(source.delegate(), target.delegate(), options);
      return;
    }
    List<CopyOption> opts = Arrays.asList(options);
    boolean atomic = opts.contains(StandardCopyOption.ATOMIC_MOVE);
    boolean replace = atomic || opts.contains(StandardCopyOption.REPLACE_EXISTING);
    Lock lock = gate.exclusive();
    try {
      gate.checkOpen();
      BasicFileAttributes sa;
      try {
        sa = attributes(s.real(), source);
      } catch (NoSuchFileException e) {
        // rename(2) (ATOMIC_MOVE) names both files; the default move reads the source first
        throw atomic ? new NoSuchFileException(source.toString(), target.toString(), null) : e;
      }
      if (s.real().equals(t.real())) {
        return;
      }
      BasicFileAttributes ta = Trees.attributesOrNull(provider, t.real());
      if (ta != null && sa.fileKey() != null && sa.fileKey().equals(ta.fileKey())) {
        return; // two names of one file: the default file system (and rename(2)) does nothing
      }
      if (atomic && sa.isDirectory() && t.real().startsWith(s.real())) {
        // rename(2) refuses this (EINVAL) before looking at the target
        throw new FileSystemException(
            source.toString(), target.toString(), "Invalid argument"); // EINVAL, as rename(2)
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
        if (ta.isDirectory() && !Trees.isEmpty(provider, t.real())) {
          throw new DirectoryNotEmptyException(target.toString());
        }
      }
      if (sa.isDirectory() && t.real().startsWith(s.real())) {
        throw new FileSystemException(
            source.toString(), target.toString(), "Invalid argument"); // EINVAL, as rename(2)
      }
      if (s.tracked() && t.tracked()) {
        moveWithin(s.real(), sa, t.real(), ta, options);
      } else if (s.tracked()) {
        moveOut(s.real(), sa, t.real(), ta, atomic);
      } else {
        moveIn(s.real(), t.real(), ta, options);
      }
    } finally {
      lock.unlock();
    }
  }

  /** A rename inside the tracked trees: undone by renaming back. */
  private void moveWithin(
      Path source, BasicFileAttributes sa, Path target, BasicFileAttributes ta, CopyOption... options)
      throws IOException {
    beforeImages.touchParent(source);
    beforeImages.touchParent(target);
    TrackedFile replaced = ta != null ? replaceTarget(target, ta) : null;
    journal.append(new Moved(source.toString(), target.toString()));
    provider.move(source, target, options);
    if (replaced != null && !replaced.key.equals(FileRegistry.keyOf(sa, source))) {
      files.detach(replaced); // (a rename between two links of one inode changes nothing)
    }
    files.relocated(source, target);
  }

  /** A file or tree moved into the tracked trees: undone by deleting it. */
  private void moveIn(Path source, Path target, BasicFileAttributes ta, CopyOption... options)
      throws IOException {
    beforeImages.touchParent(target);
    TrackedFile replaced = ta != null ? replaceTarget(target, ta) : null;
    journal.append(new Created(target.toString()));
    provider.move(source, target, options);
    if (replaced != null) {
      files.detach(replaced);
    }
    files.markCreated(files.track(target));
  }

  /**
   * Moves a tracked file or tree out of the tracked roots: the destination receives a copy,
   * made beside it first so that a failure leaves both trees as they were; then the original
   * is renamed into the trash (its undo renames it back) and the copy renamed into place.
   */
  private void moveOut(Path source, BasicFileAttributes sa, Path target, BasicFileAttributes ta, boolean atomic)
      throws IOException {
    beforeImages.touchParent(source);
    TrackedFile f = files.createdInEpoch(sa, source);
    if (f != null && (sa.isDirectory() ? Trees.isEmpty(provider, source) : lastLink(source, sa))) {
      // created in this epoch and holding nothing older: nothing to keep
      CopyOption[] options =
          atomic
              ? new CopyOption[] {StandardCopyOption.ATOMIC_MOVE}
              : ta != null ? new CopyOption[] {StandardCopyOption.REPLACE_EXISTING} : new CopyOption[0];
      provider.move(source, target, options);
      files.detach(f);
      return;
    }
    Path staging = target.resolveSibling("." + target.getFileName() + ".metamori-" + System.nanoTime());
    try {
      Trees.copyTree(provider, source, staging);
    } catch (IOException | RuntimeException e) {
      try {
        if (Trees.attributesOrNull(provider, staging) != null) {
          Trees.deleteTree(staging);
        }
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    try {
      trash(source);
    } catch (IOException | RuntimeException e) {
      try {
        Trees.deleteTree(staging); // nothing moved: the copy goes
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    if (ta != null && !atomic) {
      provider.delete(target);
    }
    provider.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
  }

  void copy(MetamoriPath source, MetamoriPath target, CopyOption... options) throws IOException {
    PathZones.Located t = zones.route(target.delegate(), false);
    if (!t.tracked()) {
      provider.copy(source.delegate(), target.delegate(), options);
      return;
    }
    List<CopyOption> opts = new ArrayList<>(Arrays.asList(options));
    if (opts.contains(StandardCopyOption.ATOMIC_MOVE)) {
      throw new UnsupportedOperationException("Unsupported copy option: ATOMIC_MOVE");
    }
    boolean replace = opts.remove(StandardCopyOption.REPLACE_EXISTING);
    Lock lock = gate.exclusive();
    try {
      gate.checkOpen();
      LinkOption[] follow =
          opts.contains(LinkOption.NOFOLLOW_LINKS) ? new LinkOption[] {NOFOLLOW_LINKS} : new LinkOption[0];
      BasicFileAttributes sa;
      try {
        sa = provider.readAttributes(source.delegate(), BasicFileAttributes.class, follow);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(source.toString());
      }
      BasicFileAttributes ta = Trees.attributesOrNull(provider, t.real());
      if (ta != null) {
        if (FileRegistry.keyOf(ta, t.real()).equals(FileRegistry.keyOf(sa, source.delegate()))) {
          return;
        }
        if (!replace) {
          throw new FileAlreadyExistsException(target.toString());
        }
        if (ta.isDirectory() && !Trees.isEmpty(provider, t.real())) {
          throw new DirectoryNotEmptyException(target.toString());
        }
        remove(t.real(), ta);
      }
      beforeImages.touchParent(t.real());
      journal.append(new Created(t.real().toString()));
      provider.copy(source.delegate(), t.real(), opts.toArray(new CopyOption[0]));
      files.markCreated(files.track(t.real()));
    } finally {
      lock.unlock();
    }
  }

  /** The attributes of {@code real}; if it is missing, the error names the user's path. */
  private BasicFileAttributes attributes(Path real, MetamoriPath userPath) throws IOException {
    try {
      return provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(userPath.toString());
    }
  }
}
