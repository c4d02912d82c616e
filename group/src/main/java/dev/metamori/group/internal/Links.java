package dev.metamori.group.internal;

import java.io.Closeable;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ProtocolException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The network side of a member's {@link Channels}: one thread accepts connections from peers
 * and reads their DATA frames (one thread per accepted connection), one thread per peer dials
 * it and transmits the frames this member retains for it (with one more thread reading the
 * peer's ACK frames). A peer not yet known ({@link ChannelHost#address} null), unreachable or
 * in another incarnation is dialed again after a backoff of {@value #MIN_BACKOFF_MILLIS} ms
 * doubling up to {@value #MAX_BACKOFF_MILLIS} ms; a change of incarnation retries at once. A
 * peer that dials in from a newer incarnation (it resumed first) is answered when this member
 * resumes too, or refused after {@value #PARK_MILLIS} ms.
 */
final class Links implements Closeable {
  private static final System.Logger LOG = System.getLogger(Channels.class.getName());
  static final long MIN_BACKOFF_MILLIS = 5;
  static final long MAX_BACKOFF_MILLIS = 200;

  /**
   * How long an accepted connection from a peer in a newer incarnation, or one that arrives
   * while this member is restoring or fenced, waits for this member to resume before it is
   * refused (less than the dialer's {@link Connection#HANDSHAKE_MILLIS}).
   */
  static final long PARK_MILLIS = 3_000;

  /** Frames written per turn of a transmitting thread. */
  private static final int BATCH = 64;

  private final Channels ch;
  private final Set<Thread> threads = ConcurrentHashMap.newKeySet();

  /** Sockets dialing or saying hello, closed by {@link #close} so that no thread waits on them. */
  private final Set<Socket> opening = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;

  /** Damage the next DATA frame transmitted (tests). */
  final AtomicBoolean damageNext = new AtomicBoolean();

  Links(Channels ch) {
    this.ch = ch;
  }

  InetSocketAddress start(InetAddress bind) throws IOException {
    ServerSocket s = new ServerSocket();
    try {
      s.bind(new InetSocketAddress(bind, 0), 64);
    } catch (IOException e) {
      s.close();
      throw new IOException("the channels of " + ch.self + " cannot listen on " + bind + ": " + e.getMessage(), e);
    }
    InetAddress published;
    try {
      published = s.getInetAddress().isAnyLocalAddress() ? InetAddress.getLocalHost() : s.getInetAddress();
    } catch (IOException e) {
      s.close();
      throw new IOException("the channels of " + ch.self + " listen on every address but this host's own is unknown ("
          + e.getMessage() + "); listen on a concrete address", e);
    }
    server = s;
    spawn("accept " + ch.self, this::accept);
    for (Outbox o : ch.outboxes.values()) {
      spawn("send " + ch.self + "->" + o.peer, () -> dial(o));
    }
    return new InetSocketAddress(published, s.getLocalPort());
  }

  private void spawn(String name, Runnable body) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } finally {
                threads.remove(Thread.currentThread());
              }
            },
            "metamori-channel " + name);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  // ---- inbound: the peers' data ----

  private void accept() {
    while (true) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        if (isClosed()) {
          return;
        }
        LOG.log(Level.WARNING, "channels of " + ch.self + ": accept failed, going on", e);
        try {
          pause(MAX_BACKOFF_MILLIS, -1); // e.g. out of file descriptors: do not spin
        } catch (InterruptedException stop) {
          return;
        }
        continue;
      }
      spawn("receive " + ch.self + "<-" + s.getRemoteSocketAddress(), () -> inbound(s));
    }
  }

  private void inbound(Socket s) {
    Connection c;
    opening.add(s);
    try {
      if (isClosed()) {
        throw new ClosedChannelException();
      }
      c = Connection.accepted(s);
    } catch (IOException e) {
      LOG.log(Level.DEBUG, () -> "channels of " + ch.self + ": a handshake from " + s.getRemoteSocketAddress() + " failed", e);
      try {
        s.close(); // else the dialer waits for an answer until its timeout
      } catch (IOException ignored) {
        // closing
      }
      return;
    } finally {
      opening.remove(s);
    }
    Inbox in = ch.inboxes.get(c.peer);
    if (in == null) {
      LOG.log(Level.WARNING, "channels of " + ch.self + ": " + c.peer + " dialed in but is not a peer; refused");
      c.close();
      return;
    }
    long answer;
    long gen;
    ch.lock.lock();
    try {
      // a dialer ahead of this member (it resumed first) or one that finds it restoring or
      // fenced waits here a while for its resume, so that it need not dial again
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(PARK_MILLIS);
      long left;
      while (!ch.closed
          && (!ch.activeLocked() || c.incarnation > ch.incarnation)
          && (left = deadline - System.nanoTime()) > 0) {
        ch.linksChanged.awaitNanos(left);
      }
      answer = ch.activeLocked() ? ch.incarnation : -1;
      gen = ch.generation;
    } catch (InterruptedException e) {
      c.close();
      return;
    } finally {
      ch.lock.unlock();
    }
    try {
      c.write(List.of(Frame.hello(answer, ch.self)));
    } catch (IOException e) {
      c.close();
      return;
    }
    if (answer != c.incarnation) {
      c.close(); // the dialer sees the other incarnation and tries again later
      return;
    }
    Connection old = ch.wire.attachInbound(in, c, gen);
    if (old == c) {
      c.close();
      return;
    }
    if (old != null) {
      old.close();
    }
    try {
      while (true) {
        Frame f = c.read();
        Wire.Arrival a = ch.wire.onData(in, c, f);
        if (a.ack() != null) {
          c.write(List.of(a.ack()));
        }
        if (a.request() > 0) {
          requestCapture(a.request());
        }
      }
    } catch (IOException e) {
      reset(c, e);
    } finally {
      ch.wire.detach(c);
    }
  }

  /** Writes an acknowledgement on {@code c}; a failure drops the connection (the peer resends). */
  void writeAck(Connection c, Frame ack) {
    try {
      c.write(List.of(ack));
    } catch (IOException e) {
      reset(c, e);
      ch.wire.detach(c);
    }
  }

  // ---- outbound: this member's data ----

  private void dial(Outbox o) {
    long backoff = MIN_BACKOFF_MILLIS;
    try {
      while (true) {
        long gen;
        long inc;
        ch.lock.lock();
        try {
          while (!ch.closed && !ch.activeLocked()) {
            ch.linksChanged.await();
          }
          if (ch.closed) {
            return;
          }
          gen = ch.generation;
          inc = ch.incarnation;
        } finally {
          ch.lock.unlock();
        }
        InetSocketAddress address = addressOf(o.peer);
        Connection c = null;
        if (address != null) {
          try {
            c = Connection.dial(address, ch.self, o.peer, inc, opening);
          } catch (IOException e) {
            LOG.log(Level.DEBUG, () -> "channels of " + ch.self + ": cannot connect to " + o.peer + " at " + address, e);
          }
        }
        if (c == null || !ch.wire.attachOutbound(o, c, gen)) {
          if (c != null) {
            c.close();
          }
          pause(backoff, gen);
          backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
          continue;
        }
        backoff = MIN_BACKOFF_MILLIS;
        Connection conn = c;
        spawn("acks " + ch.self + "<-" + o.peer, () -> readAcks(o, conn));
        transmit(o, c);
        pause(MIN_BACKOFF_MILLIS, gen); // a peer that keeps dropping the connection is not redialed in a loop
      }
    } catch (InterruptedException e) {
      // closed
    }
  }

  /**
   * Waits {@code millis}, or less if the channels close or their generation is no longer
   * {@code gen} (unless negative).
   */
  private void pause(long millis, long gen) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    ch.lock.lock();
    try {
      long left;
      while (!ch.closed && (gen < 0 || ch.generation == gen) && (left = deadline - System.nanoTime()) > 0) {
        ch.linksChanged.awaitNanos(left);
      }
    } finally {
      ch.lock.unlock();
    }
  }

  /** Sends what {@code o} retains on {@code c}, then what is sent, until {@code c} is gone. */
  private void transmit(Outbox o, Connection c) throws InterruptedException {
    try {
      while (true) {
        List<Frame> batch;
        ch.lock.lock();
        try {
          while (o.conn == c && o.cursor >= o.nextSend()) {
            o.ready.await();
          }
          if (o.conn != c) {
            return;
          }
          batch = o.takeFromCursor(BATCH);
        } finally {
          ch.lock.unlock();
        }
        if (batch.isEmpty()) {
          continue;
        }
        List<Frame> stamped = batch.stream().map(f -> f.in(c.incarnation)).toList();
        if (damageNext.compareAndSet(true, false)) {
          byte[] bytes = stamped.get(0).encode();
          bytes[bytes.length > Frame.OVERHEAD ? Frame.HEADER + 4 : 20] ^= 0x40;
          c.writeRaw(bytes);
          stamped = stamped.subList(1, stamped.size());
        }
        c.write(stamped);
      }
    } catch (IOException e) {
      reset(c, e);
    } finally {
      ch.wire.detach(c);
    }
  }

  private void readAcks(Outbox o, Connection c) {
    try {
      while (true) {
        long request = ch.wire.onAck(o, c, c.read());
        if (request > 0) {
          requestCapture(request);
        }
      }
    } catch (IOException e) {
      reset(c, e);
    } finally {
      ch.wire.detach(c);
    }
  }

  /** Asks the host for a capture; a failure of the host does not stop this connection. */
  private void requestCapture(long round) {
    try {
      ch.host.captureRequested(round);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "channels of " + ch.self + ": the request to capture round " + round + " failed; frames"
          + " tagged " + round + " stay held until this member captures it", e);
    }
  }

  /** The peer's address, or null if the host does not know it or fails to say. */
  private InetSocketAddress addressOf(String peer) {
    try {
      return ch.host.address(peer);
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "channels of " + ch.self + ": the address of " + peer + " could not be found; trying again", e);
      return null;
    }
  }

  private void reset(Connection c, IOException e) {
    if (c.isClosed() || e instanceof ClosedChannelException) {
      return; // closed on purpose
    }
    if (e instanceof Frame.DamagedFrameException || e instanceof ProtocolException) {
      LOG.log(Level.WARNING, "channels of " + ch.self + ": " + c + " reset: " + e.getMessage());
    } else {
      LOG.log(Level.DEBUG, () -> "channels of " + ch.self + ": " + c + " reset: " + e.getMessage(), e);
    }
  }

  private boolean isClosed() {
    ServerSocket s = server;
    return ch.closed || s == null || s.isClosed();
  }

  @Override
  public void close() {
    ServerSocket s = server;
    if (s != null) {
      try {
        s.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    for (Socket o : opening) {
      try {
        o.close();
      } catch (IOException ignored) {
        // closing
      }
    }
    for (Thread t : threads) {
      t.interrupt();
    }
    for (Thread t : threads) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(5));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
