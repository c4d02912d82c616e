package dev.metamori;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The operations of {@link EpochTreeProperties} and the model they are checked against: a small
 * tracked tree (path to file bytes or directory, with permissions), one region and one
 * registered object as they should be now, and the same for every epoch of the store, each
 * with its parent.
 *
 * <p>What the model encodes of the contract: a rollback to any listed epoch, on any branch,
 * and a reopening bring back exactly the tree committed as that epoch (modification times and
 * permissions included), the region's bytes at that epoch (zeros where the store did not have
 * the region) and the object's state at that epoch (left as it is by a rollback, and as newly
 * constructed after a reopening, where the store did not have it). Every commit gets the
 * largest id ever used plus one and the current epoch as its parent; no rollback or reopening
 * removes an epoch.
 */
final class EpochTreeModel {
  /** Names an operation may use: few, so that collisions, replacements and moves are common. */
  static final List<String> NAMES = List.of("a", "b", "d", "d/x", "d/y", "e", "e/x", "e/x/z");
  static final String REGION = "grid";
  /** A few pages, the last one partial. */
  static final int REGION_SIZE = 5 * 4096 + 100;
  static final String OBJECT = "blob";
  /** Permissions for files; directories get the same with the owner's execute bit. */
  static final List<String> PERMISSIONS = List.of("rw-------", "rw-r--r--", "rw-r-----", "rwxrwxr-x");

  private EpochTreeModel() {}

  /** Which epochs a rollback may pick. */
  enum Targets {
    /** Any listed epoch, on any branch, older or newer than the current one. */
    ANY,
    /**
     * The current epoch and its ancestors only: undo only, so that a failure there is told
     * apart from one of redo.
     */
    ANCESTORS
  }

  /** A file ({@code bytes}) or a directory ({@code bytes == null}); {@code perms} null: as created. */
  record Node(byte[] bytes, String perms) {
    boolean isDir() {
      return bytes == null;
    }

    @Override
    public String toString() {
      return (isDir() ? "dir" : "file size=" + bytes.length) + (perms == null ? "" : " perms=" + perms);
    }
  }

  /**
   * One committed epoch: its parent, the model's tree, region and object, and the tree as it was
   * read at commit (what a restore must bring back, times included). {@code region} and {@code
   * object} are null where the store did not have them.
   */
  record Committed(long parent, Map<String, Node> files, byte[] region, byte[] object, TreeSnapshot tree) {
    /** The region's bytes at this epoch: zeros where the store did not have it. */
    byte[] regionOrZeros() {
      return region == null ? new byte[REGION_SIZE] : region;
    }
  }

  /** One step of a run; {@code toString} is how a failing run is reported. */
  interface Op {
    void apply(EpochTreeRunner r) throws Exception;
  }

  /**
   * A change of the tree, skipped where it makes no sense in the model's current tree (so any
   * sub-sequence of a run is a valid run); the tree is compared with the model after it.
   */
  interface FileOp extends Op {
    boolean applicable(EpochTreeRunner r);

    void perform(EpochTreeRunner r) throws IOException;

    @Override
    default void apply(EpochTreeRunner r) throws IOException {
      if (applicable(r)) {
        perform(r);
        r.checkFiles("after " + this);
      } else {
        r.note(" (skipped)");
      }
    }
  }

  /** Writes at an offset through a channel, creating the file if missing. */
  record Write(String name, int offset, int length, long data) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.canHoldFile(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      byte[] b = bytes(length, data);
      try (FileChannel ch = FileChannel.open(r.path(name), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(b);
        for (long at = offset; buf.hasRemaining(); ) {
          at += ch.write(buf, at);
        }
      }
      byte[] old = r.fileBytes(name);
      byte[] now = Arrays.copyOf(old, Math.max(old.length, offset + length));
      System.arraycopy(b, 0, now, offset, length);
      r.putFile(name, now);
    }
  }

  record Append(String name, int length, long data) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.canHoldFile(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      byte[] b = bytes(length, data);
      Files.write(r.path(name), b, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      byte[] old = r.fileBytes(name);
      byte[] now = Arrays.copyOf(old, old.length + length);
      System.arraycopy(b, 0, now, old.length, length);
      r.putFile(name, now);
    }
  }

  /** Truncates an existing file through a channel (a no-op if it is not longer). */
  record Truncate(String name, int size) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      Node n = r.files.get(name);
      return n != null && !n.isDir();
    }

    public void perform(EpochTreeRunner r) throws IOException {
      try (FileChannel ch = FileChannel.open(r.path(name), StandardOpenOption.WRITE)) {
        ch.truncate(size);
      }
      byte[] old = r.fileBytes(name);
      r.putFile(name, Arrays.copyOf(old, Math.min(old.length, size)));
    }
  }

  /** Creates the file or replaces its contents ({@code Files.write}). */
  record Create(String name, int length, long data) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.canHoldFile(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      byte[] b = bytes(length, data);
      Files.write(r.path(name), b);
      r.putFile(name, b);
    }
  }

  /** Deletes a file or an empty directory. */
  record Delete(String name) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(name) && r.children(name).isEmpty();
    }

    public void perform(EpochTreeRunner r) throws IOException {
      Files.delete(r.path(name));
      r.files.remove(name);
    }
  }

  /**
   * Renames a file or a whole directory to the {@code pick}-th name (modulo their number) it
   * can go to: an absent name in an existing directory outside itself, or, for a file, another
   * file, which it replaces; with or without {@code ATOMIC_MOVE}.
   */
  record Rename(String from, int pick, boolean atomic) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(from) && !destinations(r).isEmpty();
    }

    public void perform(EpochTreeRunner r) throws IOException {
      List<String> destinations = destinations(r);
      String to = destinations.get(pick % destinations.size());
      r.note(" -> " + to);
      if (atomic) {
        Files.move(r.path(from), r.path(to), StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.move(r.path(from), r.path(to), StandardCopyOption.REPLACE_EXISTING);
      }
      moved(r, from, to);
    }

    /** Renames {@code from} (and all under it) to {@code to} in the model. */
    static void moved(EpochTreeRunner r, String from, String to) {
      TreeMap<String, Node> moved = new TreeMap<>();
      for (String k : new ArrayList<>(r.files.keySet())) {
        if (k.equals(from) || k.startsWith(from + "/")) {
          moved.put(to + k.substring(from.length()), r.files.remove(k));
        }
      }
      r.files.putAll(moved);
    }

    List<String> destinations(EpochTreeRunner r) {
      boolean file = !r.isDir(from);
      List<String> d = new ArrayList<>();
      for (String to : NAMES) {
        Node target = r.files.get(to);
        if (!to.equals(from)
            && !to.startsWith(from + "/")
            && r.isDir(parent(to))
            && (target == null || (file && !target.isDir()))) {
          d.add(to);
        }
      }
      return d;
    }
  }

  record Mkdir(String name) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return !r.files.containsKey(name) && r.isDir(parent(name));
    }

    public void perform(EpochTreeRunner r) throws IOException {
      Files.createDirectory(r.path(name));
      r.files.put(name, new Node(null, null));
    }
  }

  /** Sets POSIX permissions; a directory always keeps its owner's execute bit. */
  record Chmod(String name, int pick) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      String perms = perms(r);
      Files.setPosixFilePermissions(r.path(name), PosixFilePermissions.fromString(perms));
      r.files.put(name, new Node(r.files.get(name).bytes(), perms));
    }

    String perms(EpochTreeRunner r) {
      String perms = PERMISSIONS.get(pick % PERMISSIONS.size());
      return r.files.get(name).isDir() ? "rwx" + perms.substring(3) : perms;
    }
  }

  /** Sets the last-modified time; the model leaves times to the snapshots taken at commit. */
  record SetTime(String name, long seconds) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      Files.setLastModifiedTime(r.path(name), FileTime.from(Instant.ofEpochSecond(seconds, seconds % 1000)));
    }
  }

  /** Writes at {@code delta} bytes from the start of page {@code page} (modulo the page count). */
  record RegionPut(int page, int delta, int length, long data) implements Op {
    public void apply(EpochTreeRunner r) {
      int pages = (REGION_SIZE + 4095) / 4096;
      int offset = Math.max(0, Math.min(REGION_SIZE - 1, (page % pages) * 4096 + delta));
      byte[] b = bytes(Math.min(length, REGION_SIZE - offset), data);
      r.region.put(offset, b, 0, b.length);
      System.arraycopy(b, 0, r.regionBytes, offset, b.length);
    }
  }

  record ObjectSet(int length, long data) implements Op {
    public void apply(EpochTreeRunner r) {
      r.object.bytes = bytes(length, data);
      r.objectBytes = r.object.bytes.clone();
    }
  }

  /** Changes {@code count} bytes of the object's state in place. */
  record ObjectTweak(int count, long data) implements Op {
    public void apply(EpochTreeRunner r) {
      r.object.change(count, data);
      r.objectBytes = r.object.bytes.clone();
    }
  }

  /** {@code commit()}, or {@code commitAsync().join()}. */
  record Commit(boolean async) implements Op {
    public void apply(EpochTreeRunner r) throws IOException {
      TreeSnapshot tree = r.checkFiles("before commit");
      long id = async ? r.cp.commitAsync().join() : r.cp.commit();
      r.note(" -> epoch " + id + " on " + r.current);
      r.committed(id, tree);
      r.checkRestored("after commit of epoch " + id);
    }
  }

  /** Rolls back to the {@code pick}-th allowed target (modulo their number), oldest first. */
  record Rollback(int pick) implements Op {
    public void apply(EpochTreeRunner r) throws IOException {
      List<Long> targets = r.targets();
      long target = targets.get(pick % targets.size());
      r.note(" -> rollback(" + target + ") from epoch " + r.current);
      r.cp.rollback(target);
      r.rolledBack(target);
      r.checkRestored("after rollback to epoch " + target);
    }
  }

  /**
   * Prunes: keeps the {@code n} newest epochs, or drops the branch of a picked epoch that is
   * not on the current epoch's line; afterwards every remaining epoch must restore exactly
   * (checked as rollbacks go on), and a pruned one must be refused.
   */
  record Prune(int n, int pick, boolean drop) implements Op {
    public void apply(EpochTreeRunner r) throws IOException {
      java.util.Set<Long> line = new java.util.HashSet<>();
      for (long e = r.current; e >= 0; e = r.epochs.get(e).parent()) {
        line.add(e);
      }
      List<Long> off = new java.util.ArrayList<>(r.epochs.keySet());
      off.removeAll(line);
      dev.metamori.RetentionPolicy policy =
          drop && !off.isEmpty()
              ? dev.metamori.RetentionPolicy.keepAll().dropBranch(off.get(pick % off.size()))
              : dev.metamori.RetentionPolicy.keepLast(n);
      java.util.Set<Long> keep = new java.util.HashSet<>(policy.kept(r.cp.epochs()));
      keep.add(r.current);
      List<Long> gone = new java.util.ArrayList<>(r.epochs.keySet());
      gone.removeAll(keep);
      r.note(" -> prune(" + policy + ") from epoch " + r.current + " removes " + gone);
      dev.metamori.PruneResult result = r.cp.prune(policy);
      if (!result.removedEpochs().equals(gone)) {
        throw new AssertionError("prune removed " + result.removedEpochs() + ", expected " + gone);
      }
      r.forget(gone);
      for (long g : gone) {
        try {
          r.cp.rollback(g);
          throw new AssertionError("rollback(" + g + ") to a pruned epoch did not throw");
        } catch (dev.metamori.NoSuchEpochException expected) {
          // as documented; nothing changed
        }
      }
      r.checkFiles("after the prune");
      r.checkEpochs("after the prune");
    }
  }

  /** Closes the store and opens it in a new checkpointer. */
  record Reopen() implements Op {
    public void apply(EpochTreeRunner r) throws IOException {
      r.cp.close();
      r.open();
      r.checkRestored("after reopening at epoch " + r.current);
    }
  }

  static String parent(String name) {
    int slash = name.lastIndexOf('/');
    return slash < 0 ? "" : name.substring(0, slash);
  }

  static byte[] bytes(int length, long seed) {
    return VolatileStateModel.bytes(length, seed);
  }
}
