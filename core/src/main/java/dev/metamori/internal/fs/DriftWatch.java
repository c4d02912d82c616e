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
  /**
   * Hashes every witnessed file, not only those in the clock tick of their stat: for the fault
   * injection tests, which need the same I/O calls on every run.
   */
  private static final String HASH_ALL = "metamori.witness.hashAll";
  /** Files up to this size are hashed when their times cannot witness them; larger ones wait for the clock. */
  private static final long HASH_LIMIT = 1 << 20;

  private final FileSystemProvider provider;
  private final List<Path> roots;
  private final Path clock;
  private boolean unix;
  private TreeScan scan;
  private final Path store;
  private final Path trash;
  /** The tag of a witness that describes no epoch (a restore or recovery was under way). */
  static final long UNKNOWN = -1;

  private Witness witness;
  private long loadedTag;
  private DirtyPaths working = new DirtyPaths();

  private final Exclusions exclusions;

  DriftWatch(FileSystem delegate, List<Path> realRoots, Path realStore, Path trash, Exclusions exclusions) {
    this.exclusions = exclusions;
    this.trash = trash;
    this.provider = delegate.provider();
    this.roots = List.copyOf(realRoots);
    this.store = realStore;
    this.clock = realStore.resolve(Witness.FILE + ".clock");
  }

  /**
   * Loads the witness, before recovery, and marks it on disk as describing no epoch until
   * {@link #open} has witnessed what recovery changed: if that fails, the next open witnesses
   * the trees whole.
   */
  synchronized void load() throws IOException {
    unix = EntryStat.unixView(provider, store);
    scan = new TreeScan(provider, unix, exclusions::excludes);
    witness = Witness.load(store);
    loadedTag = witness.tag();
    witness.record(UNKNOWN, new Witness.Delta());
  }

  /**
   * Before a restore to {@code target} changes the trees. A restore that dies part way is
   * finished by the next open, which witnesses the trees whole when the witness describes
   * another epoch than the target; a restore to the epoch the witness describes (discarding the
   * working epoch) first marks it as describing none. (Written only then: the restore's own
   * durable record of its target comes after.)
   */
  synchronized void restoring(long target) throws IOException {
    if (target == witness.tag()) {
      witness.record(UNKNOWN, new Witness.Delta());
    }
  }

  /**
   * Completes the witness after recovery brought the trees to {@code current}, having undone
   * {@code recovered}. Witnesses the trees whole if it describes another epoch or other roots.
   */
  synchronized void open(long current, DirtyPaths recovered) throws IOException {
    if (loadedTag == current && coversRoots()) {
      witness.record(current, refresh(recovered));
      Map<String, EntryStat> rootStats = new TreeMap<>();
      for (Path r : roots) {
        EntryStat st = EntryStat.read(provider, r, unix);
        if (st != null) {
          rootStats.put(r.toString(), st);
        }
      }
      if (!movedRoots(rootStats).isEmpty() && changes().isEmpty()) {
        // the trees were copied or moved whole (a backup put back): the same entries, new inodes
        replaceWithScan(current);
      }
      return;
    }
    replaceWithScan(current);
  }

  private void replaceWithScan(long current) throws IOException {
    long tick = tick();
    Map<String, EntryStat> all = new TreeMap<>(scan.scan(roots));
    for (Map.Entry<String, EntryStat> e : all.entrySet()) {
      e.setValue(hashIfRacy(e.getKey(), e.getValue(), tick));
    }
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
    if (record instanceof UndoRecord.Trashed t) {
      // other links to what went to the trash changed with it (its link count)
      w.addTree(trash.resolve(t.trashName()).toString());
    }
  }

  /** Notes an entry adopted into the working epoch: witnessed as it is at the commit. */
  synchronized void adopted(String path) {
    working.addTree(path);
  }

  /**
   * Notes in {@code into} the inode at {@code path} if it has other links: a change about to
   * remove this name changes the inode under its other names too.
   */
  void linkedInode(String path, DirtyPaths into) throws IOException {
    EntryStat s = EntryStat.read(provider, path(path), unix);
    if (s != null && hardLinked(s)) {
      into.addInode(s.dev(), s.ino());
    }
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

  /** A restore stopped part way after changing {@code restored}: taken as the working epoch's. */
  synchronized void unfinished(DirtyPaths restored) {
    working.addAll(restored);
  }

  /** A restore to {@code epoch} changed {@code restored} and undid the working epoch. */
  synchronized void restored(long epoch, DirtyPaths restored) throws IOException {
    restored.addAll(working);
    working = new DirtyPaths();
    witness.record(epoch, refresh(restored));
  }

  /**
   * The roots that are not the directories the witness saw (other inodes): a tree copied or
   * moved whole, whose entries can be compared only by what a copy keeps (see {@link
   * EntryStat#compareCopied}).
   */
  private List<String> movedRoots(Map<String, EntryStat> now) {
    List<String> moved = new ArrayList<>();
    for (Path r : roots) {
      EntryStat was = witness.entries().get(r.toString());
      EntryStat is = now.get(r.toString());
      if (was != null && is != null && (was.ino() != is.ino() || was.dev() != is.dev())) {
        moved.add(r.toString());
      }
    }
    return moved;
  }

  /** Every outside change, in path order; a new or deleted tree is reported at its top only. */
  synchronized List<OutsideChange> changes() throws IOException {
    Map<String, EntryStat> now = scan.scan(roots);
    NavigableMap<String, EntryStat> known = witness.entries();
    // hard links: an inode changed through one name has changed under the others too
    Set<List<Long>> ours = untrackedInodes(working);
    ours.addAll(working.inodes());
    for (Map<String, EntryStat> m : List.of(now, known)) {
      for (Map.Entry<String, EntryStat> e : m.entrySet()) {
        if (hardLinked(e.getValue()) && working.contains(e.getKey())) {
          ours.add(inode(e.getValue()));
        }
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
      if (working.contains(p) || (is != null && ours.contains(inode(is)))) {
        continue;
      }
      OutsideChange.Kind kind;
      if (was == null) {
        kind = OutsideChange.Kind.CREATED;
      } else if (is == null) {
        kind = OutsideChange.Kind.DELETED;
      } else {
        kind = was.compare(is);
        boolean sameTimes = is.size() == was.size() && is.mtime() == was.mtime();
        if (was.type() == EntryStat.FILE && was.hash() != EntryStat.NO_HASH
            && (kind == null || (kind == OutsideChange.Kind.MODIFIED && sameTimes))) {
          // the contents decide: a write in the tick of the stat, or a new change time alone
          kind = EntryStat.contentHash(provider, path(p)) != was.hash() ? OutsideChange.Kind.MODIFIED : null;
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
    // hard links: an inode changed or renamed through one name has a new change time under the
    // others too (its old names' inodes are in the witness)
    Set<List<Long>> inodes = new HashSet<>();
    for (Map.Entry<String, EntryStat> e : seen.entrySet()) {
      delta.put(e.getKey(), hashIfRacy(e.getKey(), e.getValue(), tick));
      if (hardLinked(e.getValue())) {
        inodes.add(inode(e.getValue()));
      }
    }
    inodes.addAll(untrackedInodes(dirty));
    inodes.addAll(dirty.inodes());
    synchronized (this) {
      // the old names' inodes: looked up by what changed, not by a pass over the witness
      for (String e : dirty.entries()) {
        EntryStat w = witness.entries().get(e);
        if (w != null && hardLinked(w)) {
          inodes.add(inode(w));
        }
      }
      for (String t : dirty.trees()) {
        for (EntryStat w : witness.subtree(t).values()) {
          if (hardLinked(w)) {
            inodes.add(inode(w));
          }
        }
      }
      if (!inodes.isEmpty()) {
        for (Map.Entry<String, EntryStat> k : witness.entries().entrySet()) {
          if (!seen.containsKey(k.getKey()) && !dirty.contains(k.getKey()) && inodes.contains(inode(k.getValue()))) {
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

  /**
   * The inodes of the changed entries outside the trees: a file changed through its name in the
   * trash (it was deleted while open, or through another link) is changed under its tracked
   * names too.
   */
  private Set<List<Long>> untrackedInodes(DirtyPaths dirty) throws IOException {
    Set<List<Long>> inodes = new HashSet<>();
    for (String e : dirty.entries()) {
      if (!tracked(e)) {
        EntryStat s = EntryStat.read(provider, path(e), unix);
        if (s != null) {
          inodes.add(inode(s));
        }
      }
    }
    List<Path> trees = new ArrayList<>();
    for (String t : dirty.trees()) {
      if (!tracked(t)) {
        trees.add(path(t));
      }
    }
    if (!trees.isEmpty()) {
      for (EntryStat s : scan.scan(trees).values()) {
        if (hardLinked(s)) {
          inodes.add(inode(s));
        }
      }
    }
    return inodes;
  }

  /** Whether another name may reach the inode of {@code s} (a directory's links are its children's). */
  private static boolean hardLinked(EntryStat s) {
    return s.type() != EntryStat.DIRECTORY && s.nlink() > 1;
  }

  private static List<Long> inode(EntryStat s) {
    return List.of(s.dev(), s.ino());
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
        return exclusions.globs().isEmpty() || !exclusions.excludes(path(p));
      }
    }
    return false;
  }

  private static String parent(String path) {
    int slash = path.lastIndexOf('/');
    return slash <= 0 ? null : path.substring(0, slash);
  }

  /**
   * {@code s}, stat of {@code p} taken after {@code tick}, made a sound witness: where its times
   * fall in that clock tick, a later write in the tick would leave them unchanged, so a small
   * file's contents are hashed, and a larger file is stat'ed again once the clock has moved on.
   */
  private EntryStat hashIfRacy(String p, EntryStat s, long tick) throws IOException {
    boolean hashAll = s.type() == EntryStat.FILE && Boolean.getBoolean(HASH_ALL);
    if (!s.racy(tick) && !hashAll) {
      return s;
    }
    if (s.size() <= HASH_LIMIT) {
      return s.withHash(EntryStat.contentHash(provider, path(p)));
    }
    waitPast(Math.max(s.mtime(), s.ctime()));
    EntryStat again = EntryStat.read(provider, path(p), unix);
    return again == null ? s : again;
  }

  /** Waits until the file system's clock is past {@code time} (at most one clock tick). */
  private void waitPast(long time) throws IOException {
    while (tick() <= time) {
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while witnessing the tracked trees");
      }
    }
  }

  /**
   * The file system's clock now, as a file time: a byte written to the store's clock file.
   * An entry whose times are not earlier than this may still change within their tick unseen.
   */
  private long tick() throws IOException {
    try {
      try (FileChannel c = OwnerOnly.open(clock, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {1}), 0);
      }
      EntryStat s = EntryStat.read(provider, clock, unix);
      if (s != null) {
        return Math.max(s.mtime(), s.ctime());
      }
    } catch (java.nio.file.FileSystemException e) {
      // a full disk: the system clock, less a margin for the file system's coarser one
    }
    return (System.currentTimeMillis() - 50) * 1_000_000L;
  }

}
