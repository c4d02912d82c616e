package dev.metamori.internal.fs;

import dev.metamori.internal.journal.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * What the store last saw of every tracked entry ({@link EntryStat} by real path), at the epoch
 * {@link #tag()}: the witness that outside changes are found against. Kept in memory and in the
 * store file {@code witness}, a log of checksummed batches: a full batch replaces the whole map,
 * a delta batch puts and removes entries. A batch is appended (not forced) before the index
 * commit of the epoch it describes and after each restore; when the log has grown to several
 * times its live size it is rewritten as one full batch (a forced copy and a rename). A torn or
 * damaged tail is dropped: the tag then differs from the current epoch and the trees are
 * witnessed again whole at open.
 */
final class Witness {
  static final String FILE = "witness";
  private static final byte[] MAGIC = "MTMRWIT1".getBytes(StandardCharsets.US_ASCII);
  private static final int HEADER = 16;
  private static final byte FULL = 1;
  private static final byte DELTA = 2;
  private static final byte PUT = 1;
  private static final byte REMOVE = 2;
  private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();
  private static final int SEED = 0x4d544d52;
  private static final System.Logger LOG = System.getLogger("dev.metamori");

  private final Path file;
  private final NavigableMap<String, EntryStat> entries = new TreeMap<>();
  private long tag = -1;
  private long logBytes;
  private long liveBytes;

  private Witness(Path file) {
    this.file = file;
  }

  /** The witness of the store at {@code store}; empty with tag -1 if it has none or it is unreadable. */
  static Witness load(Path store) throws IOException {
    Witness w = new Witness(store.resolve(FILE));
    w.read();
    return w;
  }

  long tag() {
    return tag;
  }

  NavigableMap<String, EntryStat> entries() {
    return entries;
  }

  /** The entries at and under {@code path}. */
  NavigableMap<String, EntryStat> subtree(String path) {
    return entries.subMap(path, true, path + "/\uffff", true);
  }

  private void read() throws IOException {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return;
    }
    if (all.length < HEADER || !java.util.Arrays.equals(java.util.Arrays.copyOf(all, MAGIC.length), MAGIC)) {
      return; // not ours or torn at birth: witnessed again
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    b.position(HEADER);
    long good = HEADER;
    while (b.remaining() >= 8) {
      int length = b.getInt();
      int sum = b.getInt();
      if (length < 0 || length > b.remaining()
          || XXHASH.hash(all, b.position(), length, SEED) != sum) {
        break;
      }
      ByteBuffer batch = b.slice();
      batch.limit(length);
      apply(batch);
      b.position(b.position() + length);
      good = b.position();
    }
    logBytes = good;
  }

  private void apply(ByteBuffer batch) {
    int length = batch.remaining();
    tag = batch.getLong();
    if (batch.get() == FULL) {
      entries.clear();
      liveBytes = HEADER + 8 + length;
    }
    int count = batch.getInt();
    for (int i = 0; i < count; i++) {
      byte op = batch.get();
      byte[] name = new byte[batch.getInt()];
      batch.get(name);
      String path = new String(name, StandardCharsets.UTF_8);
      if (op == REMOVE) {
        subtree(path).clear();
      } else {
        entries.put(
            path,
            new EntryStat(
                batch.get(), batch.getLong(), batch.getLong(), batch.getLong(), batch.getLong(),
                batch.getLong(), batch.getInt(), batch.getInt(), batch.getInt(), batch.getInt(),
                batch.getLong()));
      }
    }
  }

  /** A set of changes to the witness, written as one batch. */
  static final class Delta {
    private final List<String> removed = new ArrayList<>();
    private final Map<String, EntryStat> put = new TreeMap<>();

    /** Forgets {@code path} and everything under it (before the puts). */
    void removeTree(String path) {
      removed.add(path);
      put.keySet().removeIf(p -> p.equals(path) || p.startsWith(path + "/"));
    }

    void put(String path, EntryStat stat) {
      put.put(path, stat);
    }

    boolean isEmpty() {
      return removed.isEmpty() && put.isEmpty();
    }
  }

  /**
   * Applies {@code delta} in memory and appends it to the log, describing epoch {@code epoch}.
   * A failed write (a full disk) is logged, not thrown: the witness in memory stays right, the
   * next write rewrites the log whole, and until then the log's tag is not the current epoch, so
   * an open in between witnesses the trees again.
   */
  synchronized void record(long epoch, Delta delta) {
    for (String r : delta.removed) {
      subtree(r).clear();
    }
    entries.putAll(delta.put);
    tag = epoch;
    try {
      if (liveBytes == 0 || logBytes > 4 * liveBytes + (1 << 20)) {
        rewrite();
        return;
      }
      ByteBuffer batch = encode(epoch, DELTA, delta.removed, delta.put);
      try (FileChannel c = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        if (c.size() != logBytes) {
          c.truncate(logBytes); // a torn tail dropped at load
        }
        writeFully(c, batch, logBytes);
      }
      logBytes += batch.capacity();
    } catch (IOException e) {
      failed(e);
    }
  }

  /** Replaces the witness with {@code all}, describing epoch {@code epoch}. */
  synchronized void replace(long epoch, Map<String, EntryStat> all) {
    entries.clear();
    entries.putAll(all);
    tag = epoch;
    try {
      rewrite();
    } catch (IOException e) {
      failed(e);
    }
  }

  private void failed(IOException e) {
    liveBytes = 0; // rewritten whole next time
    LOG.log(
        System.Logger.Level.WARNING,
        "could not write the witness of outside changes ({0}): {1}; it is rewritten at the next"
            + " commit or restore, and a store opened before that witnesses its trees again",
        file,
        e.toString());
  }

  /** Writes the whole map as one full batch to a new file, forces it and renames it over the log. */
  private void rewrite() throws IOException {
    ByteBuffer batch = encode(tag, FULL, List.of(), entries);
    Path next = file.resolveSibling(FILE + ".new");
    try {
      try (FileChannel c = OwnerOnly.open(next, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
        c.truncate(0);
        ByteBuffer header = ByteBuffer.allocate(HEADER).put(MAGIC);
        header.clear();
        writeFully(c, header, 0);
        writeFully(c, batch, HEADER);
        c.force(true);
      }
      Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      Files.deleteIfExists(next);
      throw e;
    }
    logBytes = HEADER + batch.capacity();
    liveBytes = logBytes;
  }

  private static void writeFully(FileChannel c, ByteBuffer b, long at) throws IOException {
    long pos = at;
    while (b.hasRemaining()) {
      pos += c.write(b, pos);
    }
  }

  private static ByteBuffer encode(long epoch, byte kind, List<String> removed, Map<String, EntryStat> put) {
    List<byte[]> removedNames = new ArrayList<>();
    int size = 8 + 1 + 4;
    for (String r : removed) {
      byte[] n = r.getBytes(StandardCharsets.UTF_8);
      removedNames.add(n);
      size += 1 + 4 + n.length;
    }
    List<byte[]> putNames = new ArrayList<>();
    for (String p : put.keySet()) {
      byte[] n = p.getBytes(StandardCharsets.UTF_8);
      putNames.add(n);
      size += 1 + 4 + n.length + 1 + 6 * 8 + 4 * 4;
    }
    ByteBuffer b = ByteBuffer.allocate(8 + size);
    b.position(8);
    b.putLong(epoch).put(kind).putInt(removed.size() + put.size());
    for (byte[] n : removedNames) {
      b.put(REMOVE).putInt(n.length).put(n);
    }
    int i = 0;
    for (EntryStat s : put.values()) {
      byte[] n = putNames.get(i++);
      b.put(PUT).putInt(n.length).put(n);
      b.put(s.type()).putLong(s.dev()).putLong(s.ino()).putLong(s.size()).putLong(s.mtime())
          .putLong(s.ctime()).putInt(s.mode()).putInt(s.uid()).putInt(s.gid()).putInt(s.nlink())
          .putLong(s.hash());
    }
    b.putInt(0, size).putInt(4, XXHASH.hash(b.array(), 8, size, SEED));
    b.clear();
    return b;
  }
}
