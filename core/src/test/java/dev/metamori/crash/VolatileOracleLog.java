package dev.metamori.crash;

import dev.metamori.testing.Blob;
import dev.metamori.MemoryRegion;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/**
 * The oracle of {@link SigkillVolatileStateTest}: the fingerprint of the files, both regions
 * and the object of every committed epoch, written by whoever drives the store. Same line
 * format and kill tolerance as {@link CrashOracleLog} (one plain append per record, a CRC-32
 * at the end of each line, a torn last line ignored and cut off by {@link #repair}):
 *
 * <pre>
 *   P id fingerprint   about to commit (or commitAsync) what has this fingerprint
 *   C id               the commit of the pending epoch is durable
 *   R id               about to roll back to epoch id
 *   A id               the store is now at epoch id
 * </pre>
 *
 * Every committed epoch stays in the store: a rollback (to any epoch, older, newer or on
 * another branch) removes nothing.
 *
 * <p>A fingerprint is {@code files=h,small=h,grid=h,object=h}: one hash per part, so that a store
 * whose parts come from different epochs is reported part by part.
 */
final class VolatileOracleLog implements AutoCloseable {
  /** A few pages, the last one partial. */
  static final long SMALL_SIZE = 2 * 4096 + 10;
  /** Many pages. */
  static final long GRID_SIZE = 48 * 4096 + 100;
  static final List<String> PARTS = List.of("files", "small", "grid", "object");

  private final FileChannel channel;

  private VolatileOracleLog(FileChannel channel) {
    this.channel = channel;
  }

  static VolatileOracleLog append(Path file) throws IOException {
    return new VolatileOracleLog(
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
  }

  void pending(long id, String fingerprint) throws IOException {
    write("P " + id + " " + fingerprint);
  }

  void committed(long id) throws IOException {
    write("C " + id);
  }

  void rollingBack(long target) throws IOException {
    write("R " + target);
  }

  void at(long id) throws IOException {
    write("A " + id);
  }

  private void write(String record) throws IOException {
    CRC32 crc = new CRC32();
    byte[] body = record.getBytes(StandardCharsets.UTF_8);
    crc.update(body);
    ByteBuffer b =
        ByteBuffer.wrap((record + " #" + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8));
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }


  /** The fingerprint of the files directly in {@code root}, both regions and the object. */
  static String fingerprint(Path root, MemoryRegion small, MemoryRegion grid, Blob object) throws IOException {
    MessageDigest files = sha256();
    List<Path> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.sorted().forEach(names::add);
    }
    for (Path p : names) {
      byte[] content = Files.readAllBytes(p);
      files.update((p.getFileName() + "/" + content.length + "/").getBytes(StandardCharsets.UTF_8));
      files.update(content);
    }
    return "files=" + hex(files.digest()) + ",small=" + hash(small) + ",grid=" + hash(grid)
        + ",object=" + object.bytes.length + ":" + hex(sha256().digest(object.bytes));
  }

  private static String hash(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return hex(sha256().digest(all));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest, 0, 8);
  }

  /** A fingerprint's parts by name. */
  static Map<String, String> parts(String fingerprint) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : fingerprint.split(",")) {
      int eq = part.indexOf('=');
      m.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return m;
  }

  /** What a log says. */
  static final class State {
    final Map<Long, String> committed = new LinkedHashMap<>();
    /** The parent of every committed epoch, epoch 0 (committed before the log starts) too. */
    final Map<Long, Long> parents = new HashMap<>(Map.of(0L, -1L));
    /** Epoch 0, the store's creation, is not in the log: the log starts there. */
    long current = 0;
    /** The largest id ever committed: the store numbers the next epoch after it. */
    long maxCommitted = -1;
    /** A commit that started and was not recorded as durable. */
    Long pendingId;
    String pendingFingerprint;
    /** A rollback that started and did not return. */
    Long rollbackTarget;
    /** Where the valid records end. */
    long validEnd;

    String fingerprint(long id) {
      String f = committed.get(id);
      if (f == null) {
        throw new AssertionError("the oracle has no fingerprint for epoch " + id);
      }
      return f;
    }

    /** Records that the pending commit landed as epoch {@code id}, a child of the current one. */
    void landed(long id, String fingerprint) {
      committed.put(id, fingerprint);
      parents.put(id, current);
      current = id;
      maxCommitted = Math.max(maxCommitted, id);
    }

    /**
     * For each part of {@code fingerprint}, the epochs (committed or pending) whose part is the
     * same: where a mixed state's parts come from.
     */
    String whereFrom(String fingerprint) {
      Map<String, String> actual = parts(fingerprint);
      Map<Long, String> all = new LinkedHashMap<>(committed);
      if (pendingId != null) {
        all.put(pendingId, pendingFingerprint);
      }
      StringBuilder b = new StringBuilder();
      for (String part : PARTS) {
        List<Long> epochs = new ArrayList<>();
        all.forEach(
            (id, f) -> {
              if (parts(f).get(part).equals(actual.get(part))) {
                epochs.add(id);
              }
            });
        b.append(part).append(" as at epochs ").append(epochs).append("; ");
      }
      return b.toString();
    }
  }

  static State read(Path file) throws IOException {
    State s = new State();
    if (!Files.exists(file)) {
      return s;
    }
    byte[] all = Files.readAllBytes(file);
    int pos = 0;
    while (pos < all.length) {
      int nl = pos;
      while (nl < all.length && all[nl] != '\n') {
        nl++;
      }
      if (nl == all.length) {
        break; // cut short by a kill: no newline yet
      }
      String line = new String(all, pos, nl - pos, StandardCharsets.UTF_8);
      int hash = line.lastIndexOf(" #");
      boolean ok = false;
      if (hash > 0) {
        CRC32 crc = new CRC32();
        crc.update(line.substring(0, hash).getBytes(StandardCharsets.UTF_8));
        ok = Long.toHexString(crc.getValue()).equals(line.substring(hash + 2));
      }
      if (!ok) {
        if (nl + 1 == all.length) {
          break; // the last line, torn by a kill
        }
        throw new IOException("oracle log " + file + " is damaged at byte " + pos + ": " + line);
      }
      apply(s, line.substring(0, hash));
      pos = nl + 1;
    }
    s.validEnd = pos;
    return s;
  }

  private static void apply(State s, String record) {
    String[] w = record.split(" ");
    long id = Long.parseLong(w[1]);
    switch (w[0]) {
      case "P":
        s.pendingId = id;
        s.pendingFingerprint = w[2];
        s.rollbackTarget = null;
        break;
      case "C":
        if (s.pendingId == null || s.pendingId != id) {
          throw new IllegalStateException("commit of " + id + " without a pending record");
        }
        s.landed(id, s.pendingFingerprint);
        s.pendingId = null;
        s.pendingFingerprint = null;
        break;
      case "R":
        s.rollbackTarget = id;
        s.pendingId = null;
        s.pendingFingerprint = null;
        break;
      case "A":
        s.current = id;
        s.rollbackTarget = null;
        s.pendingId = null;
        s.pendingFingerprint = null;
        break;
      default:
        throw new IllegalStateException("unknown oracle record " + record);
    }
  }

  /** Cuts off a torn last line so that later appends start on a line of their own. */
  static void repair(Path file, State s) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (c.size() > s.validEnd) {
        c.truncate(s.validEnd);
      }
    }
  }
}
