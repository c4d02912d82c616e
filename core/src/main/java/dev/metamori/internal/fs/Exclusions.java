package dev.metamori.internal.fs;

import dev.metamori.internal.journal.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The paths under the tracked roots that are not tracked: each glob (the syntax of {@link
 * java.nio.file.FileSystem#getPathMatcher} with {@code glob:}) is matched against a path relative
 * to its root and against each of its parents, so a glob that names a directory excludes
 * everything under it. An excluded path is in {@link PathZones.Zone#OUTSIDE}: its changes pass
 * through unjournaled, the witness of outside changes does not look at it, and no record names
 * it, so restores leave it alone.
 *
 * <p>A store keeps the exclusions it was created with in the file {@value #FILE}: entries {@code
 * int n, n bytes UTF-8 glob}, then an {@code int} xxHash32 (seed 0x4d544d52) of the bytes before
 * it. They cannot change: a path that was tracked has records that restores apply.
 */
public final class Exclusions {
  static final String FILE = "exclusions";
  private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();
  private static final int SEED = 0x4d544d52;

  private final List<String> globs;
  private final List<PathMatcher> matchers = new ArrayList<>();
  private List<Path> roots = List.of();

  private Exclusions(List<String> globs) {
    this.globs = List.copyOf(globs);
    for (String g : globs) {
      matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + g));
    }
  }

  /**
   * Checks one glob as {@code Builder.exclude} takes it.
   *
   * @throws IllegalArgumentException if it is empty, absolute, climbs out with {@code ..}, or is
   *     not a valid glob
   */
  public static void check(String glob) {
    if (glob == null || glob.isEmpty() || glob.startsWith("/")) {
      throw new IllegalArgumentException(
          "an exclusion is a glob relative to a tracked root (like cache/** or **/*.tmp), not "
              + (glob == null ? "null" : "'" + glob + "'"));
    }
    for (String part : glob.split("/")) {
      if (part.equals("..")) {
        throw new IllegalArgumentException("an exclusion cannot climb out of its root with '..': " + glob);
      }
    }
    FileSystems.getDefault().getPathMatcher("glob:" + glob); // PatternSyntaxException, an IAE
  }

  /**
   * The exclusions of the store at {@code store}: those it was created with, or {@code asked}
   * for a new store (written then). {@code existed}: the store was there before this open.
   *
   * @throws IllegalArgumentException if {@code asked} is not empty and differs from the store's
   */
  public static Exclusions forStore(Path store, boolean existed, List<String> asked) throws IOException {
    List<String> stored = read(store.resolve(FILE));
    if (stored == null && existed && !asked.isEmpty()) {
      stored = List.of();
    }
    if (stored != null) {
      if (!asked.isEmpty() && !asked.equals(stored)) {
        throw new IllegalArgumentException(
            "the store " + store + " was created with the exclusions " + stored + ", not " + asked
                + ": exclusions cannot change (what was tracked has records that restores apply);"
                + " open it with the same ones, or none to use its own, or use a new store");
      }
      return new Exclusions(stored);
    }
    if (!asked.isEmpty()) {
      write(store, asked);
    }
    return new Exclusions(asked);
  }

  private static List<String> read(Path file) throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    List<String> globs = new ArrayList<>();
    try {
      while (b.remaining() > 4) {
        byte[] g = new byte[b.getInt()];
        b.get(g);
        globs.add(new String(g, StandardCharsets.UTF_8));
      }
      if (b.remaining() != 4 || b.getInt() != XXHASH.hash(all, 0, all.length - 4, SEED)) {
        throw new IllegalArgumentException();
      }
    } catch (RuntimeException e) {
      throw new dev.metamori.CorruptStoreException(
          file, -1, -1, "the store's list of excluded paths is damaged; it holds the globs given to"
              + " Builder.exclude when the store was created: restore the file from a backup");
    }
    return globs;
  }

  private static void write(Path store, List<String> globs) throws IOException {
    int size = 4;
    for (String g : globs) {
      size += 4 + g.getBytes(StandardCharsets.UTF_8).length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    for (String g : globs) {
      byte[] n = g.getBytes(StandardCharsets.UTF_8);
      b.putInt(n.length).put(n);
    }
    b.putInt(XXHASH.hash(b.array(), 0, size - 4, SEED)).flip();
    OwnerOnly.replace(store.resolve(FILE), b);
  }

  /** The globs, as given. */
  public List<String> globs() {
    return globs;
  }

  /** Sets the real roots the globs are relative to. */
  void roots(List<Path> realRoots) {
    roots = List.copyOf(realRoots);
  }

  /** Whether {@code real} (a real path) is excluded: it or a parent of it, below its root, matches. */
  public boolean excludes(Path real) {
    if (matchers.isEmpty()) {
      return false;
    }
    for (Path root : roots) {
      if (real.startsWith(root) && !real.equals(root)) {
        Path rel = root.relativize(real);
        for (Path p = rel; p != null; p = p.getParent()) {
          for (PathMatcher m : matchers) {
            if (m.matches(p)) {
              return true;
            }
          }
        }
        return false;
      }
    }
    return false;
  }
}
