package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.function.Function;
import java.util.zip.CRC32;

/**
 * The oracle of every crash test: what each committed epoch must bring back (a tree, or a
 * fingerprint of files, regions and an object), written by whoever drives the store (a child
 * workload or the test itself) outside the tracked root and the store. One record a line, each
 * ending in a CRC-32 of the rest, each written with one plain append (no force: a killed
 * process leaves its page cache behind). A line cut short by a kill can only be the last one;
 * {@link #read} stops before it and {@link #repair} cuts it off.
 *
 * <pre>
 *   P id payload   about to commit (or commitAsync) what the payload describes
 *   C id           the commit of the pending epoch returned, or is durable (its parent: the
 *                  epoch the store was at)
 *   R id           about to roll back to epoch id (any epoch: older, newer, another branch)
 *   A id           the store is now at epoch id (rollback returned, or store opened and checked)
 *   X id,id,...    about to prune, removing exactly these epochs (none: "X -")
 *   Y id,id,...    these epochs are gone (the prune returned, or a reopened store no longer
 *                  lists them); "Y -" after a kill that left the prune without effect
 * </pre>
 *
 * Every committed epoch stays in the store until a prune removes it: a rollback moves the
 * store, it removes nothing.
 * What a payload is, and whether the log starts with epoch 0 or after it, is the log's {@link
 * Format}.
 *
 * @param <T> what the log records of an epoch
 */
final class OracleLog<T> implements AutoCloseable {

  /**
   * What the payload of a log is, how it is written on one line (no newline; spaces are fine),
   * and where the log starts.
   *
   * @param epochZeroBeforeLog the store's epoch 0 was created before the log starts and has no
   *     payload (the log then starts at epoch 0 instead of recording it)
   */
  record Format<T>(Function<T, String> encode, Function<String, T> decode, boolean epochZeroBeforeLog) {}

  /** What a kill interrupted, as the log tells it. */
  enum InFlight {
    NOTHING,
    COMMIT,
    ROLLBACK,
    PRUNE
  }

  /** How a store reopened after a kill, against the log. */
  record Outcome(InFlight inFlight, long before, long after) {
    /** The call in flight took effect (the commit landed, or the rollback was finished). */
    boolean tookEffect() {
      return inFlight != InFlight.NOTHING && after != before;
    }
  }

  private final FileChannel channel;
  private final Format<T> format;

  private OracleLog(FileChannel channel, Format<T> format) {
    this.channel = channel;
    this.format = format;
  }

  static <T> OracleLog<T> append(Path file, Format<T> format) throws IOException {
    return new OracleLog<>(
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
        format);
  }

  void pending(long id, T payload) throws IOException {
    write("P " + id + " " + format.encode().apply(payload));
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

  void pruning(Set<Long> removed) throws IOException {
    write("X " + ids(removed));
  }

  void pruned(Set<Long> removed) throws IOException {
    write("Y " + ids(removed));
  }

  private static String ids(Set<Long> ids) {
    return ids.isEmpty() ? "-" : ids.stream().sorted().map(String::valueOf).collect(Collectors.joining(","));
  }

  private static Set<Long> ids(String text) {
    Set<Long> ids = new TreeSet<>();
    if (!text.equals("-")) {
      for (String id : text.split(",")) {
        ids.add(Long.parseLong(id));
      }
    }
    return ids;
  }

  private void write(String record) throws IOException {
    CRC32 crc = new CRC32();
    crc.update(record.getBytes(StandardCharsets.UTF_8));
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
  static final class State<T> {
    /** The payload of every committed epoch (not epoch 0 when it came before the log). */
    final Map<Long, T> committed = new LinkedHashMap<>();
    /** The parent of every committed epoch (-1 for epoch 0), epoch 0 too. */
    final Map<Long, Long> parents = new HashMap<>();
    long current = -1;
    /** The largest id ever committed: the store numbers the next epoch after it. */
    long maxCommitted = -1;
    /** A commit that started and did not return (or whose return was not recorded). */
    Long pendingId;
    T pending;
    /** A rollback that started and did not return. */
    Long rollbackTarget;
    /** The epochs a prune that started and did not return removes. */
    Set<Long> pruning;
    /** The epochs prunes removed: no longer listed, never a target. */
    final Set<Long> pruned = new TreeSet<>();
    /** Where the valid records end. */
    long validEnd;

    State(Format<T> format) {
      if (format.epochZeroBeforeLog()) {
        parents.put(0L, -1L);
        current = 0;
        maxCommitted = 0;
      }
    }

    /** What epoch {@code id} must bring back. */
    T payload(long id) {
      T t = committed.get(id);
      if (t == null) {
        throw new AssertionError("the oracle has nothing for epoch " + id);
      }
      return t;
    }

    /** The id the store gives its next commit. */
    long nextId() {
      return maxCommitted + 1;
    }

    /** Records that the pending commit landed as epoch {@code id}, a child of the current one. */
    void landed(long id, T payload) {
      committed.put(id, payload);
      parents.put(id, current);
      current = id;
      maxCommitted = Math.max(maxCommitted, id);
    }

    /** The call a kill interrupted, if any. */
    InFlight inFlight() {
      return pendingId != null
          ? InFlight.COMMIT
          : rollbackTarget != null ? InFlight.ROLLBACK : pruning != null ? InFlight.PRUNE : InFlight.NOTHING;
    }

    /**
     * The parent every epoch that was not pruned must be listed with: its nearest ancestor that
     * was not pruned, -1 if none (as {@link dev.metamori.Epoch#parent()} says).
     */
    Map<Long, Long> listedParents() {
      Map<Long, Long> listed = new HashMap<>();
      parents.forEach(
          (id, parent) -> {
            if (!pruned.contains(id)) {
              long p = parent;
              while (p >= 0 && pruned.contains(p)) {
                p = parents.get(p);
              }
              listed.put(id, p);
            }
          });
      return listed;
    }

    /**
     * Settles a prune a kill interrupted, from the epochs the reopened store lists: either
     * every epoch it was removing is gone, or none is. Records the outcome in {@code log} and
     * returns whether the prune took effect.
     */
    boolean settlePrune(Set<Long> listed, OracleLog<T> log, String context) throws IOException {
      Set<Long> gone = new TreeSet<>(pruning);
      gone.removeAll(listed);
      if (!gone.isEmpty() && !gone.equals(pruning)) {
        throw new AssertionError(
            context + ": killed while pruning " + pruning + ", the store reopened without " + gone
                + " alone: a prune takes effect whole or not at all");
      }
      Set<Long> removed = gone.isEmpty() ? Set.of() : pruning;
      log.pruned(removed);
      pruned.addAll(removed);
      pruning = null;
      return !removed.isEmpty();
    }

    /** Fails unless the log ends with a settled record: nothing in flight, no torn line. */
    void requireSettled(Path file) throws IOException {
      if (pendingId != null || rollbackTarget != null || pruning != null || validEnd != Files.size(file)) {
        throw new IllegalStateException("the oracle log was not settled before this run");
      }
    }

    /**
     * Checks that a store killed with this log behind it reopened at epoch {@code now}, an
     * epoch the log allows: the current one, or with a commit or a rollback in flight the one
     * it was heading to. Records a commit that landed (in {@code log} and here), and returns
     * what the store must now hold.
     */
    T reopenedAt(long now, OracleLog<T> log, String context) throws IOException {
      switch (inFlight()) {
        case COMMIT:
          assertTrue(
              now == current || now == pendingId,
              context + ": killed while committing epoch " + pendingId + " on top of " + current
                  + ", the store reopened at epoch " + now);
          if (now == pendingId) {
            T expected = pending;
            log.committed(now);
            landed(now, expected);
            return expected;
          }
          return payload(now);
        case PRUNE:
          assertEquals(current, now, context + ": killed while pruning at epoch " + current + ", reopened at");
          return payload(now);
        case ROLLBACK:
          assertTrue(
              now == current || now == rollbackTarget,
              context + ": killed while rolling back from " + current + " to " + rollbackTarget
                  + ", the store reopened at epoch " + now);
          return payload(now);
        default:
          assertEquals(current, now, context + ": killed at epoch " + current + ", reopened at");
          return payload(now);
      }
    }
  }

  static <T> State<T> read(Path file, Format<T> format) throws IOException {
    State<T> s = new State<>(format);
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
      apply(s, format, line.substring(0, hash));
      pos = nl + 1;
    }
    s.validEnd = pos;
    return s;
  }

  private static <T> void apply(State<T> s, Format<T> format, String record) {
    char kind = record.charAt(0);
    if (kind == 'X') {
      s.pruning = ids(record.substring(2));
      return;
    }
    if (kind == 'Y') {
      s.pruned.addAll(ids(record.substring(2)));
      s.pruning = null;
      return;
    }
    int sp = record.indexOf(' ', 2);
    long id = Long.parseLong(sp < 0 ? record.substring(2) : record.substring(2, sp));
    switch (kind) {
      case 'P':
        s.pendingId = id;
        s.pending = format.decode().apply(record.substring(sp + 1));
        s.rollbackTarget = null;
        break;
      case 'C':
        if (s.pendingId == null || s.pendingId != id) {
          throw new IllegalStateException("commit of " + id + " without a pending record");
        }
        s.landed(id, s.pending);
        s.pendingId = null;
        s.pending = null;
        break;
      case 'R':
        s.rollbackTarget = id;
        s.pendingId = null;
        s.pending = null;
        break;
      case 'A':
        s.current = id;
        s.rollbackTarget = null;
        s.pendingId = null;
        s.pending = null;
        break;
      default:
        throw new IllegalStateException("unknown oracle record " + record);
    }
  }

  /** Cuts off a torn last line so that later appends start on a line of their own. */
  static void repair(Path file, State<?> s) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
      if (c.size() > s.validEnd) {
        c.truncate(s.validEnd);
      }
    }
  }
}
