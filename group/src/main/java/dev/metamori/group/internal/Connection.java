package dev.metamori.group.internal;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.Set;

/**
 * One TCP connection between two members, in one incarnation of the group, carrying one
 * direction's data: the dialer sends DATA frames, the acceptor sends ACK frames back on it.
 * Writes are serialised by the connection; reads are done by one thread.
 */
final class Connection implements Closeable {
  /** How long a dial or a handshake may take before it is given up and retried. */
  static final int HANDSHAKE_MILLIS = 5_000;

  final String peer;
  final long incarnation;
  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private final Object writeLock = new Object();
  private volatile boolean closed;

  private Connection(Socket socket, String peer, long incarnation) throws IOException {
    this.socket = socket;
    this.peer = peer;
    this.incarnation = incarnation;
    this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
  }

  /**
   * Dials {@code peer} at {@code address} and says hello in {@code incarnation}.
   *
   * @param opening holds the socket while it is being opened, so that closing the channels can
   *     close it
   * @throws Mismatch if the peer answers in another incarnation (not resumed yet, or this
   *     member is behind)
   * @throws IOException if it cannot be reached or answers wrongly
   */
  static Connection dial(InetSocketAddress address, String self, String peer, long incarnation, Set<Socket> opening)
      throws IOException {
    Socket s = new Socket();
    opening.add(s);
    try {
      s.setTcpNoDelay(true);
      s.connect(address, HANDSHAKE_MILLIS);
      Connection c = new Connection(s, peer, incarnation);
      c.write(List.of(Frame.hello(incarnation, self)));
      s.setSoTimeout(HANDSHAKE_MILLIS);
      Frame reply = c.readHello();
      s.setSoTimeout(0);
      if (!reply.member().equals(peer)) {
        throw new IOException(address + " is member " + reply.member() + ", not " + peer + " (a stale address)");
      }
      if (reply.incarnation() != incarnation) {
        throw new Mismatch(peer + " is in incarnation " + reply.incarnation() + ", this member in " + incarnation);
      }
      return c;
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw e;
    } finally {
      opening.remove(s);
    }
  }

  /** Reads the hello of a connection accepted on {@code s}; the connection is in its incarnation. */
  static Connection accepted(Socket s) throws IOException {
    try {
      s.setTcpNoDelay(true);
      s.setSoTimeout(HANDSHAKE_MILLIS);
      DataInputStream first = new DataInputStream(s.getInputStream());
      Frame hello = Frame.read(first);
      if (hello.kind() != Frame.HELLO) {
        throw new IOException("expected HELLO, got " + hello);
      }
      s.setSoTimeout(0);
      return new Connection(s, hello.member(), hello.incarnation());
    } catch (IOException | RuntimeException e) {
      closeQuietly(s);
      throw e;
    }
  }

  private Frame readHello() throws IOException {
    try {
      Frame f = read();
      if (f.kind() != Frame.HELLO || f.seq() != Frame.PROTOCOL) {
        throw new IOException("expected HELLO of protocol " + Frame.PROTOCOL + ", got " + f);
      }
      return f;
    } catch (SocketTimeoutException e) {
      throw new IOException("no answer to HELLO within " + HANDSHAKE_MILLIS + " ms", e);
    }
  }

  Frame read() throws IOException {
    return Frame.read(in);
  }

  void write(List<Frame> frames) throws IOException {
    synchronized (writeLock) {
      for (Frame f : frames) {
        out.write(f.encode());
      }
      out.flush();
    }
  }

  /** Writes bytes as they are (a test damages a frame with it). */
  void writeRaw(byte[] bytes) throws IOException {
    synchronized (writeLock) {
      out.write(bytes);
      out.flush();
    }
  }

  boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(socket);
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // closing: nothing more to do
    }
  }

  @Override
  public String toString() {
    return "connection with " + peer + " (incarnation " + incarnation + ", " + socket.getLocalPort() + "<->"
        + socket.getPort() + ")";
  }

  /** The other end is in another incarnation. */
  static final class Mismatch extends IOException {
    private static final long serialVersionUID = 1L;

    Mismatch(String message) {
      super(message);
    }
  }
}
