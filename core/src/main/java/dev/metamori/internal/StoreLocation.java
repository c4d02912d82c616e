package dev.metamori.internal;

import dev.metamori.Durability;
import dev.metamori.internal.journal.Journal;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Checks where a store and its tracked roots are before the store is opened or created. */
final class StoreLocation {
  private StoreLocation() {}

  /**
   * The real paths of {@code roots} (or, if none is given, of those the store records), after
   * checking that they are existing directories of {@code fs}, do not overlap, and neither hold
   * the store nor lie inside it.
   */
  static List<Path> realRoots(Path store, List<Path> roots, FileSystem fs) throws IOException {
    if (roots.isEmpty()) {
      roots = recordedRoots(store, fs);
    }
    List<Path> realRoots = new ArrayList<>();
    for (Path root : roots) {
      if (root.getFileSystem() != fs) {
        throw new IllegalArgumentException(
            "tracked root " + root + " is not on the file system of store " + store);
      }
      java.nio.file.attribute.BasicFileAttributes a;
      try {
        a = Files.readAttributes(root, java.nio.file.attribute.BasicFileAttributes.class);
      } catch (java.nio.file.NoSuchFileException e) {
        a = null;
      } // any other I/O error is reported as it is
      if (a == null || !a.isDirectory()) {
        throw new IllegalArgumentException(
            "tracked root " + root + " is not an existing directory: create it first");
      }
      realRoots.add(root.toRealPath());
    }
    for (int i = 0; i < realRoots.size(); i++) {
      for (int j = i + 1; j < realRoots.size(); j++) {
        Path a = realRoots.get(i);
        Path b = realRoots.get(j);
        if (a.startsWith(b) || b.startsWith(a)) {
          throw new IllegalArgumentException(
              "tracked roots " + roots.get(i) + " and " + roots.get(j) + " overlap: track only the outer one");
        }
      }
    }
    // checked before the store is created, so a refused store is not left inside a root
    Path realStore = realPathOf(store);
    for (int i = 0; i < realRoots.size(); i++) {
      Path root = realRoots.get(i);
      if (realStore.startsWith(root)) {
        throw new IllegalArgumentException(
            "store " + store + " lies inside tracked root " + roots.get(i)
                + ": the journal cannot journal itself; put the store outside every tracked root");
      }
      if (root.startsWith(realStore)) {
        throw new IllegalArgumentException(
            "tracked root " + roots.get(i) + " lies inside store " + store);
      }
    }
    return realRoots;
  }

  /** The roots an existing store was last opened with, for an open that names none. */
  private static List<Path> recordedRoots(Path store, FileSystem fs) throws IOException {
    List<String> recorded = List.of();
    if (Files.isRegularFile(store.resolve("index.mv")) || Files.isRegularFile(store.resolve("catalogue.seg"))) {
      try (Journal journal = Journal.open(store.toRealPath(), 0, Durability.NONE, 0)) {
        recorded = journal.roots();
      }
    }
    if (recorded.isEmpty()) {
      throw new IllegalArgumentException(
          "no tracked root: call track(Path) at least once (store " + store + " records none)");
    }
    List<Path> paths = new ArrayList<>();
    recorded.forEach(r -> paths.add(fs.getPath(r)));
    return paths;
  }

  /** The real path of {@code path}, or the one it will have once created. */
  private static Path realPathOf(Path path) throws IOException {
    Path abs = path.toAbsolutePath().normalize();
    Path existing = abs;
    while (existing.getParent() != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    return existing.toRealPath().resolve(existing.relativize(abs));
  }

}
