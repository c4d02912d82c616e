package dev.metamori.internal;

import dev.metamori.Output;
import dev.metamori.OutputHandler;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Outputs held back until their epoch is committed (output commit). The working epoch's outputs
 * are kept in memory; at its capture they are sealed with it, and its commit appends them to
 * the store file {@value #LOG_FILE} (forced with the epoch's records, before its commit record, so a
 * committed epoch always has its outputs). Once the epoch is committed they go to the handler,
 * one at a time, on a thread of their own; after each one the store file {@value #ACK} notes how
 * far delivery got (epoch and count, checksummed, not forced: a lost note means a redelivery,
 * which at-least-once allows).
 *
 * <p>Epoch ids only grow, so at open every output of an epoch at or above the working epoch is
 * of a commit that never reached its commit record: it is dropped (and cut from the log), and
 * the rest after the acknowledged position is delivered again. A restore drops the working
 * epoch's outputs with its changes. When everything in the log is delivered the log is emptied.
 *
 * <p>Log record: {@code int length, int xxHash32(body), body = long epoch, int keyLength, key
 * (UTF-8), int payloadLength, payload}. A damaged or torn record ends the log.
 */
final class Outputs {
  static final String LOG_FILE = "outputs";
  static final String ACK = "outputs.delivered";
  private static final int SEED = 0x4f555450;
  private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();
  private static final System.Logger LOG = System.getLogger("dev.metamori");
  /** The largest payload one output may carry. */
  static final int MAX_PAYLOAD = 64 << 20;

  /** An output of the working epoch, not yet given an epoch. */
  record Deferred(String key, byte[] payload) {}

  private final Path log;
  private final Path ack;
  private final boolean forcing;
  private List<Deferred> working = new ArrayList<>();
  /** Persisted and not yet delivered, in log order. */
  private final Deque<Output> pending = new ArrayDeque<>();
  /** Where each persisted epoch's records start in the log (for a retried commit). */
  private final Map<Long, Long> startOf = new HashMap<>();
  private long logSize;
  private long committedThrough;
  private long ackEpoch;
  private int ackCount;
  private OutputHandler handler;
  private ExecutorService deliverer;
  private boolean closed;

  private Outputs(Path store, boolean forcing) {
    this.log = store.resolve(LOG_FILE);
    this.ack = store.resolve(ACK);
    this.forcing = forcing;
  }

  /** Loads the outputs of the store at {@code store}, whose working epoch is {@code working}. */
  static Outputs open(Path store, long working, boolean forcing) throws IOException {
    Outputs o = new Outputs(store, forcing);
    o.load(working);
    return o;
  }

  private void load(long working) throws IOException {
    committedThrough = working - 1;
    readAck();
    byte[] all;
    try {
      all = Files.readAllBytes(log);
    } catch (NoSuchFileException e) {
      return;
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    long good = 0;
    long epochSeen = -1;
    int inEpoch = 0;
    while (b.remaining() >= 8) {
      int length = b.getInt();
      int sum = b.getInt();
      if (length < 16 || length > b.remaining() || XXHASH.hash(all, b.position(), length, SEED) != sum) {
        break;
      }
      int end = b.position() + length;
      long epoch = b.getLong();
      if (epoch >= working) {
        break; // a commit that never reached its commit record
      }
      String key = new String(bytes(b), StandardCharsets.UTF_8);
      byte[] payload = bytes(b);
      b.position(end);
      good = end;
      inEpoch = epoch == epochSeen ? inEpoch + 1 : 1;
      epochSeen = epoch;
      if (epoch > ackEpoch || (epoch == ackEpoch && inEpoch > ackCount)) {
        pending.add(new Output(epoch, key, payload));
      }
    }
    if (good != all.length) {
      try (FileChannel c = OwnerOnly.open(log, StandardOpenOption.WRITE)) {
        c.truncate(good);
      }
    }
    logSize = good;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.getInt()];
    b.get(out);
    return out;
  }

  private void readAck() throws IOException {
    try {
      byte[] a = Files.readAllBytes(ack);
      if (a.length == 16 && XXHASH.hash(a, 0, 12, SEED) == ByteBuffer.wrap(a).getInt(12)) {
        ackEpoch = ByteBuffer.wrap(a).getLong(0);
        ackCount = ByteBuffer.wrap(a).getInt(8);
      }
    } catch (NoSuchFileException e) {
      // nothing delivered yet
    }
  }

  /** Records an output of the working epoch. */
  synchronized void defer(String key, byte[] payload) {
    if (key == null || key.isEmpty() || key.length() > 1000) {
      throw new IllegalArgumentException(
          "an output's key must have 1 to 1000 characters, not " + (key == null ? "null" : key.length()));
    }
    if (payload.length > MAX_PAYLOAD) {
      throw new IllegalArgumentException(
          "an output's payload may have at most " + MAX_PAYLOAD + " bytes, not " + payload.length);
    }
    working.add(new Deferred(key, payload.clone()));
  }

  /** Ends the working epoch's outputs (at its capture): they go with it to its commit. */
  synchronized List<Deferred> seal() {
    List<Deferred> sealed = working;
    working = new ArrayList<>();
    return sealed;
  }

  /** Drops the working epoch's outputs: a restore undoes the epoch that made them. */
  synchronized void discardWorking() {
    working.clear();
  }

  /**
   * The state writer of the commit of epoch {@code id}: appends its outputs {@code sealed} to
   * the log (forced if the store forces) before {@code inner} writes its records. A retry of the
   * commit writes them again in place of the failed try's.
   */
  Journal.StateWriter writerFor(long id, List<Deferred> sealed, Journal.StateWriter inner) {
    if (sealed.isEmpty()) {
      return inner;
    }
    return sink -> {
      persist(id, sealed);
      if (inner != null) {
        inner.write(sink);
      }
    };
  }

  private synchronized void persist(long id, List<Deferred> sealed) throws IOException {
    Long retried = startOf.get(id);
    if (retried != null) {
      pending.removeIf(o -> o.epoch() == id);
      logSize = retried;
    }
    List<byte[]> keys = new ArrayList<>();
    int size = 0;
    for (Deferred d : sealed) {
      byte[] key = d.key.getBytes(StandardCharsets.UTF_8);
      keys.add(key);
      size += 8 + 8 + 4 + key.length + 4 + d.payload.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int i = 0; i < sealed.size(); i++) {
      byte[] key = keys.get(i);
      byte[] payload = sealed.get(i).payload;
      int start = b.position();
      b.putInt(8 + 4 + key.length + 4 + payload.length).putInt(0);
      b.putLong(id).putInt(key.length).put(key).putInt(payload.length).put(payload);
      b.putInt(start + 4, XXHASH.hash(b.array(), start + 8, b.position() - start - 8, SEED));
    }
    b.flip();
    try (FileChannel c = OwnerOnly.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      c.truncate(logSize);
      long at = logSize;
      while (b.hasRemaining()) {
        at += c.write(b, at);
      }
      if (forcing) {
        c.force(false);
      }
    }
    startOf.put(id, logSize);
    logSize += size;
    for (Deferred d : sealed) {
      pending.add(new Output(id, d.key, d.payload));
    }
  }

  /** Epoch {@code id} is committed: its outputs (and any earlier ones pending) may go. */
  synchronized void committed(long id) {
    committedThrough = Math.max(committedThrough, id);
    startOf.keySet().removeIf(e -> e <= id);
    schedule();
  }

  /** Sets the handler that receives the outputs; pending ones go to it at once. */
  synchronized void handler(OutputHandler h) {
    if (handler != null) {
      throw new IllegalStateException("an output handler is already registered with this checkpointer");
    }
    handler = java.util.Objects.requireNonNull(h, "handler");
    schedule();
  }

  private void schedule() {
    if (handler == null || closed || pending.isEmpty()) {
      return;
    }
    if (deliverer == null) {
      deliverer =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "metamori-outputs");
                t.setDaemon(true);
                return t;
              });
    }
    deliverer.execute(this::deliverPending);
  }

  private void deliverPending() {
    while (true) {
      Output next;
      OutputHandler h;
      synchronized (this) {
        next = pending.peekFirst();
        if (closed || next == null || next.epoch() > committedThrough) {
          return;
        }
        h = handler;
      }
      try {
        h.deliver(next);
      } catch (Exception | Error e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "the output handler failed on {0}: {1}; it and the outputs after it are offered again"
                + " after the next commit or open",
            next,
            e.toString());
        return;
      }
      synchronized (this) {
        pending.removeFirst();
        ackCount = next.epoch() == ackEpoch ? ackCount + 1 : 1;
        ackEpoch = next.epoch();
        try {
          writeAck();
          if (pending.isEmpty() && logSize > 0) {
            try (FileChannel c = OwnerOnly.open(log, StandardOpenOption.WRITE)) {
              c.truncate(0);
            }
            logSize = 0;
            startOf.clear();
          }
        } catch (IOException e) {
          LOG.log(
              System.Logger.Level.WARNING,
              "could not note the delivery of {0} ({1}): it may be delivered again after a reopen",
              next,
              e.toString());
        }
      }
    }
  }

  private void writeAck() throws IOException {
    ByteBuffer a = ByteBuffer.allocate(16).putLong(ackEpoch).putInt(ackCount);
    a.putInt(XXHASH.hash(a.array(), 0, 12, SEED)).flip();
    try (FileChannel c = OwnerOnly.open(ack, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      while (a.hasRemaining()) {
        c.write(a, a.position());
      }
    }
  }

  /**
   * Stops delivering: the output being delivered, if any, finishes first; the rest stay pending
   * for the next open.
   */
  void close() {
    ExecutorService d;
    synchronized (this) {
      closed = true;
      d = deliverer;
    }
    if (d != null) {
      d.shutdown();
      try {
        while (!d.awaitTermination(1, TimeUnit.MINUTES)) {
          LOG.log(System.Logger.Level.WARNING, "waiting for the output handler to return before closing");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
