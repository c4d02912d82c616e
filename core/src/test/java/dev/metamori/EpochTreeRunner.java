package dev.metamori;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.EpochTreeModel.Committed;
import dev.metamori.EpochTreeModel.Node;
import dev.metamori.EpochTreeModel.Op;
import dev.metamori.EpochTreeModel.Targets;
import dev.metamori.testing.Blob;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The store under test in an {@link EpochTreeProperties} run, and the model's view of it: the
 * tree, region and object as they should be now, and a {@link Committed} state for every epoch
 * the store should list.
 */
final class EpochTreeRunner {
  final Path data;
  final Path store;
  final Targets targets;
  Checkpointer cp;
  MemoryRegion region;
  Blob object;

  /** The tree now: relative path to node, without the root itself. */
  TreeMap<String, Node> files = new TreeMap<>();
  byte[] regionBytes;
  byte[] objectBytes;

  final TreeMap<Long, Committed> epochs = new TreeMap<>();
  long current;
  long maxId;
  /** One line per operation, with what it resolved to: how a failing run is reported. */
  final List<String> log = new ArrayList<>();

  EpochTreeRunner(Path dir, Targets targets) {
    this.data = dir.resolve("data");
    this.store = dir.resolve("store");
    this.targets = targets;
  }

  /** The journaling path of {@code name} under the tracked root. */
  Path path(String name) {
    return cp.fileSystem().getPath(data.resolve(name).toString());
  }

  boolean isDir(String name) {
    Node n = files.get(name);
    return name.isEmpty() || (n != null && n.isDir());
  }

  /** Whether {@code name} is a file, or absent in an existing directory. */
  boolean canHoldFile(String name) {
    Node n = files.get(name);
    return n == null ? isDir(EpochTreeModel.parent(name)) : !n.isDir();
  }

  Collection<String> children(String name) {
    return files.subMap(name + "/", name + "0").keySet(); // '0' follows '/'
  }

  byte[] fileBytes(String name) {
    Node n = files.get(name);
    return n == null ? new byte[0] : n.bytes();
  }

  /** Sets a file's bytes (never changed in place afterwards), keeping its permissions. */
  void putFile(String name, byte[] bytes) {
    Node n = files.get(name);
    files.put(name, new Node(bytes, n == null ? null : n.perms()));
  }

  /** Opens (or reopens) the store, asks for the region and registers the object. */
  void open() throws IOException {
    boolean fresh = !Files.exists(store);
    if (fresh) {
      populate();
    }
    cp = Checkpointer.builder(store).track(data).open();
    region = cp.region(EpochTreeModel.REGION, EpochTreeModel.REGION_SIZE);
    object = new Blob();
    cp.register(EpochTreeModel.OBJECT, object);
    if (fresh) {
      epochs.put(0L, new Committed(-1, new TreeMap<>(files), null, null, TreeSnapshot.exact(data)));
    }
    load(epochs.get(current), new byte[0]);
  }

  /** The tree the store is created on, with old distinct times so that a lost time shows. */
  private void populate() throws IOException {
    Files.createDirectories(data.resolve("d"));
    Files.createDirectory(data.resolve("e"));
    Files.write(data.resolve("a"), EpochTreeModel.bytes(5000, 1));
    Files.write(data.resolve("d/x"), EpochTreeModel.bytes(700, 2));
    String[][] perms = {{"a", "rw-r--r--"}, {"d", "rwxr-x---"}, {"d/x", "rw-------"}, {"e", "rwxr-xr-x"}};
    for (String[] p : perms) {
      Files.setPosixFilePermissions(data.resolve(p[0]), PosixFilePermissions.fromString(p[1]));
      byte[] bytes = Files.isDirectory(data.resolve(p[0])) ? null : Files.readAllBytes(data.resolve(p[0]));
      files.put(p[0], new Node(bytes, p[1]));
    }
    TrackedTreeFixture.stampTimes(data);
  }

  /** The epochs a rollback may pick now, oldest first. */
  List<Long> targets() {
    if (targets == Targets.ANY) {
      return new ArrayList<>(epochs.keySet());
    }
    List<Long> line = new ArrayList<>();
    for (long e = current; e >= 0; e = epochs.get(e).parent()) {
      line.add(0, e);
    }
    return line;
  }

  void committed(long id, TreeSnapshot tree) {
    if (id != maxId + 1) {
      throw new AssertionError("commit returned epoch " + id + ", expected " + (maxId + 1));
    }
    epochs.put(id, new Committed(current, new TreeMap<>(files), regionBytes.clone(), objectBytes.clone(), tree));
    maxId = id;
    current = id;
  }

  /** Adds to the log line of the operation being run. */
  void note(String what) {
    log.set(log.size() - 1, log.get(log.size() - 1) + what);
  }

  void rolledBack(long target) {
    current = target;
    load(epochs.get(target), objectBytes);
  }

  /** Makes {@code c} the model's state; {@code object} is the object's if the store had none then. */
  private void load(Committed c, byte[] object) {
    files = new TreeMap<>(c.files());
    regionBytes = c.regionOrZeros().clone();
    objectBytes = c.object() == null ? object : c.object().clone();
  }

  /**
   * Removes epochs from the model, as {@code prune(RetentionPolicy)} does: each remaining
   * epoch's parent becomes its nearest remaining ancestor ({@code -1} for the oldest).
   */
  void forget(Collection<Long> ids) {
    java.util.Map<Long, Committed> before = new java.util.HashMap<>(epochs);
    epochs.keySet().removeAll(ids);
    for (java.util.Map.Entry<Long, Committed> e : epochs.entrySet()) {
      long p = e.getValue().parent();
      while (p >= 0 && !epochs.containsKey(p)) {
        p = before.get(p).parent();
      }
      Committed c = e.getValue();
      e.setValue(new Committed(p, c.files(), c.region(), c.object(), c.tree()));
    }
  }

  /** Compares the tree with the model (times aside) and returns the tree as read. */
  TreeSnapshot checkFiles(String when) throws IOException {
    TreeSnapshot actual = TreeSnapshot.exact(data);
    List<String> diff = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(files.keySet());
    names.addAll(actual.entries().keySet());
    names.remove(".");
    for (String name : names) {
      Node n = files.get(name);
      TreeSnapshot.Entry e = actual.entries().get(name);
      if (n == null || e == null) {
        diff.add(name + ": expected " + (n == null ? "<absent>" : n) + " but was " + (e == null ? "<absent>" : e));
      } else if (e.type() != (n.isDir() ? TreeSnapshot.Type.DIRECTORY : TreeSnapshot.Type.FILE)
          || (!n.isDir()
              && (e.size() != n.bytes().length || !e.hash().equals(TreeSnapshot.sha256Hex(n.bytes()))))
          || (n.perms() != null
              && !n.perms().equals(PosixFilePermissions.toString(TreeSnapshot.fromBits(e.permissions()))))) {
        diff.add(name + ": expected " + n + " but was " + e);
      }
    }
    if (!diff.isEmpty()) {
      throw new AssertionError(when + ": the tree differs from the model:\n  " + String.join("\n  ", diff));
    }
    return actual;
  }

  /** Compares the whole state and the epoch list with the model's current epoch. */
  void checkRestored(String when) throws IOException {
    List<String> diff = new ArrayList<>();
    diff.addAll(epochs.get(current).tree().differencesFrom(TreeSnapshot.exact(data)));
    byte[] r = new byte[EpochTreeModel.REGION_SIZE];
    region.get(0, r, 0, r.length);
    if (!Arrays.equals(r, regionBytes)) {
      diff.add("region: " + describe(r, regionBytes));
    }
    if (!Arrays.equals(object.bytes, objectBytes)) {
      diff.add("object: " + describe(object.bytes, objectBytes));
    }
    if (cp.currentEpoch() != current) {
      diff.add("currentEpoch() " + cp.currentEpoch() + ", expected " + current);
    }
    diff.addAll(epochDifferences());
    if (!diff.isEmpty()) {
      throw new AssertionError(when + ":\n  " + String.join("\n  ", diff) + "\n  " + whichEpoch(r));
    }
  }

  /** Compares {@code epochs()} (ids and parents) with the model. */
  void checkEpochs(String when) throws IOException {
    List<String> diff = epochDifferences();
    if (!diff.isEmpty()) {
      throw new AssertionError(when + ":\n  " + String.join("\n  ", diff));
    }
  }

  private List<String> epochDifferences() throws IOException {
    List<String> listed = new ArrayList<>();
    for (Epoch e : cp.epochs()) {
      listed.add(e.id() + "<-" + e.parent());
    }
    List<String> expected = new ArrayList<>();
    epochs.forEach((id, c) -> expected.add(id + "<-" + c.parent()));
    return listed.equals(expected)
        ? List.of()
        : List.of("epochs() (id<-parent) " + listed + ", expected " + expected);
  }

  /** Which committed epochs each part of the state matches: tells a wrong or mixed epoch at a glance. */
  private String whichEpoch(byte[] regionNow) throws IOException {
    TreeSnapshot tree = TreeSnapshot.exact(data);
    List<Long> t = new ArrayList<>();
    List<Long> g = new ArrayList<>();
    List<Long> o = new ArrayList<>();
    for (Map.Entry<Long, Committed> e : epochs.entrySet()) {
      Committed c = e.getValue();
      if (c.tree().equals(tree)) {
        t.add(e.getKey());
      }
      if (Arrays.equals(regionNow, c.regionOrZeros())) {
        g.add(e.getKey());
      }
      if (Arrays.equals(object.bytes, c.object())) {
        o.add(e.getKey());
      }
    }
    return "matching epochs: tree " + t + ", region " + g + ", object " + o;
  }

  private static String describe(byte[] actual, byte[] expected) {
    int at = Arrays.mismatch(actual, expected);
    return actual.length + " bytes, expected " + expected.length + "; first difference at " + at;
  }

  /** Runs {@code ops} on a fresh store; returns the failure, or null if the run passed. */
  static AssertionError attempt(List<Op> ops, Targets targets) {
    try {
      run(ops, targets);
      return null;
    } catch (AssertionError e) {
      return e;
    }
  }

  /** Runs {@code ops} on a fresh store, then reopens it; throws if the store and the model ever disagree. */
  static void run(List<Op> ops, Targets targets) {
    Path base;
    try {
      base = Files.createTempDirectory("metamori-tree");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    EpochTreeRunner r = new EpochTreeRunner(base, targets);
    int i = 0;
    try {
      r.open();
      r.checkRestored("after creating the store");
      for (; i < ops.size(); i++) {
        r.log.add("#" + i + " " + ops.get(i));
        ops.get(i).apply(r);
      }
      r.log.add("(end) " + new EpochTreeModel.Reopen());
      new EpochTreeModel.Reopen().apply(r);
    } catch (Exception | AssertionError e) {
      throw new AssertionError(
          "targets " + targets + ": operation " + i + " of " + ops.size() + " ("
              + (i < ops.size() ? ops.get(i) : "final reopen") + ") failed: " + e
              + "\nrun so far:\n  " + String.join("\n  ", r.log),
          e);
    } finally {
      try {
        if (r.cp != null) {
          r.cp.close();
        }
      } catch (IOException | RuntimeException ignored) {
        // reported by the run if it matters
      }
      try {
        MoreFiles.deleteRecursively(base, RecursiveDeleteOption.ALLOW_INSECURE);
      } catch (IOException ignored) {
        // a temporary directory
      }
    }
  }
}
