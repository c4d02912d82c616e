package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.locks.Lock;

/**
 * Changes of attributes. Under a tracked root a change first saves the file's attributes (a
 * {@code Touch} record, once per epoch); a change that cannot be journaled (user-defined, DOS,
 * ACL attributes) is refused there with a {@link FileSystemException}. Outside the roots changes pass through.
 */
final class AttributeOps {
  /** A change of attributes on the underlying file system. */
  interface Change {
    void run() throws IOException;
  }

  private static final Set<String> JOURNALED_VIEWS = Set.of("basic", "posix", "owner", "unix");

  private final FileSystemProvider provider;
  private final EpochGate gate;
  private final PathZones zones;
  private final FileRegistry files;
  private final BeforeImages beforeImages;
  private final Set<String> views;

  AttributeOps(
      FileSystemProvider provider,
      Set<String> views,
      EpochGate gate,
      PathZones zones,
      FileRegistry files,
      BeforeImages beforeImages) {
    this.provider = provider;
    this.views = Set.copyOf(views);
    this.gate = gate;
    this.zones = zones;
    this.files = files;
    this.beforeImages = beforeImages;
  }

  void setAttribute(MetamoriPath path, String attribute, Object value, LinkOption... options)
      throws IOException {
    PathZones.Located loc = zones.route(path.delegate(), follows(options));
    if (!loc.tracked()) {
      provider.setAttribute(path.delegate(), attribute, value, options);
      return;
    }
    int colon = attribute.indexOf(':');
    String view = colon < 0 ? "basic" : attribute.substring(0, colon);
    if (!views.contains(view)) {
      throw new UnsupportedOperationException("View '" + view + "' not available"); // as the default
    }
    if (!JOURNALED_VIEWS.contains(view)) {
      throw unjournaled(path, "attribute '" + attribute + "'");
    }
    journaled(loc.real(), path, () -> provider.setAttribute(loc.real(), attribute, value, options));
  }

  /**
   * The view of the underlying file system, wrapped: the setters of the basic, POSIX and owner
   * views journal first; views whose changes cannot be journaled (user-defined, DOS, ACL)
   * refuse changes under tracked roots. Another interface type is not offered (null): its
   * changes could be neither journaled nor told apart.
   */
  <V extends FileAttributeView> V getFileAttributeView(MetamoriPath path, Class<V> type, LinkOption... options) {
    return wrap(path, follows(options), type, provider.getFileAttributeView(path.delegate(), type, options));
  }

  /**
   * {@code view}, a view of {@code path} of the underlying file system (or of a file a directory
   * stream names), wrapped so that its changes are journaled or refused as {@link
   * #getFileAttributeView} describes.
   */
  <V extends FileAttributeView> V wrap(MetamoriPath path, boolean follow, Class<V> type, V view) {
    if (view == null || !type.isInterface()) {
      return view;
    }
    FileAttributeView wrapped;
    if (type == BasicFileAttributeView.class) {
      wrapped = new MetamoriBasicFileAttributeView(this, path, follow, (BasicFileAttributeView) view);
    } else if (type == PosixFileAttributeView.class) {
      wrapped = new MetamoriPosixFileAttributeView(this, path, follow, (PosixFileAttributeView) view);
    } else if (type == FileOwnerAttributeView.class) {
      wrapped = new MetamoriFileOwnerAttributeView(this, path, follow, (FileOwnerAttributeView) view);
    } else if (type == DosFileAttributeView.class) {
      wrapped = new MetamoriDosFileAttributeView(this, path, follow, (DosFileAttributeView) view);
    } else if (type == UserDefinedFileAttributeView.class) {
      wrapped = new MetamoriUserDefinedFileAttributeView(this, path, follow, (UserDefinedFileAttributeView) view);
    } else if (type == AclFileAttributeView.class) {
      wrapped = new MetamoriAclFileAttributeView(this, path, follow, (AclFileAttributeView) view);
    } else {
      return null;
    }
    return type.cast(wrapped);
  }

  /**
   * Runs {@code change}, a change through a view of {@code path} that can be journaled:
   * journaled first under a tracked root, refused in the store, as it is elsewhere.
   */
  void change(MetamoriPath path, boolean follow, Change change) throws IOException {
    PathZones.Located loc = zones.route(path.delegate(), follow);
    if (!loc.tracked()) {
      change.run();
      return;
    }
    journaled(loc.real(), path, change);
  }

  /**
   * Checks a change through a view of {@code path} that cannot be journaled
   * ({@code view.method}): refused under a tracked root or in the store; the caller makes it
   * elsewhere.
   */
  void checkUnjournaled(MetamoriPath path, boolean follow, String view, String method) throws IOException {
    PathZones.Located loc = zones.route(path.delegate(), follow);
    if (loc.tracked()) {
      throw unjournaled(path, view + "." + method);
    }
  }

  /**
   * The refusal of a change the journal cannot record: an {@link IOException}, as the change
   * itself declares, so that code which falls back on another view when one fails (commons-io's
   * {@code PathUtils.setReadOnly} tries DOS, then POSIX) goes on as elsewhere.
   */
  private static FileSystemException unjournaled(MetamoriPath path, String what) {
    return new FileSystemException(
        path.toString(),
        null,
        what
            + " cannot be journaled: only basic, posix, unix and owner attributes of tracked files"
            + " can be changed");
  }

  private void journaled(Path real, MetamoriPath path, Change change) throws IOException {
    Lock lock = gate.shared();
    try {
      gate.checkOpen();
      TrackedFile f;
      try {
        f = files.track(real);
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(path.toString());
      }
      beforeImages.touch(f);
      change.run();
    } finally {
      lock.unlock();
    }
  }

  private static boolean follows(LinkOption... options) {
    return !Arrays.asList(options).contains(NOFOLLOW_LINKS);
  }
}
