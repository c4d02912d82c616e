package dev.metamori.group;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.group.internal.Trace;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A member in its own JVM, for the SIGKILL tests: it steps (each step receives what its peers
 * sent it, sends each peer a message and bumps a counter; the counter is kept in a registered
 * object and in a tracked file, what it sent and received in another registered object), and
 * the committer commits after every step. It prints what it does and every step of the rounds
 * it takes part in, one line each, so the test can aim kills at them; "BAD" in a line is a
 * broken invariant. A line "drain" on its standard input stops its sends and commits: it then
 * only receives, and prints its {@link Traffic} ("channels ...") whenever that changes.
 *
 * <p>Arguments: ZooKeeper connect string, group, member id, roster (comma separated), directory,
 * committer (true or false), and optionally traffic (true or false, default false: no messages).
 */
public final class GroupChild {
  static final class Counter implements Checkpointable {
    volatile long n;

    @Override
    public void save(OutputStream out) throws IOException {
      new DataOutputStream(out).writeLong(n);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      n = new DataInputStream(in).readLong();
    }
  }

  /**
   * What this member sent to and received from each peer: counts and a hash chain over the
   * messages' nonces. A message carries its sequence number, a fresh nonce and the sender's
   * chain after it; the receiver checks that the number is the next it expects and that its own
   * chain, extended with the nonce, equals the sender's. So a duplicate, a gap, a reordering or
   * a message its sender's state no longer sent (an orphan: resent after a rollback with a new
   * nonce) is a broken invariant at once; a loss shows when the test drains the channels.
   */
  static final class Traffic implements Checkpointable {
    final Map<String, long[]> peers = new TreeMap<>(); // sent, sent chain, received, received chain

    Traffic(List<String> others) {
      for (String p : others) {
        peers.put(p, new long[4]);
      }
    }

    static long chain(long previous, long nonce) {
      long h = (previous ^ nonce) * 0x9E3779B97F4A7C15L;
      return h ^ (h >>> 31);
    }

    @Override
    public synchronized void save(OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      for (long[] v : peers.values()) {
        for (long x : v) {
          d.writeLong(x);
        }
      }
      d.flush();
    }

    @Override
    public synchronized void restore(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      for (long[] v : peers.values()) {
        for (int i = 0; i < v.length; i++) {
          v[i] = d.readLong();
        }
      }
    }

    @Override
    public synchronized String toString() {
      StringBuilder b = new StringBuilder();
      peers.forEach((p, v) -> b.append(' ').append(p).append(':').append(v[0]).append(':').append(Long.toHexString(v[1]))
          .append(':').append(v[2]).append(':').append(Long.toHexString(v[3])));
      return b.toString().trim();
    }
  }

  private static Checkpointer cp;
  private static Counter counter;
  private static Path file;
  private static Traffic traffic;
  private static volatile boolean draining;

  public static void main(String[] args) throws Exception {
    String id = args[2];
    Path dir = Path.of(args[4]);
    Path data = Files.createDirectories(dir.resolve("data"));
    cp = Checkpointer.builder(dir.resolve("store")).track(data).durability(Durability.PROCESS).open();
    counter = new Counter();
    cp.register("counter", counter);
    file = cp.fileSystem().getPath(data.resolve("x").toString());
    List<String> others = new ArrayList<>(List.of(args[3].split(",")));
    others.remove(id);
    traffic = new Traffic(others);
    cp.register("traffic", traffic);
    Thread commands = new Thread(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
        for (String l; (l = in.readLine()) != null; ) {
          draining |= l.equals("drain");
        }
      } catch (IOException e) {
        // the test ended
      }
    }, "commands");
    commands.setDaemon(true);
    commands.start();
    Trace.to(s -> {
      if (s.startsWith("restored")) {
        long local = Long.parseLong(s.substring(s.lastIndexOf(' ') + 1));
        s += cp.currentEpoch() == local ? "" : " BAD: the Checkpointer is at " + cp.currentEpoch();
        s += " " + verify();
      }
      System.out.println("trace " + s);
    });
    CheckpointGroup group = CheckpointGroup.builder(cp).zookeeper(args[0]).group(args[1]).member(id)
        .roster(Set.of(args[3].split(","))).sessionTimeout(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(45))
        .join(GroupFixture.CHANNELS);
    System.out.println("joined " + group.currentGlobalEpoch() + " " + verify());
    // a fenced member rejoins by itself, and its rejoin ends with the group's rollback
    Semaphore rolledBack = new Semaphore(0);
    group.addListener(new GroupListener() {
      @Override
      public void onGroupRollback(GlobalEpoch epoch) {
        rolledBack.release();
      }
    });
    boolean committer = Boolean.parseBoolean(args[5]);
    boolean sends = args.length > 6 && Boolean.parseBoolean(args[6]);
    String printed = null;
    while (true) {
      boolean drain = draining;
      try (GroupStep step = group.step()) {
        // receives first: a capture may run while a poll waits, and must find the counter and
        // its file in step (the traffic is changed only by whole messages)
        for (String p : sends ? others : List.<String>of()) {
          receive(group.channel(p), drain ? Duration.ofMillis(100) : Duration.ZERO);
        }
        if (sends && !drain) {
          for (String p : others) {
            send(group.channel(p));
          }
        }
        counter.n++;
        Files.writeString(file, Long.toString(counter.n));
      } catch (GroupRolledBackException e) {
        System.out.println("rolledback " + e.globalEpoch() + " " + verify());
      } catch (GroupFencedException e) {
        System.out.println("fenced");
        rolledBack.drainPermits();
        rolledBack.tryAcquire(5, TimeUnit.SECONDS); // then step again: it says whether still fenced
      }
      if (drain) {
        String now = traffic.toString();
        if (!now.equals(printed)) {
          System.out.println("channels " + now);
          printed = now;
        }
      } else if (committer) {
        try {
          System.out.println("committed " + group.commit());
        } catch (GroupException e) {
          System.out.println("aborted " + e.getMessage().replace('\n', ' '));
        }
      } else {
        Thread.sleep(5); // pacing only: the workers' steps would otherwise flood the committer's inbox
      }
    }
  }

  /** Receives every message already there from {@code ch}'s peer, the first waiting at most {@code wait}. */
  private static void receive(GroupChannel ch, Duration wait) throws IOException, InterruptedException {
    for (ByteBuffer m; (m = ch.poll(wait)) != null; wait = Duration.ZERO) {
      long seq = m.getLong(0);
      long nonce = m.getLong(8);
      long chain = m.getLong(16);
      synchronized (traffic) {
        long[] v = traffic.peers.get(ch.peer());
        if (seq != v[2] || Traffic.chain(v[3], nonce) != chain) {
          System.out.println("received BAD: message " + seq + " from " + ch.peer() + (seq != v[2]
              ? ", expected " + v[2] + " (duplicate, gap or orphan)" : " does not follow the ones received before (orphan)"));
        }
        v[2] = seq + 1;
        v[3] = chain;
      }
    }
  }

  /** Sends {@code ch}'s peer its next message, and counts it once sent. */
  private static void send(GroupChannel ch) throws IOException, InterruptedException {
    long nonce = ThreadLocalRandom.current().nextLong();
    long[] v;
    synchronized (traffic) {
      v = traffic.peers.get(ch.peer()).clone();
    }
    long chain = Traffic.chain(v[1], nonce);
    ch.send(ByteBuffer.allocate(3 * Long.BYTES).putLong(0, v[0]).putLong(8, nonce).putLong(16, chain));
    synchronized (traffic) {
      long[] now = traffic.peers.get(ch.peer());
      now[0] = v[0] + 1;
      now[1] = chain;
    }
  }

  /** The tracked file and the registered object belong to the same local epoch. */
  private static String verify() {
    try {
      String text;
      try {
        text = Files.readString(file);
      } catch (NoSuchFileException e) {
        text = "0";
      }
      return text.equals(Long.toString(counter.n)) ? "ok" : "BAD: file " + text + ", object " + counter.n;
    } catch (IOException e) {
      return "BAD: " + e;
    }
  }
}
