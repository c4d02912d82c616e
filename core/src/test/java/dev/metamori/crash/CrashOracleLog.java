package dev.metamori.crash;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * The expected tree of every epoch, written by whoever drives the store (the child workload
 * or the test itself) outside the tracked root and the store. One record a line, each ending
 * in a CRC-32 of the rest, each written with one plain append (no force: a killed process
 * leaves its page cache behind). A line cut short by a kill can only be the last one; {@link
 * #read} stops before it and {@link #repair} cuts it off.
 *
 * <pre>
 *   P id snapshot   about to commit; the tree being committed
 *   C id            commit of the pending epoch returned (its parent: the epoch the store was at)
 *   R id            about to roll back to epoch id (any epoch: older, newer, another branch)
 *   A id            the store is now at epoch id (rollback returned, or store opened and checked)
 * </pre>
 *
 * Every committed epoch stays in the store: a rollback moves the store, it removes nothing.
 */
final class CrashOracleLog implements AutoCloseable {
  private final FileChannel channel;

  private CrashOracleLog(FileChannel channel) {
    this.channel = channel;
  }

  static CrashOracleLog append(Path file) throws IOException {
    return new CrashOracleLog(
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
  }

  void pending(long id, CrashTreeSnapshot tree) throws IOException {
    write("P " + id + " " + tree.encode());
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
    byte[] line = (record + " #" + Long.toHexString(crc.getValue()) + "\n").getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.wrap(line);
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** What a log says. */
  static final class State {
    final Map<Long, CrashTreeSnapshot> committed = new HashMap<>();
    /** The parent of every committed epoch (-1 for epoch 0). */
    final Map<Long, Long> parents = new HashMap<>();
    long current = -1;
    /** A commit that started and did not return (or whose return was not recorded). */
    Long pendingId;
    CrashTreeSnapshot pendingTree;
    /** A rollback that started and did not return. */
    Long rollbackTarget;
    /** Where the valid records end. */
    long validEnd;
    int lines;

    CrashTreeSnapshot tree(long id) {
      CrashTreeSnapshot t = committed.get(id);
      if (t == null) {
        throw new AssertionError("the oracle has no tree for epoch " + id);
      }
      return t;
    }

    /** Records that the pending commit landed as epoch {@code id}, a child of the current one. */
    void landed(long id, CrashTreeSnapshot tree) {
      committed.put(id, tree);
      parents.put(id, current);
      current = id;
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
          break; // the last line, torn: a kill cut the write short
        }
        throw new IOException("oracle log " + file + " is damaged at byte " + pos + ": " + line);
      }
      apply(s, line.substring(0, hash));
      s.lines++;
      pos = nl + 1;
    }
    s.validEnd = pos;
    return s;
  }

  private static void apply(State s, String record) {
    char kind = record.charAt(0);
    int sp = record.indexOf(' ', 2);
    long id = Long.parseLong(sp < 0 ? record.substring(2) : record.substring(2, sp));
    switch (kind) {
      case 'P':
        s.pendingId = id;
        s.pendingTree = CrashTreeSnapshot.decode(record.substring(sp + 1));
        s.rollbackTarget = null;
        break;
      case 'C':
        if (s.pendingId == null || s.pendingId != id) {
          throw new IllegalStateException("commit of " + id + " without a pending record");
        }
        s.landed(id, s.pendingTree);
        s.pendingId = null;
        s.pendingTree = null;
        break;
      case 'R':
        s.rollbackTarget = id;
        s.pendingId = null;
        s.pendingTree = null;
        break;
      case 'A':
        s.current = id;
        s.rollbackTarget = null;
        s.pendingId = null;
        s.pendingTree = null;
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
