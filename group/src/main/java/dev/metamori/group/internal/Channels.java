package dev.metamori.group.internal;

import dev.metamori.Checkpointable;
import dev.metamori.group.GroupChannel;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The channels of one member to each of its peers, and their state, which the member
 * registers with its Checkpointer (a {@link Checkpointable}) so that it is captured with the
 * member's files, regions and objects.
 *
 * <p>CONTRACT between the group coordinator and the channels (the coordinator uses exactly
 * these members):
 *
 * <ul>
 *   <li>{@link #listen} once at join: binds, starts accepting and dialing, returns the address
 *       published.
 *   <li>{@link #prepareCapture(long)} before each capture of round {@code r}; the capture then
 *       calls {@link #save}, which records the state atomically with the round as the channel's
 *       tag: frames sent after carry tag {@code r}, held frames tagged up to {@code r} are
 *       released. A {@link #save} without a prepared round (a local commit) records the
 *       current round and changes nothing.
 *   <li>{@link #restore} during a restore of the member's Checkpointer (or when it is
 *       registered with a store that holds a state), then {@link #resume(long)} with the
 *       group's new incarnation: reconnect, drop frames of older incarnations, resend what is
 *       retained. Between the two no frame moves.
 *   <li>{@link #fenced(boolean)} while the ZooKeeper session is lost.
 * </ul>
 *
 * <p><b>Delivery.</b> Per ordered pair of members one TCP connection, dialed by the sender:
 * DATA frames go out on it, ACK frames (cumulative: the number of messages delivered) come
 * back on it. The sender retains every frame until it is acknowledged (at most {@value
 * #WINDOW_FRAMES} frames or {@value #WINDOW_BYTES} bytes of payload per peer, a larger single
 * message alone; {@code send} blocks while the window is full) and resends all of them on every
 * new connection; the receiver keeps only the next expected sequence number, drops lower ones
 * and acknowledges again. A message is acknowledged when the application has received it, so
 * that the state checkpointed is just a count.
 *
 * <p><b>Hold rule.</b> Every frame carries the sender's newest captured round. A DATA or ACK
 * frame whose tag is newer than this member's captured round is held, neither delivered nor
 * acknowledged nor applied, until this member has captured that round; its arrival calls
 * {@link ChannelHost#captureRequested}. With it, at every round captured by all members, what
 * a receiver delivered was sent by the sender before its capture, and what the sender dropped
 * as acknowledged was delivered before the receiver's capture: the cut is consistent, and no
 * channel needs a flush.
 *
 * <p><b>Incarnations.</b> A connection is made only between members in the same incarnation
 * (its HELLO frames carry it): frames of another incarnation are never delivered. A member
 * that dials a peer still in an older incarnation, or restoring, waits at its HELLO until the
 * peer resumes (a few seconds at most, then it is refused and dials again with backoff); one
 * that dials a peer in a newer incarnation is refused until it resumes itself.
 *
 * <p><b>Threads.</b> {@code send}, {@code receive} and {@code poll} may be called from any
 * thread; all state is guarded by one lock, never held while the host is called or a socket
 * written. A {@code send} that finds the window full and a {@code receive} or {@code poll}
 * that finds nothing to deliver report their wait with {@link ChannelHost#blocking}: a
 * capture or restore may run while they wait (a held acknowledgement can keep the window full
 * until the sender captures, so a waiting send must be a safe point too), and they call {@link
 * ChannelHost#checkUsable} again before returning a message or retaining one. The state saved
 * is described in ChannelState, the wire format in Frame.
 */
public final class Channels implements Checkpointable, Closeable {
  static final int WINDOW_FRAMES = 1024;
  static final long WINDOW_BYTES = 4 << 20;

  final ReentrantLock lock = new ReentrantLock();

  /** Signalled for the application's threads: a frame can be delivered, the window opened. */
  final Condition appChanged = lock.newCondition();

  /** Signalled for the network threads: activity or incarnation changed. */
  final Condition linksChanged = lock.newCondition();

  final ChannelHost host;
  final String self;
  final SortedMap<String, Outbox> outboxes = new TreeMap<>();
  final SortedMap<String, Inbox> inboxes = new TreeMap<>();
  private final Map<String, GroupChannel> endpoints = new TreeMap<>();
  private final int windowFrames;
  private final long windowBytes;
  final Links links;
  final Wire wire = new Wire(this);

  long incarnation;
  long captured;
  private long prepared = -1;
  private boolean suspended;
  private boolean fenced;
  volatile boolean closed;
  boolean listening;

  /** Changes whenever every connection must go (restore, resume, fence, close). */
  long generation;

  /**
   * The channels of member {@code host.self()} to {@code peers}, the other members of its
   * roster, with a window of {@value #WINDOW_FRAMES} messages or {@value #WINDOW_BYTES} bytes
   * per peer. Nothing moves until {@link #listen}.
   */
  public Channels(ChannelHost host, Set<String> peers) {
    this(host, peers, WINDOW_FRAMES, WINDOW_BYTES);
  }

  Channels(ChannelHost host, Set<String> peers, int windowFrames, long windowBytes) {
    this.host = host;
    this.self = host.self();
    if (peers.contains(self)) {
      throw new IllegalArgumentException("peers " + peers + " include this member " + self + " itself");
    }
    if (windowFrames < 1 || windowBytes < 1) {
      throw new IllegalArgumentException("window of " + windowFrames + " frames, " + windowBytes + " bytes");
    }
    this.windowFrames = windowFrames;
    this.windowBytes = windowBytes;
    for (String p : peers) {
      outboxes.put(p, new Outbox(p, lock.newCondition()));
      inboxes.put(p, new Inbox(p));
      endpoints.put(p, new Endpoint(this, p));
    }
    this.links = new Links(this);
  }

  /** Binds to an ephemeral port of {@code bind} and accepts peers; the address to publish. */
  public InetSocketAddress listen(InetAddress bind) throws IOException {
    lock.lock();
    try {
      if (closed) {
        throw new ClosedChannelException();
      }
      if (listening) {
        throw new IllegalStateException("the channels of " + self + " already listen");
      }
      listening = true;
    } finally {
      lock.unlock();
    }
    try {
      return links.start(bind);
    } catch (IOException | RuntimeException e) {
      lock.lock();
      try {
        listening = false;
      } finally {
        lock.unlock();
      }
      throw e;
    }
  }

  /** The channel to {@code peer}, one of the peers given at construction. */
  public GroupChannel channel(String peer) {
    GroupChannel c = endpoints.get(peer);
    if (c == null) {
      throw new IllegalArgumentException(peer + " is not a peer of " + self + "; its peers are " + endpoints.keySet());
    }
    return c;
  }

  /** The next {@link #save} captures round {@code round}. */
  public void prepareCapture(long round) {
    lock.lock();
    try {
      if (round < captured) {
        throw new IllegalArgumentException(
            "round " + round + " is older than round " + captured + " the channels of " + self + " captured");
      }
      prepared = round;
    } finally {
      lock.unlock();
    }
  }

  /** The newest round captured (saved or restored), 0 before the first. */
  public long capturedRound() {
    lock.lock();
    try {
      return captured;
    } finally {
      lock.unlock();
    }
  }

  /** After a restore: the group is now in {@code incarnation}; reconnect and resend. */
  public void resume(long incarnation) {
    List<Connection> dropped;
    lock.lock();
    try {
      if (incarnation < this.incarnation) {
        throw new IllegalArgumentException("incarnation " + incarnation + " is older than incarnation "
            + this.incarnation + " of the channels of " + self);
      }
      this.incarnation = incarnation;
      suspended = false;
      dropped = dropAllLocked();
      for (Inbox in : inboxes.values()) {
        in.arrived.clear();
      }
    } finally {
      lock.unlock();
    }
    dropped.forEach(Connection::close);
  }

  /** Stops (true) or resumes (false) all traffic. */
  public void fenced(boolean fenced) {
    List<Connection> dropped = List.of();
    lock.lock();
    try {
      this.fenced = fenced;
      if (fenced) {
        dropped = dropAllLocked();
      }
      wakeAllLocked();
    } finally {
      lock.unlock();
    }
    dropped.forEach(Connection::close);
  }

  @Override
  public void save(OutputStream out) throws IOException {
    lock.lock();
    try {
      long round = prepared >= 0 ? prepared : captured;
      Map<String, ChannelState.Peer> peers = new TreeMap<>();
      for (String p : outboxes.keySet()) {
        Outbox o = outboxes.get(p);
        peers.put(p, new ChannelState.Peer(o.nextSend(), inboxes.get(p).delivered, o.retained()));
      }
      out.write(new ChannelState(incarnation, round, peers).encode());
      prepared = -1;
      captured = round;
      for (Outbox o : outboxes.values()) {
        o.releaseAcks(round);
      }
      appChanged.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void restore(InputStream in) throws IOException {
    ChannelState s = ChannelState.decode(in.readAllBytes(), self, outboxes.keySet());
    List<Connection> dropped;
    lock.lock();
    try {
      incarnation = s.incarnation();
      captured = s.round();
      prepared = -1;
      suspended = true;
      dropped = dropAllLocked();
      for (Map.Entry<String, ChannelState.Peer> e : s.peers().entrySet()) {
        ChannelState.Peer p = e.getValue();
        outboxes.get(e.getKey()).reset(p.nextSend(), p.retained());
        Inbox i = inboxes.get(e.getKey());
        i.delivered = p.delivered();
        i.arrived.clear();
      }
    } finally {
      lock.unlock();
    }
    dropped.forEach(Connection::close);
  }

  @Override
  public void close() throws IOException {
    List<Connection> dropped;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      dropped = dropAllLocked();
    } finally {
      lock.unlock();
    }
    dropped.forEach(Connection::close);
    links.close();
  }

  @Override
  public String toString() {
    return "channels of " + self + " to " + outboxes.keySet();
  }

  // ---- sending and receiving (application threads) ----

  /** Retains {@code payload} for {@code o} if the window has room; whether it did. */
  boolean tryAppendLocked(Outbox o, byte[] payload) throws ClosedChannelException {
    checkOpenLocked();
    if (!o.fits(payload.length, windowFrames, windowBytes)) {
      return false;
    }
    o.append(captured, payload);
    o.ready.signal();
    return true;
  }

  /** Waits until {@code o} has room for {@code length} bytes or the channels close. */
  void awaitRoomLocked(Outbox o, int length) throws InterruptedException {
    while (!closed && !o.fits(length, windowFrames, windowBytes)) {
      appChanged.await();
    }
  }

  /**
   * Delivers the next message of {@code in} if it may be: returns it and the acknowledgement
   * to send on the connection it came on (null if none), or null.
   */
  Delivery tryDeliverLocked(Inbox in) throws ClosedChannelException {
    checkOpenLocked();
    if (!deliverableLocked(in)) {
      return null;
    }
    Frame f = in.arrived.removeFirst();
    in.delivered++;
    return new Delivery(f.payload(), in.conn, Frame.ack(incarnation, captured, in.delivered));
  }

  record Delivery(byte[] message, Connection conn, Frame ack) {}

  /** Waits until {@code in} can deliver, the channels close or {@code deadline} passes (unless {@code forever}). */
  void awaitDeliverableLocked(Inbox in, boolean forever, long deadline) throws InterruptedException {
    while (!closed && !deliverableLocked(in)) {
      if (forever) {
        appChanged.await();
      } else {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return;
        }
        appChanged.awaitNanos(left);
      }
    }
  }

  private boolean deliverableLocked(Inbox in) {
    Frame head = in.arrived.peekFirst();
    return head != null && head.tag() <= captured && !fenced && !suspended;
  }

  void checkOpenLocked() throws ClosedChannelException {
    if (closed) {
      throw new ClosedChannelException();
    }
  }

  // ---- the network threads' side is in Wire ----

  /** Whether connections may be made: listening, in an incarnation, not fenced, not closed. */
  boolean activeLocked() {
    return listening && !closed && !suspended && !fenced;
  }

  private List<Connection> dropAllLocked() {
    generation++;
    wire.requested = 0;
    List<Connection> dropped = new ArrayList<>();
    for (Outbox o : outboxes.values()) {
      if (o.conn != null) {
        dropped.add(o.conn);
        o.conn = null;
      }
      o.disconnectAll();
    }
    for (Inbox in : inboxes.values()) {
      if (in.conn != null) {
        dropped.add(in.conn);
        in.conn = null;
      }
    }
    wakeAllLocked();
    return dropped;
  }

  private void wakeAllLocked() {
    appChanged.signalAll();
    linksChanged.signalAll();
    for (Outbox o : outboxes.values()) {
      o.ready.signalAll();
    }
  }
}
