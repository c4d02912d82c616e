package dev.metamori.internal.fs;

import dev.metamori.OutsideChange;
import dev.metamori.internal.journal.OwnerOnly;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Finds changes made to the tracked trees behind the checkpointer's back. The {@link Witness}
 * holds one stat of every tracked entry as the current epoch left it; the entries changed
 * through the checkpointer since ({@link DirtyPaths}, fed by every journal record) are taken as
 * they are. A commit witnesses what its epoch changed before the index commit; a restore what
 * it undid and redid; an open what recovery undid (or, when the witness does not describe the
 * current epoch, the whole trees).
 *
 * <p>Sound up to the timestamps: an entry whose times fall in the clock tick of its stat has its
 * contents hashed (see {@link EntryStat}), so a same-size write later in that tick still shows.
 * A writer that changes an entry while the checkpointer also changes it in the same epoch is
 * not told apart.
 */
final class DriftWatch {
  private final FileSystemProvider provider;
  private final List<Path> roots;
  private final Path clock;
  private final boolean unix;
  private final TreeScan scan;
  private final Path store;
  private Witness witness;
  private DirtyPaths working = new DirtyPaths();

  DriftWatch(FileSystem delegate, List<Path> realRoots, Path realStore) {
    this.provider = delegate.provider();
    this.roots = List.copyOf(realRoots);
    this.store = realStore;
    this.clock = realStore.resolve(Witness.FILE + ".clock");
    this.unix = EntryStat.unixView(provider, realStore);
    this.scan = new TreeScan(provider, unix);
  }

  /**
   * Loads the witness after recovery brought the trees to {@code current}, having undone
   * {@code recovered}. Witnesses the trees whole if it describes another epoch or other roots.
   */
  synchronized void open(long current, DirtyPaths recovered) throws IOException {
    witness = Witness.load(store);
    if (witness.tag() == current && coversRoots()) {
      if (!recovered.isEmpty()) {
        witness.record(current, refresh(recovered));
      }
      return;
    }
    long tick = tick();
    Map<String, EntryStat> all = new TreeMap<>(scan.scan(roots));
    all.replaceAll((p, s) -> hashIfRacy(p, s, tick));
    witness.replace(current, all);
  }

  private boolean coversRoots() {
    int under = 0;
    for (Path r : roots) {
      if (!witness.entries().containsKey(r.toString())) {
        return false;
      }
      under += witness.subtree(r.toString()).size();
    }
    return under == witness.entries().size();
  }

  /** Notes a record appended to the working epoch. */
  void appended(UndoRecord record) {
    DirtyPaths w;
    synchronized (this) {
      w = working;
    }
    w.note(record);
  }

  /** Ends the working epoch's set (at a capture): the returned one goes to {@link #committed}. */
  synchronized DirtyPaths seal() {
    DirtyPaths sealed = working;
    working = new DirtyPaths();
    return sealed;
  }

  /** Witnesses what the sealed epoch {@code epoch} changed; before the index commits it. */
  void committed(long epoch, DirtyPaths sealed) throws IOException {
    Witness.Delta delta = refresh(sealed);
    synchronized (this) {
      witness.record(epoch, delta);
    }
  }

  /** The commit of {@code sealed} failed: its changes belong to the working epoch again. */
  synchronized void unseal(DirtyPaths sealed) {
    working.addAll(sealed);
  }

  /** A restore to {@code epoch} changed {@code restored} and undid the working epoch. */
  synchronized void restored(long epoch, DirtyPaths restored) throws IOException {
    restored.addAll(working);
    working = new DirtyPaths();
    witness.record(epoch, refresh(restored));
  }

  /** Every outside change, in path order; a new or deleted tree is reported at its top only. */
  synchronized List<OutsideChange> changes() throws IOException {
    Map<String, EntryStat> now = scan.scan(roots);
    NavigableMap<String, EntryStat> known = witness.entries();
    // hard links: an inode changed through one name has changed under the others too
    Set<List<Long>> ours = new HashSet<>();
    for (Map.Entry<String, EntryStat> e : now.entrySet()) {
      if (e.getValue().nlink() > 1 && working.contains(e.getKey())) {
        ours.add(List.of(e.getValue().dev(), e.getValue().ino()));
      }
    }
    TreeSet<String> paths = new TreeSet<>(now.keySet());
    paths.addAll(known.keySet());
    List<OutsideChange> changes = new ArrayList<>();
    String reportedTree = null;
    for (String p : paths) {
      if (reportedTree != null && p.startsWith(reportedTree + "/")) {
        continue;
      }
      EntryStat was = known.get(p);
      EntryStat is = now.get(p);
      if (working.contains(p) || (is != null && ours.contains(List.of(is.dev(), is.ino())))) {
        continue;
      }
      OutsideChange.Kind kind;
      if (was == null) {
        kind = OutsideChange.Kind.CREATED;
      } else if (is == null) {
        kind = OutsideChange.Kind.DELETED;
      } else {
        kind = was.compare(is);
        if (kind == null && was.hash() != EntryStat.NO_HASH
            && EntryStat.contentHash(provider, path(p)) != was.hash()) {
          kind = OutsideChange.Kind.MODIFIED;
        }
      }
      if (kind == null) {
        continue;
      }
      if (kind != OutsideChange.Kind.MODIFIED && kind != OutsideChange.Kind.ATTRIBUTES) {
        reportedTree = p;
      }
      changes.add(new OutsideChange(path(p), kind));
    }
    return changes;
  }

  private Path path(String p) {
    return store.getFileSystem().getPath(p);
  }

  /** A delta that witnesses {@code dirty} as the trees are now. */
  private Witness.Delta refresh(DirtyPaths dirty) throws IOException {
    long tick = tick();
    Witness.Delta delta = new Witness.Delta();
    Set<String> trees = dirty.trees();
    List<Path> tops = new ArrayList<>();
    for (String t : trees) {
      if (!coveredByOther(t, trees) && tracked(t)) {
        delta.removeTree(t);
        tops.add(path(t));
      }
    }
    Map<String, EntryStat> seen = new TreeMap<>(scan.scan(tops));
    for (String e : dirty.entries()) {
      if (!seen.containsKey(e) && tracked(e) && !underTree(e, trees)) {
        EntryStat s = EntryStat.read(provider, path(e), unix);
        if (s == null) {
          delta.removeTree(e);
        } else {
          seen.put(e, s);
        }
      }
    }
    boolean links = false;
    for (Map.Entry<String, EntryStat> e : seen.entrySet()) {
      delta.put(e.getKey(), hashIfRacy(e.getKey(), e.getValue(), tick));
      links |= e.getValue().nlink() > 1;
    }
    if (links) {
      // other names of a changed inode changed with it
      synchronized (this) {
        for (Map.Entry<String, EntryStat> k : witness.entries().entrySet()) {
          EntryStat w = k.getValue();
          if (w.nlink() > 1 && !seen.containsKey(k.getKey()) && sameInode(w, seen)) {
            EntryStat s = EntryStat.read(provider, path(k.getKey()), unix);
            if (s != null) {
              delta.put(k.getKey(), hashIfRacy(k.getKey(), s, tick));
            }
          }
        }
      }
    }
    return delta;
  }

  private static boolean underTree(String e, Set<String> trees) {
    for (String p = e; p != null; p = parent(p)) {
      if (trees.contains(p)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameInode(EntryStat w, Map<String, EntryStat> seen) {
    for (EntryStat s : seen.values()) {
      if (s.ino() == w.ino() && s.dev() == w.dev()) {
        return true;
      }
    }
    return false;
  }

  private static boolean coveredByOther(String t, Set<String> trees) {
    for (String p = parent(t); p != null; p = parent(p)) {
      if (trees.contains(p)) {
        return true;
      }
    }
    return false;
  }

  private boolean tracked(String p) {
    for (Path r : roots) {
      String root = r.toString();
      if (p.equals(root) || p.startsWith(root + "/")) {
        return true;
      }
    }
    return false;
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  private EntryStat hashIfRacy(String p, EntryStat s, long tick) {
    if (!s.racy(tick)) {
      return s;
    }
    try {
      return s.withHash(EntryStat.contentHash(provider, path(p)));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /**
   * The file system's clock now, as a file time: a byte written to the store's clock file.
   * An entry whose times are not earlier than this may still change within their tick unseen.
   */
  private long tick() throws IOException {
    try (FileChannel c = OwnerOnly.open(clock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1}), 0);
    }
    EntryStat s = EntryStat.read(provider, clock, unix);
    return Math.max(s.mtime(), s.ctime());
  }
}
