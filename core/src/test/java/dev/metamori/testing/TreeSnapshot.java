package dev.metamori.testing;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An exact, immutable picture of a directory tree: for every path below a root (and the root
 * itself, named {@code "."}), its type, size and SHA-256 of its bytes (files), last-modified
 * time in nanoseconds (files and directories), POSIX permissions, owner and group, the target
 * of a symbolic link, and which other paths of the tree are hard links to the same file.
 *
 * <p>Paths are relative to the root and use {@code /}, so snapshots of two different roots
 * compare equal when the trees are the same. Nothing is excluded unless asked for ({@link
 * #excluding}); attributes can be left out of comparisons with {@link #withoutModifiedTimes()}
 * and friends.
 *
 * <pre>{@code
 * TreeSnapshot before = TreeSnapshot.of(root);
 * ... change and roll back ...
 * TreeSnapshot after = TreeSnapshot.of(root);
 * assertEquals(before, after, () -> before.describeDifferences(after));
 * }</pre>
 *
 * <p>Symbolic links are never followed. Access times and change times are not part of a
 * snapshot. Files up to {@value #KEPT_CONTENT_LIMIT} bytes keep their bytes, so that a
 * difference can name the first differing offset.
 */
public final class TreeSnapshot {
  /** The name of the root in a snapshot. */
  public static final String ROOT = ".";

  /** Files up to this size keep their bytes for {@link #describeDifferences}. */
  public static final int KEPT_CONTENT_LIMIT = 1 << 20;

  /** Kinds of entry. */
  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  /**
   * One path of a snapshot. Fields that do not apply are {@code -1} or {@code null}: {@code size}
   * and {@code sha256} for non-files, {@code modifiedNanos} for links (and when left out),
   * {@code permissions}, {@code owner} and {@code group} where the file system is not POSIX,
   * {@code linkTarget} for non-links, {@code hardLinkedTo} when no other path of the tree
   * is the same file.
   *
   * @param hardLinkedTo the smallest path (in sort order) of the tree that is the same file as
   *     this one, when the file has more than one name in the tree
   */
  public record Entry(
      Type type,
      long size,
      String sha256,
      long modifiedNanos,
      int permissions,
      String owner,
      String group,
      String linkTarget,
      String hardLinkedTo,
      byte[] content) {

    /** Compares everything except {@code content} (which only serves descriptions). */
    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Entry)) {
        return false;
      }
      Entry e = (Entry) o;
      return type == e.type
          && size == e.size
          && modifiedNanos == e.modifiedNanos
          && permissions == e.permissions
          && Objects.equals(sha256, e.sha256)
          && Objects.equals(owner, e.owner)
          && Objects.equals(group, e.group)
          && Objects.equals(linkTarget, e.linkTarget)
          && Objects.equals(hardLinkedTo, e.hardLinkedTo);
    }

    @Override
    public int hashCode() {
      return Objects.hash(type, size, sha256, modifiedNanos, permissions, owner, group, linkTarget, hardLinkedTo);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(type.name().toLowerCase(java.util.Locale.ROOT));
      if (type == Type.FILE) {
        s.append(" size=").append(size).append(" sha256=").append(sha256, 0, 12);
      }
      if (linkTarget != null) {
        s.append(" -> ").append(linkTarget);
      }
      if (modifiedNanos != -1) {
        s.append(" mtime=").append(formatNanos(modifiedNanos));
      }
      if (permissions != -1) {
        s.append(" mode=").append(modeString(permissions));
      }
      if (owner != null) {
        s.append(" owner=").append(owner).append(':').append(group);
      }
      if (hardLinkedTo != null) {
        s.append(" hardlink-of=").append(hardLinkedTo);
      }
      return s.toString();
    }

    Entry withModifiedNanos(long nanos) {
      return new Entry(type, size, sha256, nanos, permissions, owner, group, linkTarget, hardLinkedTo, content);
    }

    Entry withoutOwnership() {
      return new Entry(type, size, sha256, modifiedNanos, permissions, null, null, linkTarget, hardLinkedTo, content);
    }

    Entry withoutHardLinks() {
      return new Entry(type, size, sha256, modifiedNanos, permissions, owner, group, linkTarget, null, content);
    }
  }

  private final SortedMap<String, Entry> entries;

  private TreeSnapshot(SortedMap<String, Entry> entries) {
    this.entries = Collections.unmodifiableSortedMap(entries);
  }

  /** Takes a snapshot of the tree below {@code root} (which must be a directory). */
  public static TreeSnapshot of(Path root) throws IOException {
    if (!Files.isDirectory(root, NOFOLLOW_LINKS)) {
      throw new IOException(root + " is not a directory");
    }
    boolean posix = root.getFileSystem().supportedFileAttributeViews().contains("posix");
    SortedMap<String, Entry> entries = new TreeMap<>();
    Map<Object, TreeSet<String>> namesOfFile = new HashMap<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
            add(dir);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
            add(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            throw e;
          }

          private void add(Path path) throws IOException {
            String name = relativeName(root, path);
            BasicFileAttributes a;
            int permissions = -1;
            String owner = null;
            String group = null;
            if (posix) {
              PosixFileAttributes p = Files.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
              permissions = toBits(p.permissions());
              owner = p.owner().getName();
              group = p.group().getName();
              a = p;
            } else {
              a = Files.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
            }
            Type type =
                a.isRegularFile()
                    ? Type.FILE
                    : a.isDirectory() ? Type.DIRECTORY : a.isSymbolicLink() ? Type.SYMLINK : Type.OTHER;
            long size = -1;
            String sha = null;
            byte[] content = null;
            String target = null;
            long mtime = -1;
            if (type == Type.FILE) {
              size = a.size();
              MessageDigest digest = sha256();
              byte[] kept = size <= KEPT_CONTENT_LIMIT ? new byte[(int) size] : null;
              long read = 0;
              try (InputStream in = Files.newInputStream(path, NOFOLLOW_LINKS)) {
                byte[] buffer = new byte[64 * 1024];
                int n;
                while ((n = in.read(buffer)) > 0) {
                  digest.update(buffer, 0, n);
                  if (kept != null && read + n <= kept.length) {
                    System.arraycopy(buffer, 0, kept, (int) read, n);
                  } else {
                    kept = null;
                  }
                  read += n;
                }
              }
              if (read != size) {
                throw new IOException(path + " changed while its snapshot was taken");
              }
              sha = hex(digest.digest());
              content = kept;
              Object key = a.fileKey();
              if (key != null && linkCount(path) > 1) {
                namesOfFile.computeIfAbsent(key, k -> new TreeSet<>()).add(name);
              }
            }
            if (type == Type.SYMLINK) {
              target = Files.readSymbolicLink(path).toString();
            } else {
              mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
            }
            entries.put(
                name, new Entry(type, size, sha, mtime, permissions, owner, group, target, null, content));
          }
        });
    for (TreeSet<String> names : namesOfFile.values()) {
      if (names.size() > 1) {
        String first = names.first();
        for (String name : names) {
          Entry e = entries.get(name);
          entries.put(
              name,
              new Entry(e.type, e.size, e.sha256, e.modifiedNanos, e.permissions, e.owner, e.group,
                  e.linkTarget, first, e.content));
        }
      }
    }
    return new TreeSnapshot(entries);
  }

  /** Like {@link #of(Path)}, for use in lambdas. */
  public static TreeSnapshot ofUnchecked(Path root) {
    try {
      return of(root);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int linkCount(Path path) {
    try {
      Object n = Files.getAttribute(path, "unix:nlink", NOFOLLOW_LINKS);
      return n instanceof Integer ? (Integer) n : 1;
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return 1;
    }
  }

  private static String relativeName(Path root, Path path) {
    Path rel = root.relativize(path);
    if (rel.toString().isEmpty()) {
      return ROOT;
    }
    List<String> parts = new ArrayList<>();
    for (Path p : rel) {
      parts.add(p.toString());
    }
    return String.join("/", parts);
  }

  /** The entries by root-relative path ({@value #ROOT} for the root), in path order. */
  public SortedMap<String, Entry> entries() {
    return entries;
  }

  /** The entry of {@code relativePath}, or null. */
  public Entry get(String relativePath) {
    return entries.get(relativePath);
  }

  /** This snapshot with every last-modified time left out. */
  public TreeSnapshot withoutModifiedTimes() {
    return map(e -> e.modifiedNanos == -1 ? e : e.withModifiedNanos(-1));
  }

  /** This snapshot without owner and group names. */
  public TreeSnapshot withoutOwnership() {
    return map(Entry::withoutOwnership);
  }

  /** This snapshot without which paths are hard links of each other. */
  public TreeSnapshot withoutHardLinks() {
    return map(Entry::withoutHardLinks);
  }

  /** This snapshot without the paths {@code excluded} accepts (the root included). */
  public TreeSnapshot excluding(Predicate<String> excluded) {
    SortedMap<String, Entry> kept = new TreeMap<>();
    entries.forEach(
        (k, v) -> {
          if (!excluded.test(k)) {
            kept.put(k, v);
          }
        });
    return new TreeSnapshot(kept);
  }

  private TreeSnapshot map(java.util.function.Function<Entry, Entry> f) {
    SortedMap<String, Entry> mapped = new TreeMap<>();
    entries.forEach((k, v) -> mapped.put(k, f.apply(v)));
    return new TreeSnapshot(mapped);
  }

  /** The first {@code max} differences from {@code other}, one line each, in path order. */
  public List<String> differences(TreeSnapshot other, int max) {
    List<String> found = new ArrayList<>();
    Set<String> names = new TreeSet<>(entries.keySet());
    names.addAll(other.entries.keySet());
    for (String name : names) {
      Entry mine = entries.get(name);
      Entry theirs = other.entries.get(name);
      if (Objects.equals(mine, theirs)) {
        continue;
      }
      if (found.size() == max) {
        found.add("...");
        break;
      }
      if (mine == null) {
        found.add(name + ": missing here, there " + theirs);
      } else if (theirs == null) {
        found.add(name + ": only here, " + mine);
      } else {
        found.add(name + ": " + describe(mine, theirs));
      }
    }
    return found;
  }

  /**
   * A readable account of how {@code other} differs from this snapshot ("here" is this one,
   * "there" is {@code other}), at most 20 paths; empty if they are equal.
   */
  public String describeDifferences(TreeSnapshot other) {
    return describeDifferences(other, 20);
  }

  /** As {@link #describeDifferences(TreeSnapshot)}, listing at most {@code max} paths. */
  public String describeDifferences(TreeSnapshot other, int max) {
    List<String> diffs = differences(other, max);
    return diffs.isEmpty() ? "" : "  " + String.join("\n  ", diffs);
  }

  private static String describe(Entry here, Entry there) {
    List<String> parts = new ArrayList<>();
    if (here.type != there.type) {
      return "type " + here.type + " here, " + there.type + " there (here " + here + "; there " + there + ")";
    }
    if (here.size != there.size) {
      parts.add("size " + here.size + " here, " + there.size + " there");
    }
    if (!Objects.equals(here.sha256, there.sha256)) {
      int at = firstDifference(here.content, there.content);
      parts.add(
          "bytes differ"
              + (at >= 0 ? " from offset " + at : "")
              + " (sha256 "
              + here.sha256.substring(0, 12)
              + " here, "
              + there.sha256.substring(0, 12)
              + " there)");
    }
    if (here.modifiedNanos != there.modifiedNanos) {
      parts.add(
          "mtime "
              + formatNanos(here.modifiedNanos)
              + " here, "
              + formatNanos(there.modifiedNanos)
              + " there");
    }
    if (here.permissions != there.permissions) {
      parts.add("mode " + modeString(here.permissions) + " here, " + modeString(there.permissions) + " there");
    }
    if (!Objects.equals(here.owner, there.owner) || !Objects.equals(here.group, there.group)) {
      parts.add("owner " + here.owner + ":" + here.group + " here, " + there.owner + ":" + there.group + " there");
    }
    if (!Objects.equals(here.linkTarget, there.linkTarget)) {
      parts.add("link target " + here.linkTarget + " here, " + there.linkTarget + " there");
    }
    if (!Objects.equals(here.hardLinkedTo, there.hardLinkedTo)) {
      parts.add("hard link of " + here.hardLinkedTo + " here, " + there.hardLinkedTo + " there");
    }
    return String.join("; ", parts);
  }

  private static int firstDifference(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return -1;
    }
    int n = Math.min(a.length, b.length);
    for (int i = 0; i < n; i++) {
      if (a[i] != b[i]) {
        return i;
      }
    }
    return a.length == b.length ? -1 : n;
  }

  private static String formatNanos(long nanos) {
    if (nanos == -1) {
      return "(none)";
    }
    return java.time.Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L))
        .toString();
  }

  private static String modeString(int bits) {
    if (bits == -1) {
      return "(none)";
    }
    return String.format("%03o", bits) + "/" + PosixFilePermissions.toString(fromBits(bits));
  }

  private static final PosixFilePermission[] ORDER = {
    PosixFilePermission.OTHERS_EXECUTE,
    PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_READ,
    PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.GROUP_WRITE,
    PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE,
    PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_READ,
  };

  /** POSIX permissions as mode bits (0644 ...). */
  public static int toBits(Set<PosixFilePermission> permissions) {
    int bits = 0;
    for (int i = 0; i < ORDER.length; i++) {
      if (permissions.contains(ORDER[i])) {
        bits |= 1 << i;
      }
    }
    return bits;
  }

  /** Mode bits (0644 ...) as POSIX permissions. */
  public static Set<PosixFilePermission> fromBits(int bits) {
    Set<PosixFilePermission> permissions = java.util.EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < ORDER.length; i++) {
      if ((bits & (1 << i)) != 0) {
        permissions.add(ORDER[i]);
      }
    }
    return permissions;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String hex(byte[] bytes) {
    StringBuilder s = new StringBuilder(bytes.length * 2);
    for (byte b : bytes) {
      s.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return s.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TreeSnapshot && entries.equals(((TreeSnapshot) o).entries);
  }

  @Override
  public int hashCode() {
    return entries.hashCode();
  }

  /** One line per path. */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder();
    entries.forEach((k, v) -> s.append(k).append(": ").append(v).append('\n'));
    return s.toString();
  }
}
