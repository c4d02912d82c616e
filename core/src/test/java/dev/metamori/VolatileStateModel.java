package dev.metamori;

import dev.metamori.testing.Blob;
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
    void apply(VolatileStateRunner r) throws Exception;
  }

  record FileWrite(String file, long offset, int length, long data) implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
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
    public void apply(VolatileStateRunner r) throws IOException {
      byte[] bytes = bytes(length, data);
      Files.write(r.tracked(file), bytes, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      byte[] old = r.files.getOrDefault(file, new byte[0]);
      byte[] now = Arrays.copyOf(old, old.length + length);
      System.arraycopy(bytes, 0, now, old.length, length);
      r.files.put(file, now);
    }
  }

  record FileReplace(String file, int length, long data) implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
      byte[] bytes = bytes(length, data);
      Files.write(r.tracked(file), bytes);
      r.files.put(file, bytes);
    }
  }

  record FileDelete(String file) implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
      Files.deleteIfExists(r.tracked(file));
      r.files.remove(file);
    }
  }

  /** Writes at {@code delta} bytes from the start of page {@code page} (modulo the page count). */
  record RegionPut(String region, int page, int delta, int length, long data, boolean viaBuffer) implements Op {
    public void apply(VolatileStateRunner r) {
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
    public void apply(VolatileStateRunner r) {
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
    public void apply(VolatileStateRunner r) throws IOException {
      if (!r.regions.containsKey("late")) {
        r.openRegion("late", r.base);
      }
    }
  }

  record BlobSet(int length, long data) implements Op {
    public void apply(VolatileStateRunner r) {
      r.blob.bytes = bytes(length, data);
      r.blobModel = r.blob.bytes.clone();
    }
  }

  /** Changes {@code count} bytes in place: one changed chunk each, the rest deduplicated. */
  record BlobTweak(int count, long data) implements Op {
    public void apply(VolatileStateRunner r) {
      r.blob.change(count, data);
      r.blobModel = r.blob.bytes.clone();
    }
  }

  /** Keeps the common prefix, cuts or appends random bytes. */
  record BlobResize(int length, long data) implements Op {
    public void apply(VolatileStateRunner r) {
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
    public void apply(VolatileStateRunner r) {
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
    public void apply(VolatileStateRunner r) throws IOException {
      if (!r.listRegistered) {
        // waits for a commit in flight, so the current epoch is the newest captured one
        r.cp.register("list", r.list);
        r.listRegistered = true;
        r.listEverRegistered = true;
        if (r.base.list() != null) {
          r.listModel = new ArrayList<>(r.base.list());
        }
        r.check("after registering the list");
      }
    }
  }

  record Commit() implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
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
    public void apply(VolatileStateRunner r) throws IOException {
      Snapshot s = r.snapshot();
      r.base = s;
      r.pending.put(r.cp.commitAsync(), s);
    }
  }

  record Join() implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
      r.settlePending();
      r.check("after joining the commits in flight");
    }
  }

  /**
   * Rolls back to the {@code pick}-th epoch (modulo their number) known before the call: older
   * or newer than the current one, on any branch.
   */
  record Rollback(int pick) implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
      List<Long> ids = new ArrayList<>(r.epochs.keySet());
      long target = ids.get(pick % ids.size());
      // commits in flight are left to the rollback, which waits for them
      r.cp.rollback(target);
      r.settlePending();
      r.current = target;
      Snapshot s = r.epochs.get(target);
      r.base = s;
      r.files = new TreeMap<>(s.files());
      for (String name : r.regions.keySet()) {
        byte[] at = s.regions().get(name);
        r.regionBytes.put(name, at == null ? new byte[SIZES.get(name).intValue()] : at.clone());
      }
      if (s.blob() != null) {
        r.blobModel = s.blob().clone();
      }
      if (r.listRegistered && s.list() != null) {
        r.listModel = new ArrayList<>(s.list());
      }
      r.check("after rollback to epoch " + target);
    }
  }

  /**
   * Closes (which waits for a commit in flight) and opens the store in a new checkpointer; asks
   * for the late region and registers the list at once if told to and if the run used them
   * before, else leaves them to a later {@link CreateLateRegion} or {@link RegisterList}. The
   * durability mode changes what is forced, never what comes back.
   */
  record Reopen(boolean askLate, boolean registerList, Durability durability) implements Op {
    public void apply(VolatileStateRunner r) throws IOException {
      r.cp.close();
      r.settlePending();
      r.open(askLate, registerList, durability);
      r.check("after reopening at epoch " + r.current);
    }
  }

  /** The state committed as one epoch. {@code null} regions and objects: not in the store then. */
  record Snapshot(Map<String, byte[]> files, Map<String, byte[]> regions, byte[] blob, List<Long> list) {}


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
    VolatileStateRunner r = new VolatileStateRunner(base);
    int i = 0;
    try {
      r.open(false, false, Durability.PROCESS);
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
}
