package dev.metamori;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The operations of {@link VolatileStateProperties} and the model they are checked against:
 * the live files, region bytes and object states as they should be now, and a snapshot of all
 * three for every valid epoch.
 *
 * <p>What the model encodes of the contract: a rollback or reopening brings back the files of
 * the target epoch; every region created so far with its bytes at that epoch, or zeros if the
 * store did not have it then; every registered object with its state at that epoch, or, if
 * the store did not have it then, unchanged by a rollback and as newly constructed after a
 * reopening. A region or object the store holds but this process has not asked for (yet) is
 * carried unchanged into every new epoch, and comes back as of the current epoch when asked.
 */
final class VolatileStateModel {
  static final List<String> FILES = List.of("f0", "f1", "f2", "f3");
  static final List<String> REGIONS = List.of("small", "big", "late");
  /** A few pages, the last one partial; many pages; and one created during the run. */
  static final Map<String, Long> SIZES = Map.of("small", 3 * 4096L + 100, "big", 64 * 4096L + 777, "late", 5 * 4096L + 3);

  private VolatileStateModel() {}

  /** One step of a run; {@code toString} is how a failing run is reported. */
  interface Op {
    void apply(Runner r) throws Exception;
  }

  record FileWrite(String file, long offset, int length, long data) implements Op {
    public void apply(Runner r) throws IOException {
      byte[] bytes = bytes(length, data);
      try (FileChannel ch = FileChannel.open(r.tracked(file), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes), offset);
      }
      byte[] old = r.files.getOrDefault(file, new byte[0]);
      byte[] now = Arrays.copyOf(old, (int) Math.max(old.length, offset + length));
      System.arraycopy(bytes, 0, now, (int) offset, length);
      r.files.put(file, now);
    }
  }

  record FileAppend(String file, int length, long data) implements Op {
    public void apply(Runner r) throws IOException {
      byte[] bytes = bytes(length, data);
      Files.write(r.tracked(file), bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      byte[] old = r.files.getOrDefault(file, new byte[0]);
      byte[] now = Arrays.copyOf(old, old.length + length);
      System.arraycopy(bytes, 0, now, old.length, length);
      r.files.put(file, now);
    }
  }

  record FileReplace(String file, int length, long data) implements Op {
    public void apply(Runner r) throws IOException {
      byte[] bytes = bytes(length, data);
      Files.write(r.tracked(file), bytes);
      r.files.put(file, bytes);
    }
  }

  record FileDelete(String file) implements Op {
    public void apply(Runner r) throws IOException {
      Files.deleteIfExists(r.tracked(file));
      r.files.remove(file);
    }
  }

  /** Writes at {@code delta} bytes from the start of page {@code page} (modulo the page count). */
  record RegionPut(String region, int page, int delta, int length, long data, boolean viaBuffer) implements Op {
    public void apply(Runner r) {
      MemoryRegion m = r.regions.get(region);
      if (m == null) {
        return;
      }
      byte[] model = r.regionBytes.get(region);
      int offset = Math.max(0, Math.min(model.length - 1, (page % pages(model.length)) * 4096 + delta));
      byte[] bytes = bytes(Math.min(length, model.length - offset), data);
      if (viaBuffer) {
        m.buffer().position(offset).put(bytes);
      } else {
        m.put(offset, bytes, 0, bytes.length);
      }
      System.arraycopy(bytes, 0, model, offset, bytes.length);
    }
  }

  /** A long starting {@code -before} bytes before page {@code page}: across a page boundary. */
  record RegionPutLong(String region, int page, int before, long value) implements Op {
    public void apply(Runner r) {
      MemoryRegion m = r.regions.get(region);
      if (m == null) {
        return;
      }
      byte[] model = r.regionBytes.get(region);
      int offset = Math.max(0, Math.min(model.length - 8, (page % pages(model.length)) * 4096 + before));
      m.putLong(offset, value);
      ByteBuffer.wrap(model).putLong(offset, value);
    }
  }

  record CreateLateRegion() implements Op {
    public void apply(Runner r) throws IOException {
      if (!r.regions.containsKey("late")) {
        r.openRegion("late", r.base);
      }
    }
  }

  record BlobSet(int length, long data) implements Op {
    public void apply(Runner r) {
      r.blob.bytes = bytes(length, data);
      r.blobModel = r.blob.bytes.clone();
    }
  }

  /** Changes {@code count} bytes in place: one changed chunk each, the rest deduplicated. */
  record BlobTweak(int count, long data) implements Op {
    public void apply(Runner r) {
      if (r.blob.bytes.length == 0) {
        return;
      }
      Random random = new Random(data);
      for (int i = 0; i < count; i++) {
        r.blob.bytes[random.nextInt(r.blob.bytes.length)] ^= (byte) (1 + random.nextInt(255));
      }
      r.blobModel = r.blob.bytes.clone();
    }
  }

  /** Keeps the common prefix, cuts or appends random bytes. */
  record BlobResize(int length, long data) implements Op {
    public void apply(Runner r) {
      byte[] old = r.blob.bytes;
      byte[] now = Arrays.copyOf(old, length);
      if (length > old.length) {
        byte[] tail = bytes(length - old.length, data);
        System.arraycopy(tail, 0, now, old.length, tail.length);
      }
      r.blob.bytes = now;
      r.blobModel = now.clone();
    }
  }

  /** 0: append {@code n}; 1: remove up to {@code n} from the end; 2: clear; 3: set one. */
  record ListChange(int kind, int n, long data) implements Op {
    public void apply(Runner r) {
      List<Long> v = r.list.values;
      Random random = new Random(data);
      switch (kind) {
        case 0:
          for (int i = 0; i < n; i++) {
            v.add(random.nextLong());
          }
          break;
        case 1:
          v.subList(Math.max(0, v.size() - n), v.size()).clear();
          break;
        case 2:
          v.clear();
          break;
        default:
          if (!v.isEmpty()) {
            v.set(random.nextInt(v.size()), random.nextLong());
          }
      }
      r.listModel = new ArrayList<>(v);
    }
  }

  record RegisterList() implements Op {
    public void apply(Runner r) throws IOException {
      if (!r.listRegistered) {
        // waits for a commit in flight, so the current epoch is the newest captured one
        r.cp.register("list", r.list);
        r.listRegistered = true;
        r.listEverRegistered = true;
        if (r.base.list != null) {
          r.listModel = new ArrayList<>(r.base.list);
        }
        r.check("after registering the list");
      }
    }
  }

  record Commit() implements Op {
    public void apply(Runner r) throws IOException {
      Snapshot s = r.snapshot();
      r.base = s;
      long id = r.cp.commit();
      r.settlePending();
      r.committed(id, s);
      r.check("after commit of epoch " + id);
    }
  }

  /** Starts a commit; later operations run while it completes, {@link Join} waits for it. */
  record CommitAsync() implements Op {
    public void apply(Runner r) throws IOException {
      Snapshot s = r.snapshot();
      r.base = s;
      r.pending.put(r.cp.commitAsync(), s);
    }
  }

  record Join() implements Op {
    public void apply(Runner r) throws IOException {
      r.settlePending();
      r.check("after joining the commits in flight");
    }
  }

  /** Rolls back to the {@code pick}-th valid epoch (modulo their number) known before the call. */
  record Rollback(int pick) implements Op {
    public void apply(Runner r) throws IOException {
      List<Long> ids = new ArrayList<>(r.epochs.keySet());
      long target = ids.get(pick % ids.size());
      // commits in flight are left to the rollback, which waits for them
      r.cp.rollback(target);
      r.settlePending();
      r.epochs.tailMap(target, false).clear();
      r.current = target;
      Snapshot s = r.epochs.get(target);
      r.base = s;
      r.files = new TreeMap<>(s.files);
      for (String name : r.regions.keySet()) {
        byte[] at = s.regions.get(name);
        r.regionBytes.put(name, at == null ? new byte[SIZES.get(name).intValue()] : at.clone());
      }
      if (s.blob != null) {
        r.blobModel = s.blob.clone();
      }
      if (r.listRegistered && s.list != null) {
        r.listModel = new ArrayList<>(s.list);
      }
      r.check("after rollback to epoch " + target);
    }
  }

  /**
   * Closes (which waits for a commit in flight) and opens the store in a new checkpointer; asks
   * for the late region and registers the list at once if told to and if the run used them
   * before, else leaves them to a later {@link CreateLateRegion} or {@link RegisterList}.
   */
  record Reopen(boolean askLate, boolean registerList) implements Op {
    public void apply(Runner r) throws IOException {
      r.cp.close();
      r.settlePending();
      r.open(askLate, registerList);
      r.check("after reopening at epoch " + r.current);
    }
  }

  /** The state committed as one epoch. {@code null} regions and objects: not in the store then. */
  record Snapshot(Map<String, byte[]> files, Map<String, byte[]> regions, byte[] blob, List<Long> list) {}

  /** Holds whatever bytes it is given. */
  static final class Blob implements Checkpointable {
    byte[] bytes = new byte[0];

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      bytes = in.readAllBytes();
    }
  }

  /** A list of longs saved as its size and elements. */
  static final class Numbers implements Checkpointable {
    final List<Long> values = new ArrayList<>();

    @Override
    public void save(OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      d.writeInt(values.size());
      for (long v : values) {
        d.writeLong(v);
      }
      d.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      int n = d.readInt();
      values.clear();
      for (int i = 0; i < n; i++) {
        values.add(d.readLong());
      }
      if (in.read() != -1) {
        throw new IOException("restore was given more bytes than save wrote");
      }
    }
  }

  static byte[] bytes(int length, long seed) {
    byte[] b = new byte[length];
    Random random = new Random(seed);
    if (random.nextInt(4) == 0) {
      Arrays.fill(b, (byte) random.nextInt()); // runs of one byte: chunk boundaries are scarce there
    } else {
      random.nextBytes(b);
    }
    return b;
  }

  static int pages(int size) {
    return (size + 4095) / 4096;
  }

  /** Runs {@code ops} on a fresh store; returns the failure, or null if the run passed. */
  static AssertionError attempt(List<Op> ops) {
    try {
      run(ops);
      return null;
    } catch (AssertionError e) {
      return e;
    }
  }

  /** Runs {@code ops} on a fresh store and throws if the store and the model ever disagree. */
  static void run(List<Op> ops) {
    Path base;
    try {
      base = Files.createTempDirectory("metamori-volatile");
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    Runner r = new Runner(base);
    int i = 0;
    try {
      r.open(false, false);
      for (; i < ops.size(); i++) {
        ops.get(i).apply(r);
      }
      r.cp.close();
      r.settlePending();
    } catch (Exception | AssertionError e) {
      throw new AssertionError(
          "operation " + i + " of " + ops.size() + " (" + (i < ops.size() ? ops.get(i) : "final close") + ") failed: "
              + e + "\nrun: " + ops.subList(0, Math.min(ops.size(), i + 1)),
          e);
    } finally {
      try {
        r.cp.close();
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

  /** The store under test and the model's view of it. */
  static final class Runner {
    final Path data;
    final Path store;
    Checkpointer cp;

    Map<String, byte[]> files = new TreeMap<>();
    final Map<String, MemoryRegion> regions = new LinkedHashMap<>();
    final Map<String, byte[]> regionBytes = new LinkedHashMap<>();
    Blob blob = new Blob();
    byte[] blobModel = new byte[0];
    Numbers list = new Numbers();
    List<Long> listModel = new ArrayList<>();
    boolean listRegistered;
    boolean listEverRegistered;
    boolean lateEverAsked;
    /**
     * The newest state captured (committed or in flight), or the one rolled back or reopened
     * to: what the store holds for the regions and objects this process has not asked for.
     */
    Snapshot base;

    final TreeMap<Long, Snapshot> epochs = new TreeMap<>();
    long current;
    /** Commits started and not joined yet, in order, with what they captured. */
    final Map<CompletableFuture<Long>, Snapshot> pending = new LinkedHashMap<>();

    Runner(Path base) {
      this.data = base.resolve("data");
      this.store = base.resolve("store");
    }

    Path tracked(String name) {
      return cp.fileSystem().getPath(data.resolve(name).toString());
    }

    /** Opens (or reopens) the store, asks for the regions and registers the objects. */
    void open(boolean askLate, boolean registerList) throws IOException {
      boolean fresh = !Files.exists(store);
      if (fresh) {
        Files.createDirectories(data);
      }
      cp = Checkpointer.builder(store).track(data).open();
      if (fresh) {
        epochs.put(0L, new Snapshot(Map.of(), Map.of(), null, null));
      }
      current = epochs.lastKey();
      if (cp.currentEpoch() != current) {
        throw new AssertionError("opened at epoch " + cp.currentEpoch() + ", expected " + current);
      }
      Snapshot s = epochs.get(current);
      base = s;
      files = new TreeMap<>(s.files);
      regions.clear();
      regionBytes.clear();
      openRegion("small", s);
      openRegion("big", s);
      if (askLate && lateEverAsked) {
        openRegion("late", s);
      }
      blob = new Blob();
      cp.register("blob", blob);
      blobModel = s.blob == null ? new byte[0] : s.blob.clone();
      list = new Numbers();
      listModel = new ArrayList<>();
      listRegistered = registerList && listEverRegistered;
      if (listRegistered) {
        cp.register("list", list);
        if (s.list != null) {
          listModel = new ArrayList<>(s.list);
        }
      }
    }

    /** Asks for a region; {@code at} is the epoch it should come back at (null: a new one). */
    void openRegion(String name, Snapshot at) throws IOException {
      regions.put(name, cp.region(name, SIZES.get(name)));
      lateEverAsked |= name.equals("late");
      byte[] bytes = at == null ? null : at.regions.get(name);
      regionBytes.put(name, bytes == null ? new byte[SIZES.get(name).intValue()] : bytes.clone());
    }

    Snapshot snapshot() {
      Map<String, byte[]> f = new TreeMap<>();
      files.forEach((k, v) -> f.put(k, v.clone()));
      // what this process has not asked for stays as the store holds it (snapshots are never mutated)
      Map<String, byte[]> g = new LinkedHashMap<>(base.regions);
      regionBytes.forEach((k, v) -> g.put(k, v.clone()));
      return new Snapshot(f, g, blobModel.clone(), listRegistered ? new ArrayList<>(listModel) : base.list);
    }

    void committed(long id, Snapshot s) {
      if (id <= current || (!epochs.isEmpty() && id <= epochs.lastKey())) {
        throw new AssertionError("commit returned epoch " + id + " after epoch " + epochs.lastKey());
      }
      epochs.put(id, s);
      current = id;
    }

    /** Joins the commits in flight (they must all succeed) and records their epochs. */
    void settlePending() {
      for (Map.Entry<CompletableFuture<Long>, Snapshot> e : pending.entrySet()) {
        committed(e.getKey().join(), e.getValue());
      }
      pending.clear();
    }

    /** Compares files, regions, objects and epochs with the model. */
    void check(String when) throws IOException {
      List<String> diff = new ArrayList<>();
      Map<String, byte[]> actual = new TreeMap<>();
      try (Stream<Path> s = Files.list(data)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          actual.put(p.getFileName().toString(), Files.readAllBytes(p));
        }
      }
      if (!actual.keySet().equals(files.keySet())) {
        diff.add("files " + actual.keySet() + ", expected " + files.keySet());
      }
      for (String name : files.keySet()) {
        byte[] a = actual.get(name);
        if (a != null && !Arrays.equals(a, files.get(name))) {
          diff.add("file " + name + ": " + describe(a, files.get(name)));
        }
      }
      for (Map.Entry<String, MemoryRegion> e : regions.entrySet()) {
        byte[] a = new byte[(int) e.getValue().size()];
        e.getValue().get(0, a, 0, a.length);
        if (!Arrays.equals(a, regionBytes.get(e.getKey()))) {
          diff.add("region " + e.getKey() + ": " + describe(a, regionBytes.get(e.getKey())));
        }
      }
      if (!Arrays.equals(blob.bytes, blobModel)) {
        diff.add("object blob: " + describe(blob.bytes, blobModel));
      }
      if (!list.values.equals(listModel)) {
        diff.add("object list: " + list.values.size() + " elements, expected " + listModel.size());
      }
      if (pending.isEmpty()) {
        if (cp.currentEpoch() != current) {
          diff.add("current epoch " + cp.currentEpoch() + ", expected " + current);
        }
        List<Long> ids = new ArrayList<>();
        for (Epoch e : cp.epochs()) {
          ids.add(e.id());
        }
        if (!ids.equals(new ArrayList<>(epochs.keySet()))) {
          diff.add("epochs " + ids + ", expected " + epochs.keySet());
        }
      }
      if (!diff.isEmpty()) {
        throw new AssertionError(when + ":\n  " + String.join("\n  ", diff) + "\n  " + whichEpoch(actual));
      }
    }

    /** Which committed epochs each part of the state matches: tells a mixed epoch at a glance. */
    private String whichEpoch(Map<String, byte[]> actual) {
      StringBuilder b = new StringBuilder("matching epochs:");
      List<Long> f = new ArrayList<>();
      Map<String, List<Long>> g = new LinkedHashMap<>();
      List<Long> o = new ArrayList<>();
      for (Map.Entry<Long, Snapshot> e : epochs.entrySet()) {
        Snapshot s = e.getValue();
        if (s.files.keySet().equals(actual.keySet())
            && s.files.keySet().stream().allMatch(k -> Arrays.equals(s.files.get(k), actual.get(k)))) {
          f.add(e.getKey());
        }
        for (Map.Entry<String, MemoryRegion> r : regions.entrySet()) {
          byte[] a = new byte[(int) r.getValue().size()];
          r.getValue().get(0, a, 0, a.length);
          byte[] at = s.regions.get(r.getKey());
          if (Arrays.equals(a, at == null ? new byte[a.length] : at)) {
            g.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(e.getKey());
          }
        }
        if (Arrays.equals(blob.bytes, s.blob)) {
          o.add(e.getKey());
        }
      }
      return b.append(" files ").append(f).append(", regions ").append(g).append(", blob ").append(o).toString();
    }

    private static String describe(byte[] actual, byte[] expected) {
      int at = Arrays.mismatch(actual, expected);
      return actual.length + " bytes, expected " + expected.length + "; first difference at " + at
          + " (page " + at / 4096 + ")";
    }
  }
}
