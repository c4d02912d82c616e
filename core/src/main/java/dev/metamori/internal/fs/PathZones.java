package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * Which zone a path lies in: under a tracked root (its changes are journaled), inside the store
 * (changes refused), or elsewhere, excluded paths under a root included (calls pass through to
 * the underlying file system).
 *
 * <p>Every mutating call asks {@link #route} once, before anything else.
 */
final class PathZones {
  enum Zone {
    TRACKED,
    STORE,
    OUTSIDE
  }

  /** Where a path really is (its real path), and the zone of that. */
  record Located(Path real, Zone zone) {
    boolean tracked() {
      return zone == Zone.TRACKED;
    }
  }

  private final FileSystemProvider provider;
  private final EpochGate gate;
  private final List<Path> roots;
  private final Path store;
  private final Exclusions exclusions;

  PathZones(FileSystemProvider provider, EpochGate gate, List<Path> realRoots, Path realStore, Exclusions exclusions) {
    this.exclusions = exclusions;
    this.provider = provider;
    this.gate = gate;
    this.roots = List.copyOf(realRoots);
    this.store = realStore;
  }

  /**
   * The routing decision of a mutating call on {@code path} (of the underlying file system):
   * refused with {@link AccessDeniedException} inside the store; otherwise where it is, which
   * is either {@linkplain Located#tracked() tracked} (journal the call, on the real path) or
   * outside (pass the call through on {@code path} as given).
   */
  Located route(Path path, boolean followFinal) throws IOException {
    Located loc = locate(path, followFinal);
    if (loc.zone == Zone.STORE) {
      throw storeDenied(path);
    }
    return loc;
  }

  /** Whether {@code path} (of the underlying file system) lies under a tracked root. */
  boolean isTracked(Path path) {
    try {
      return locate(path, true).zone == Zone.TRACKED;
    } catch (IOException e) {
      return zoneOf(path.toAbsolutePath().normalize()) == Zone.TRACKED;
    }
  }

  /**
   * Where the bytes of {@code path} really are: symbolic links in its parents are always
   * resolved, the final element only if {@code followFinal}.
   */
  Located locate(Path path, boolean followFinal) throws IOException {
    gate.checkOpen();
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
    return new Located(real, zoneOf(real));
  }

  /** The zone of a real path (one with no symbolic links). */
  Zone zoneOf(Path real) {
    if (real.startsWith(store)) {
      return Zone.STORE;
    }
    for (Path root : roots) {
      if (real.startsWith(root)) {
        return exclusions.excludes(real) ? Zone.OUTSIDE : Zone.TRACKED;
      }
    }
    return Zone.OUTSIDE;
  }

  /** The tracked roots and the store: directories a move must not carry away. */
  List<Path> heldDirectories() {
    List<Path> held = new ArrayList<>(roots);
    held.add(store);
    return held;
  }

  static AccessDeniedException storeDenied(Path path) {
    return new AccessDeniedException(
        path.toString(),
        null,
        "the store of a Checkpointer cannot be changed through its file system");
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
      BasicFileAttributes a = Trees.attributesOrNull(provider, link);
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
}
