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
 * The one picture of a directory tree the tests compare a restore with: for every path below a
 * root (and the root itself, named {@code "."}), its type and, as the {@link Options} ask, its
 * size and a hash of its bytes (files: SHA-256, or CRC32C for a cheap fingerprint of a large
 * tree), last-modified time in nanoseconds (files and directories; links too if asked), POSIX
 * permissions, owner and group, the target of a symbolic link, and which other paths of the
 * tree are hard links to the same file. What is not asked for is not read, and so not compared.
 *
 * <ul>
 *   <li>{@link #of(Path)}: everything but the times of links ({@link Options#ALL}).
 *   <li>{@link #exact(Path)}: everything Metamori promises to restore about a tree: all but
 *       hard links, link times included ({@link Options#EXACT}).
 *   <li>{@link #of(Path, Options)} with {@link Options#CRASH} (what the crash oracle records,
 *       {@link #encode() encoded} on one line) or {@link Options#FINGERPRINT} (types, sizes,
 *       CRC32C of the bytes and link targets, for trees too large to keep more of).
 * </ul>
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

  /** What a snapshot reads of each path, besides its type. */
  public enum Aspect {
    /** The size of files. */
    SIZE,
    /** A hash of the bytes of files. */
    CONTENT,
    /** The last-modified time of files, directories and others. */
    MTIME,
    /** The last-modified time of symbolic links too (with {@link #MTIME}). */
    LINK_MTIME,
    /** POSIX permissions. */
    MODE,
    /** POSIX owner and group names. */
    OWNER,
    /** The target of symbolic links. */
    LINK_TARGET,
    /** Which paths of the tree are hard links of each other. */
    HARD_LINKS
  }

  /** How file bytes are hashed. */
  public enum Hash {
    SHA256,
    CRC32C
  }

  /**
   * What a snapshot reads and compares.
   *
   * @param keepContent keep the bytes of small files, so that a difference names the first
   *     differing offset
   */
  public record Options(Set<Aspect> aspects, Hash hash, boolean keepContent) {
    /** Everything but the times of symbolic links; SHA-256; small files kept. */
    public static final Options ALL =
        new Options(java.util.EnumSet.complementOf(java.util.EnumSet.of(Aspect.LINK_MTIME)), Hash.SHA256, true);
    /** What Metamori promises to restore: everything but hard links, link times included. */
    public static final Options EXACT =
        new Options(java.util.EnumSet.complementOf(java.util.EnumSet.of(Aspect.HARD_LINKS)), Hash.SHA256, true);
    /**
     * What the crash oracle records of every epoch: sizes, SHA-256, times (not of links), modes
     * and link targets; no owners, no hard links, no kept bytes (it is logged, and kept per epoch).
     */
    public static final Options CRASH =
        new Options(
            java.util.EnumSet.of(Aspect.SIZE, Aspect.CONTENT, Aspect.MTIME, Aspect.MODE, Aspect.LINK_TARGET),
            Hash.SHA256,
            false);
    /** A cheap picture of a large tree: types, sizes, CRC32C of the bytes, link targets. */
    public static final Options FINGERPRINT =
        new Options(java.util.EnumSet.of(Aspect.SIZE, Aspect.CONTENT, Aspect.LINK_TARGET), Hash.CRC32C, false);

    public Options {
      aspects = aspects.isEmpty() ? Set.of() : Collections.unmodifiableSet(java.util.EnumSet.copyOf(aspects));
    }

    boolean has(Aspect a) {
      return aspects.contains(a);
    }

    /** These options without {@code left}. */
    public Options without(Aspect... left) {
      java.util.EnumSet<Aspect> kept = java.util.EnumSet.noneOf(Aspect.class);
      kept.addAll(aspects);
      kept.removeAll(List.of(left));
      return new Options(kept, hash, keepContent);
    }
  }

  /** Kinds of entry. */
  public enum Type {
    FILE,
    DIRECTORY,
    SYMLINK,
    OTHER
  }

  /**
   * One path of a snapshot. Fields that do not apply or were not read are {@code -1} or {@code
   * null}: {@code size} and {@code hash} for non-files, {@code modifiedNanos} for links (unless
   * asked for),
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
      String hash,
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
          && Objects.equals(hash, e.hash)
          && Objects.equals(owner, e.owner)
          && Objects.equals(group, e.group)
          && Objects.equals(linkTarget, e.linkTarget)
          && Objects.equals(hardLinkedTo, e.hardLinkedTo);
    }

    @Override
    public int hashCode() {
      return Objects.hash(type, size, hash, modifiedNanos, permissions, owner, group, linkTarget, hardLinkedTo);
    }

    @Override
    public String toString() {
      StringBuilder s = new StringBuilder(type.name().toLowerCase(java.util.Locale.ROOT));
      if (size != -1) {
        s.append(" size=").append(size);
      }
      if (hash != null) {
        s.append(" hash=").append(hash, 0, Math.min(12, hash.length()));
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
      return new Entry(type, size, hash, nanos, permissions, owner, group, linkTarget, hardLinkedTo, content);
    }

    Entry withoutOwnership() {
      return new Entry(type, size, hash, modifiedNanos, permissions, null, null, linkTarget, hardLinkedTo, content);
    }

    Entry withoutPermissions() {
      return new Entry(type, size, hash, modifiedNanos, -1, owner, group, linkTarget, hardLinkedTo, content);
    }

    Entry withoutHardLinks() {
      return new Entry(type, size, hash, modifiedNanos, permissions, owner, group, linkTarget, null, content);
    }
  }

  private final SortedMap<String, Entry> entries;
  /** Where the snapshot was taken and how, for {@link #assertTreeMatches}; null when decoded. */
  private final Path root;
  private final Options options;

  private TreeSnapshot(SortedMap<String, Entry> entries, Path root, Options options) {
    this.entries = Collections.unmodifiableSortedMap(entries);
    this.root = root;
    this.options = options;
  }

  private TreeSnapshot(SortedMap<String, Entry> entries) {
    this(entries, null, null);
  }

  /** Takes a snapshot of everything below {@code root} (a directory) but link times. */
  public static TreeSnapshot of(Path root) throws IOException {
    return of(root, Options.ALL);
  }

  /** Takes a snapshot of what Metamori promises to restore of the tree below {@code root}. */
  public static TreeSnapshot exact(Path root) throws IOException {
    return of(root, Options.EXACT);
  }

  /** Takes a cheap snapshot of a large tree below {@code root} ({@link Options#FINGERPRINT}). */
  public static TreeSnapshot fingerprint(Path root) throws IOException {
    return of(root, Options.FINGERPRINT);
  }

  /** Takes a snapshot of what {@code options} ask for of the tree below {@code root}. */
  public static TreeSnapshot of(Path root, Options options) throws IOException {
    if (!Files.isDirectory(root, NOFOLLOW_LINKS)) {
      throw new IOException(root + " is not a directory");
    }
    boolean posix =
        root.getFileSystem().supportedFileAttributeViews().contains("posix")
            && (options.has(Aspect.MODE) || options.has(Aspect.OWNER));
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
              if (options.has(Aspect.MODE)) {
                permissions = toBits(p.permissions());
              }
              if (options.has(Aspect.OWNER)) {
                owner = p.owner().getName();
                group = p.group().getName();
              }
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
              if (options.has(Aspect.SIZE)) {
                size = a.size();
              }
              if (options.has(Aspect.CONTENT)) {
                Hasher digest = hasher(options.hash());
                byte[] kept = options.keepContent() && a.size() <= KEPT_CONTENT_LIMIT ? new byte[(int) a.size()] : null;
                long read = 0;
                try (InputStream in = Files.newInputStream(path, NOFOLLOW_LINKS)) {
                  byte[] buffer = new byte[64 * 1024];
                  int n;
                  while ((n = in.read(buffer)) > 0) {
                    digest.update(buffer, n);
                    if (kept != null && read + n <= kept.length) {
                      System.arraycopy(buffer, 0, kept, (int) read, n);
                    } else {
                      kept = null;
                    }
                    read += n;
                  }
                }
                if (read != a.size()) {
                  throw new IOException(path + " changed while its snapshot was taken");
                }
                sha = digest.hex();
                content = kept;
              }
              Object key = a.fileKey();
              if (options.has(Aspect.HARD_LINKS) && key != null && linkCount(path) > 1) {
                namesOfFile.computeIfAbsent(key, k -> new TreeSet<>()).add(name);
              }
            }
            if (type == Type.SYMLINK) {
              if (options.has(Aspect.LINK_TARGET)) {
                target = Files.readSymbolicLink(path).toString();
              }
              if (options.has(Aspect.MTIME) && options.has(Aspect.LINK_MTIME)) {
                mtime = a.lastModifiedTime().to(TimeUnit.NANOSECONDS);
              }
            } else if (options.has(Aspect.MTIME)) {
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
              new Entry(e.type, e.size, e.hash, e.modifiedNanos, e.permissions, e.owner, e.group,
                  e.linkTarget, first, e.content));
        }
      }
    }
    return new TreeSnapshot(entries, root, options);
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

  /** The number of paths, the root included. */
  public int size() {
    return entries.size();
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

  /** This snapshot without POSIX permissions. */
  public TreeSnapshot withoutPermissions() {
    return map(Entry::withoutPermissions);
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
    if (!Objects.equals(here.hash, there.hash)) {
      int at = firstDifference(here.content, there.content);
      parts.add(
          "bytes differ"
              + (at >= 0 ? " from offset " + at : "")
              + " (hash "
              + abbreviated(here.hash)
              + " here, "
              + abbreviated(there.hash)
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

  private static String abbreviated(String hash) {
    return hash == null ? "(none)" : hash.substring(0, Math.min(12, hash.length()));
  }

  /** SHA-256 (hex) or CRC32C (hex, length-free) of a stream of bytes. */
  private interface Hasher {
    void update(byte[] b, int n);

    String hex();
  }

  private static Hasher hasher(Hash hash) {
    if (hash == Hash.CRC32C) {
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      return new Hasher() {
        @Override
        public void update(byte[] b, int n) {
          crc.update(b, 0, n);
        }

        @Override
        public String hex() {
          return Long.toHexString(crc.getValue());
        }
      };
    }
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return new Hasher() {
      @Override
      public void update(byte[] b, int n) {
        md.update(b, 0, n);
      }

      @Override
      public String hex() {
        return java.util.HexFormat.of().formatHex(md.digest());
      }
    };
  }

  /** SHA-256 of {@code bytes} in hex, as a snapshot with {@link Hash#SHA256} records it. */
  public static String sha256Hex(byte[] bytes) {
    Hasher h = hasher(Hash.SHA256);
    h.update(bytes, bytes.length);
    return h.hex();
  }

  /**
   * The differences between this (expected) snapshot and {@code actual}, one line each, all of
   * them; empty if equal.
   */
  public List<String> differencesFrom(TreeSnapshot actual) {
    return differences(actual, Integer.MAX_VALUE);
  }

  /** Fails, listing every difference, unless {@code actual} equals this (expected) snapshot. */
  public void assertSameAs(TreeSnapshot actual, String context) {
    List<String> diffs = differencesFrom(actual);
    if (!diffs.isEmpty()) {
      throw new AssertionError(
          context + ": the tree" + (root == null ? "" : " under " + root) + " differs from the expected state"
              + " (here: expected, there: actual):\n  " + String.join("\n  ", diffs));
    }
  }

  /**
   * Fails, listing every difference, unless the tree under the root this snapshot was taken of
   * now equals it (read with the same options).
   */
  public void assertTreeMatches(String context) throws IOException {
    if (root == null) {
      throw new IllegalStateException("a decoded snapshot has no tree to read");
    }
    assertSameAs(of(root, options), context);
  }

  /**
   * This snapshot on one line, without tabs or newlines: {@code path=fields;path=fields...},
   * the fields of an entry separated by commas (absent ones empty); {@link #decode} reads it
   * back. Paths and link targets must not contain {@code ; = ,} or line breaks. Kept bytes are
   * not encoded.
   */
  public String encode() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<String, Entry> e : entries.entrySet()) {
      if (sb.length() > 0) {
        sb.append(';');
      }
      Entry v = e.getValue();
      sb.append(e.getKey()).append('=').append(v.type.name().charAt(0));
      sb.append(',').append(v.size == -1 ? "" : Long.toString(v.size));
      sb.append(',').append(v.hash == null ? "" : v.hash);
      sb.append(',').append(v.modifiedNanos == -1 ? "" : Long.toString(v.modifiedNanos));
      sb.append(',').append(v.permissions == -1 ? "" : Integer.toOctalString(v.permissions));
      sb.append(',').append(v.owner == null ? "" : v.owner + ":" + v.group);
      sb.append(',').append(v.linkTarget == null ? "" : v.linkTarget);
      sb.append(',').append(v.hardLinkedTo == null ? "" : v.hardLinkedTo);
    }
    return sb.toString();
  }

  /** Reads what {@link #encode()} wrote. */
  public static TreeSnapshot decode(String s) {
    SortedMap<String, Entry> entries = new TreeMap<>();
    for (String item : s.split(";")) {
      int eq = item.indexOf('=');
      String[] f = eq <= 0 ? new String[0] : item.substring(eq + 1).split(",", -1);
      if (f.length != 8 || f[0].length() != 1) {
        throw new IllegalArgumentException("bad snapshot item " + item);
      }
      Type type = null;
      for (Type t : Type.values()) {
        if (t.name().charAt(0) == f[0].charAt(0)) {
          type = t;
        }
      }
      if (type == null) {
        throw new IllegalArgumentException("bad snapshot type in " + item);
      }
      int colon = f[5].indexOf(':');
      entries.put(
          item.substring(0, eq),
          new Entry(
              type,
              f[1].isEmpty() ? -1 : Long.parseLong(f[1]),
              f[2].isEmpty() ? null : f[2],
              f[3].isEmpty() ? -1 : Long.parseLong(f[3]),
              f[4].isEmpty() ? -1 : Integer.parseInt(f[4], 8),
              f[5].isEmpty() ? null : f[5].substring(0, colon),
              f[5].isEmpty() ? null : f[5].substring(colon + 1),
              f[6].isEmpty() ? null : f[6],
              f[7].isEmpty() ? null : f[7],
              null));
    }
    return new TreeSnapshot(entries);
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
