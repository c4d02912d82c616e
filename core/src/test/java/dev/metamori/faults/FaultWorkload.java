package dev.metamori.faults;

import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A fixed sequence of file operations, commits, rollbacks and a reopen, run through a
 * checkpointer whose store and root are paths of a given file system (the faulty one in
 * tests). It keeps going after a failed file operation, stops after a failed commit, rollback
 * or reopen (the checkpointer stops itself then), and says which committed states the store
 * may legitimately recover to.
 */
final class FaultWorkload {
  /** The state the workload left: what the store must recover to. */
  static final class Outcome {
    /**
     * Every committed epoch, oldest first, with the tree each one holds: a rollback removes
     * none of them.
     */
    final Map<Long, TreeSnapshot> committed = new LinkedHashMap<>();
    /** The parent of every committed epoch (-1 for epoch 0). */
    final Map<Long, Long> parents = new LinkedHashMap<>();
    /** Epochs the store may be at after recovery. */
    final Set<Long> acceptable = new TreeSet<>();
    /** An epoch that may or may not exist (a commit that failed), with its tree and parent. */
    Long maybe;
    TreeSnapshot maybeTree;
    long maybeParent;
    final List<String> failures = new ArrayList<>();
    /** The highest epoch id committed so far (ids are never reused). */
    long maxId;
    Checkpointer open;
    /** Live, while the workload runs: the current epoch and the checkpoint call under way. */
    volatile long current;
    volatile String inside;
    volatile TreeSnapshot committing;
    volatile long rollbackTarget;
    /**
     * Paths (relative to the root) that operations since the last commit or rollback changed,
     * or that a rollback under way may change; below them, and elsewhere, nothing changed.
     */
    final Set<String> touched = new TreeSet<>();

    /** The epochs a restore from {@code from} to {@code to} undoes or redoes, each with its parent. */
    List<Long> path(long from, long to) {
      List<Long> up = new ArrayList<>();
      for (long e = from; e >= 0; e = parents.get(e)) {
        up.add(e);
      }
      List<Long> down = new ArrayList<>();
      for (long e = to; e >= 0 && !up.contains(e); e = parents.get(e)) {
        down.add(e);
      }
      long ancestor = to;
      while (ancestor >= 0 && !up.contains(ancestor)) {
        ancestor = parents.get(ancestor);
      }
      List<Long> way = new ArrayList<>(up.subList(0, up.indexOf(ancestor)));
      way.addAll(down);
      return way;
    }

    /** True if no uncommitted operation changed {@code path} or a directory above it. */
    boolean untouched(String path) {
      for (String t : touched) {
        if (path.equals(t) || path.startsWith(t + "/")) {
          return false;
        }
      }
      return true;
    }
  }

  interface Step {
    void run(Checkpointer cp, FileSystem fs) throws IOException;
  }

  /** A step and the paths (relative to the root) it changes. */
  record Touching(Step step, String... paths) {}

  private final Path realStore;
  private final Path realRoot;
  private final FileSystem base;
  private final Durability durability;
  /** The outcome, updated as the workload runs. */
  final Outcome live = new Outcome();

  /** Which sequence of operations a workload runs. */
  enum Script {
    /**
     * Overwrites, appends, truncations, creates, deletes, renames of files and a directory, an
     * mtime change; commit, commit, rollback to the first, commit, close and reopen, restore
     * across to the second (on the abandoned branch: undo, then redo), commit, and uncommitted
     * work at the end.
     */
    MIXED,
    /**
     * Renames and copies over existing files, symbolic links, a directory removed and moved;
     * three commits, a rollback across two of them and the working epoch, a commit, a restore
     * across to the third (undo the new branch, redo the two), and uncommitted work at the end.
     */
    RENAMES
  }

  private final Script script;

  FaultWorkload(FileSystem base, Path realStore, Path realRoot, Durability durability) {
    this(base, realStore, realRoot, durability, Script.MIXED);
  }

  FaultWorkload(FileSystem base, Path realStore, Path realRoot, Durability durability, Script script) {
    this.script = script;
    this.base = base;
    this.realStore = realStore;
    this.realRoot = realRoot;
    this.durability = durability;
  }

  static void createInitialTree(Path root) throws IOException {
    Files.write(root.resolve("a.txt"), bytes(10_000, 1));
    Files.createDirectories(root.resolve("d"));
    Files.write(root.resolve("d/b.txt"), bytes(5_000, 2));
    Files.write(root.resolve("keep.txt"), bytes(300, 3));
  }

  static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed * 31 + i * 7 + (i >> 8));
    }
    return b;
  }

  Checkpointer open() throws IOException {
    return Checkpointer.builder(base.getPath(realStore.toString()))
        .track(base.getPath(realRoot.toString()))
        .durability(durability)
        .blockSize(1024)
        .open();
  }

  private Path p(FileSystem fs, String name) {
    return fs.getPath(realRoot.resolve(name).toString());
  }

  private static void writeAt(Path file, long position, byte[] data) throws IOException {
    try (FileChannel c = FileChannel.open(file, WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        position += c.write(b, position);
      }
    }
  }

  private static void truncate(Path file, long size) throws IOException {
    try (FileChannel c = FileChannel.open(file, WRITE)) {
      c.truncate(size);
    }
  }

  /** The file operations of each phase, between the checkpoint operations. */
  private List<Touching> phase(int n) {
    if (script == Script.RENAMES) {
      return renamesPhase(n);
    }
    List<Touching> s = new ArrayList<>();
    switch (n) {
      case 0:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "a.txt"), 5_000, bytes(1_500, 4)), "a.txt"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "d/b.txt"), bytes(700, 5), APPEND), "d/b.txt"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "c.txt"), bytes(2_000, 6), CREATE, WRITE), "c.txt"));
        break;
      case 1:
        s.add(new Touching((cp, fs) -> truncate(p(fs, "a.txt"), 3_000), "a.txt"));
        s.add(new Touching((cp, fs) -> Files.createDirectory(p(fs, "e")), "e"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "c.txt"), p(fs, "e/c2.txt")), "c.txt", "e/c2.txt"));
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "d/b.txt")), "d/b.txt"));
        s.add(new Touching((cp, fs) -> Files.setLastModifiedTime(p(fs, "keep.txt"), FileTime.fromMillis(1_000_000)), "keep.txt"));
        break;
      case 2:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "a.txt"), 8_000, bytes(3_000, 7)), "a.txt"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "f.txt"), bytes(100, 8)), "f.txt"));
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "keep.txt")), "keep.txt"));
        break;
      case 3:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "a.txt"), 0, bytes(4_000, 9)), "a.txt"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "d"), p(fs, "d2")), "d", "d2"));
        break;
      case 4:
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "g.txt"), bytes(1_200, 10)), "g.txt"));
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "a.txt"), 2_000, bytes(2_500, 11)), "a.txt"));
        break;
      case 5:
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "a.txt")), "a.txt"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "keep.txt"), bytes(50, 12)), "keep.txt"));
        break;
      default:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "keep.txt"), 10, bytes(20, 13)), "keep.txt"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "h.txt"), bytes(10, 14)), "h.txt"));
        break;
    }
    return s;
  }

  /** The phases of {@link Script#RENAMES}. */
  private List<Touching> renamesPhase(int n) {
    List<Touching> s = new ArrayList<>();
    switch (n) {
      case 0:
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "a.txt"), p(fs, "keep.txt"), REPLACE_EXISTING), "a.txt", "keep.txt"));
        s.add(new Touching((cp, fs) -> Files.copy(p(fs, "d/b.txt"), p(fs, "c.txt")), "c.txt"));
        break;
      case 1:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "c.txt"), 1_000, bytes(2_500, 15)), "c.txt"));
        s.add(new Touching((cp, fs) -> Files.copy(p(fs, "c.txt"), p(fs, "d/b.txt"), REPLACE_EXISTING), "d/b.txt"));
        s.add(new Touching((cp, fs) -> Files.createSymbolicLink(p(fs, "s"), fs.getPath("c.txt")), "s"));
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "keep.txt"), 100, bytes(600, 16)), "keep.txt"));
        break;
      case 2:
        s.add(new Touching((cp, fs) -> Files.createDirectory(p(fs, "x")), "x"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "keep.txt"), p(fs, "x/k.txt")), "keep.txt", "x/k.txt"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "c.txt"), p(fs, "d/b.txt"), REPLACE_EXISTING), "c.txt", "d/b.txt"));
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "s")), "s"));
        break;
      case 3:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "x/k.txt"), 0, bytes(2_000, 17)), "x/k.txt"));
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "d/b.txt")), "d/b.txt"));
        s.add(new Touching((cp, fs) -> Files.delete(p(fs, "d")), "d"));
        break;
      case 4:
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "d"), p(fs, "y")), "d", "y"));
        s.add(new Touching((cp, fs) -> Files.write(p(fs, "new.txt"), bytes(700, 18)), "new.txt"));
        break;
      case 5:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "y/b.txt"), 4_000, bytes(1_500, 19)), "y/b.txt"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "c.txt"), p(fs, "y/b.txt"), REPLACE_EXISTING), "c.txt", "y/b.txt"));
        break;
      default:
        s.add(new Touching((cp, fs) -> writeAt(p(fs, "x/k.txt"), 1_500, bytes(1_000, 20)), "x/k.txt"));
        s.add(new Touching((cp, fs) -> Files.move(p(fs, "d/b.txt"), p(fs, "x/b.txt")), "d/b.txt", "x/b.txt"));
        break;
    }
    return s;
  }

  /**
   * Runs {@link Script#RENAMES} (see there) or: phase 0, commit; 1, commit; 2, rollback to the first commit; 3, commit; 4, close
   * and reopen (recovery undoes 4); 5, restore to the second commit (undoes 5, the third
   * commit, redoes the second); 6, commit; 7 (left uncommitted). Returns with the
   * checkpointer still open (or null if reopening failed); the caller closes it.
   */
  Outcome run() throws IOException {
    Outcome o = live;
    o.committed.put(0L, TreeSnapshot.of(realRoot));
    o.parents.put(0L, -1L);
    long current = 0;
    Checkpointer cp;
    try {
      cp = open();
    } catch (IOException | RuntimeException e) {
      o.failures.add("open: " + e);
      o.acceptable.add(current);
      return o;
    }
    o.open = cp;
    List<Long> ids = new ArrayList<>();
    String[] plan =
        script == Script.RENAMES
            ? new String[] {"commit", "commit", "commit", "rollback", "commit", "restore", "end"}
            : new String[] {"commit", "commit", "rollback", "commit", "reopen", "restore", "commit", "end"};
    for (int phase = 0; phase < plan.length; phase++) {
      for (Touching step : phase(phase)) {
        o.touched.addAll(List.of(step.paths()));
        try {
          step.step().run(cp, cp.fileSystem());
        } catch (IOException | RuntimeException e) {
          o.failures.add("phase " + phase + ": " + e);
        }
      }
      String action = plan[phase];
      if (action.equals("commit")) {
        TreeSnapshot before = TreeSnapshot.of(realRoot);
        try {
          o.committing = before;
          o.inside = "commit";
          long id = cp.commit();
          o.inside = null;
          o.committed.put(id, before);
          o.parents.put(id, current);
          o.touched.clear();
          o.maxId = Math.max(o.maxId, id);
          current = id;
          o.current = id;
          ids.add(id);
        } catch (IOException e) {
          o.failures.add("commit: " + e);
          o.acceptable.add(current);
          o.maybe = o.maxId + 1;
          o.maybeTree = before;
          o.maybeParent = current;
          o.acceptable.add(o.maybe);
          return o;
        }
      } else if (action.equals("rollback") || action.equals("restore")) {
        // rollback: back to the first commit; restore: to the second (MIXED) or third (RENAMES)
        // commit, on the branch the rollback left
        long target = action.equals("rollback") ? ids.get(0) : ids.get(script == Script.RENAMES ? 2 : 1);
        try {
          o.rollbackTarget = target;
          // the restore passes through every epoch it undoes or redoes: what any of them changed
          o.touched.addAll(changedPaths(TreeSnapshot.of(realRoot), o.committed.get(current)));
          for (long e : o.path(current, target)) {
            o.touched.addAll(changedPaths(o.committed.get(o.parents.get(e)), o.committed.get(e)));
          }
          o.inside = "rollback";
          cp.rollback(target);
          o.touched.clear();
          current = target;
          o.current = target;
          o.inside = null;
        } catch (IOException e) {
          o.failures.add(action + ": " + e);
          o.acceptable.add(current);
          o.acceptable.add(target);
          return o;
        }
      } else if (action.equals("reopen")) {
        try {
          cp.close();
        } catch (IOException e) {
          o.failures.add("close: " + e);
        }
        o.open = null;
        try {
          cp = open();
          o.open = cp;
        } catch (IOException | RuntimeException e) {
          o.failures.add("reopen: " + e);
          o.acceptable.add(current);
          return o;
        }
      }
    }
    o.acceptable.add(current);
    return o;
  }

  /** The paths whose entries differ between two trees. */
  static Set<String> changedPaths(TreeSnapshot a, TreeSnapshot b) {
    Set<String> changed = new TreeSet<>(a.entries().keySet());
    changed.addAll(b.entries().keySet());
    changed.removeIf(path -> java.util.Objects.equals(a.get(path), b.get(path)));
    return changed;
  }
}
