package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointable;
import dev.metamori.group.testing.Seeds;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group with its real channels against a model: inside steps, members send messages with
 * unique ids to peers and receive them, logging both in a registered object; between them,
 * random global commits from any member, restores to any global epoch (back, forward, across
 * branches), a member leaving and rejoining, ZooKeeper restarts. After every operation, for
 * every ordered pair, what the receiver's log has received is a prefix of what the sender's log
 * has sent, without duplicates; after every commit, restore or rejoin each member is at its
 * local epoch of the group's global epoch with the logs the model captured in it; and at the
 * end of each trial every message sent is received, exactly once and in order.
 *
 * <p>{@code -Dmetamori.trials} and {@code -Dmetamori.steps} set the length of the run.
 */
class GroupChannelProperties {
  static final int TRIALS = Integer.getInteger("metamori.trials", 3);
  static final int STEPS = Integer.getInteger("metamori.steps", 60);
  static final List<String> IDS = List.of("a", "b", "c");
  /** Bounds a receive the model says must succeed; a message that takes longer is lost. */
  static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * A member's application state: the ids it sent to and received from each peer, in order.
   * Each capture is also kept, by local epoch, in the map it is given: what the model says the
   * member's state is at a global epoch. Changed by the member's application thread, saved by
   * the thread that captures: synchronized.
   */
  static final class Logs implements Checkpointable {
    final Map<String, List<Long>> sent = new TreeMap<>();
    final Map<String, List<Long>> received = new TreeMap<>();
    private final Map<Long, Logs> captures;
    private Logs saved;

    Logs() {
      this(null);
    }

    Logs(Map<Long, Logs> captures) {
      this.captures = captures;
      for (String p : IDS) {
        sent.put(p, new ArrayList<>());
        received.put(p, new ArrayList<>());
      }
    }

    synchronized void sent(String peer, long id) {
      sent.get(peer).add(id);
    }

    synchronized void received(String peer, long id) {
      received.get(peer).add(id);
    }

    synchronized Logs copy() {
      Logs c = new Logs();
      sent.forEach((p, l) -> c.sent.get(p).addAll(l));
      received.forEach((p, l) -> c.received.get(p).addAll(l));
      return c;
    }

    @Override
    public synchronized void save(OutputStream out) throws IOException {
      saved = copy();
      DataOutputStream d = new DataOutputStream(out);
      for (Map<String, List<Long>> m : List.of(sent, received)) {
        for (List<Long> l : m.values()) {
          d.writeInt(l.size());
          for (long id : l) {
            d.writeLong(id);
          }
        }
      }
      d.flush();
    }

    /** Called after each capture of this member; for tests that wait for one. */
    volatile Runnable onCapture = () -> {};

    @Override
    public void afterCheckpoint(long epoch) {
      synchronized (this) {
        if (captures != null) {
          captures.put(epoch, saved);
        }
      }
      onCapture.run();
    }

    @Override
    public synchronized void restore(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      for (Map<String, List<Long>> m : List.of(sent, received)) {
        for (List<Long> l : m.values()) {
          l.clear();
          for (int n = d.readInt(); n > 0; n--) {
            l.add(d.readLong());
          }
        }
      }
    }

    @Override
    public synchronized boolean equals(Object o) {
      if (!(o instanceof Logs)) {
        return false;
      }
      Logs l = ((Logs) o).copy();
      return sent.equals(l.sent) && received.equals(l.received);
    }

    @Override
    public synchronized int hashCode() {
      return sent.hashCode() * 31 + received.hashCode();
    }

    @Override
    public synchronized String toString() {
      return "sent " + sent + ", received " + received;
    }
  }

  @Test
  void noMessageIsLostDuplicatedOrOrphanedAndEveryMemberIsAtItsLocalEpoch(@TempDir Path dir) throws Exception {
    long seed = Seeds.seed(0xC4A7L);
    Seeds.run("GroupChannelProperties.noMessageIsLostDuplicatedOrOrphanedAndEveryMemberIsAtItsLocalEpoch", seed, () -> {
      try (TestingServer zk = new TestingServer(true)) {
        for (int t = 0; t < TRIALS; t++) {
          new Trial(new SplittableRandom(Seeds.trialSeed(seed, t))).run(Files.createDirectories(dir.resolve("t" + t)), zk);
        }
      }
    }, "metamori.trials=" + TRIALS, "metamori.steps=" + STEPS);
  }

  /** One trial: three members, {@link #STEPS} random operations, then a drain. */
  static final class Trial {
    final SplittableRandom random;
    /** Each member's live application state; replaced when its store reopens. */
    final Map<String, Logs> logs = new ConcurrentHashMap<>();
    /** Each member's state at each of its local epochs, as captured. */
    final Map<String, Map<Long, Logs>> captures = new ConcurrentHashMap<>();
    /** What every member's state was at each global epoch. */
    final Map<Long, Map<String, Logs>> model = new TreeMap<>();
    final List<String> history = new CopyOnWriteArrayList<>();
    final AtomicLong nextId = new AtomicLong(1);
    long head;

    Trial(SplittableRandom random) {
      this.random = random;
    }

    void run(Path dir, TestingServer zk) throws Exception {
      GroupFixture.Opened register = m -> {
        Logs l = new Logs(captures.computeIfAbsent(m.id, k -> new ConcurrentHashMap<>()));
        m.cp.register("logs", l); // as of the store's current epoch
        logs.put(m.id, l);
      };
      try (GroupFixture f = GroupFixture.of(dir, zk, register, IDS.toArray(String[]::new)).start(Set.of("a"))) {
        head = f.group("a").currentGlobalEpoch();
        model.put(head, snapshot());
        checkAtHead(f);
        for (int step = 0; step < STEPS; step++) {
          try {
            operate(f, zk, step);
          } catch (GroupException e) {
            throw new AssertionError(e.getMessage() + context(), e);
          }
          checkPrefixes();
          assertEquals(head, f.group(IDS.get(step % IDS.size())).currentGlobalEpoch(), "global epoch" + context());
        }
        history.add("drain");
        drain(f);
      }
    }

    private void operate(GroupFixture f, TestingServer zk, int step) throws Exception {
      int op = random.nextInt(100);
      String id = IDS.get(random.nextInt(IDS.size()));
      String peer = peerOf(id);
      if (op < 25) {
        int n = 1 + random.nextInt(4);
        history.add(id + " sends " + n + " to " + peer);
        try (GroupStep s = f.group(id).step()) {
          for (int i = 0; i < n; i++) {
            send(f, id, peer);
          }
        }
      } else if (op < 45) {
        int n = 1 + random.nextInt(4);
        history.add(id + " receives up to " + n + " from " + peer);
        for (int i = 0; i < n; i++) {
          receive(f, id, peer);
        }
      } else if (op < 60) {
        history.add(id + " commits");
        commit(f, id, "s" + step);
        assertEquals(model.get(head), snapshot(), "the logs captured are the live ones" + context());
      } else if (op < 72) {
        history.add(id + " restores " + restore(f, id));
        for (String m : IDS) {
          assertEquals(head, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
              m + " is told of the rollback" + context()).globalEpoch());
        }
        checkAtHead(f);
      } else if (op < 82) {
        burst(f, id, "s" + step);
      } else if (op < 90) {
        pinned(f, id, "s" + step);
      } else if (op < 96) {
        history.add(id + " leaves and rejoins");
        f.member(id).stop();
        f.member(id).restart();
        for (String m : IDS) {
          if (!m.equals(id)) {
            assertEquals(head, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
                m + " is told of the rollback" + context()).globalEpoch());
          }
        }
        checkAtHead(f);
      } else {
        history.add("ZooKeeper restarts");
        CountDownLatch back = new CountDownLatch(1);
        f.member("a").client.getConnectionStateListenable().addListener((c, s) -> {
          if (s == ConnectionState.RECONNECTED) {
            back.countDown();
          }
        });
        zk.restart();
        assertTrue(back.await(30, TimeUnit.SECONDS), "reconnected" + context());
      }
    }

    /**
     * Every member runs a few steps in its own thread (sends to random peers, receives of
     * messages in flight when the burst starts, so no member waits for another's step) while
     * {@code id} commits or restores a random global epoch: captures and restores then run
     * between the members' steps and while they wait in a poll, with messages and
     * acknowledgements in flight.
     */
    private void burst(GroupFixture f, String id, String label) throws Exception {
      boolean restore = random.nextInt(3) == 0;
      Map<String, List<String>> scripts = new TreeMap<>();
      for (String m : IDS) {
        List<String> script = new ArrayList<>();
        Map<String, Integer> due = new HashMap<>();
        for (String p : IDS) {
          if (!p.equals(m)) {
            due.put(p, logs.get(p).copy().sent.get(m).size() - logs.get(m).copy().received.get(p).size());
          }
        }
        for (int n = 1 + random.nextInt(6); n > 0; n--) {
          String p = peerOf(m);
          if (random.nextBoolean() && due.get(p) > 0) {
            due.merge(p, -1, Integer::sum);
            script.add("receive " + p);
          } else {
            script.add("send " + p);
          }
        }
        scripts.put(m, script);
      }
      history.add("burst " + scripts + " while " + id + (restore ? " restores" : " commits"));
      ExecutorService pool = Executors.newFixedThreadPool(IDS.size());
      Set<String> toldInBurst = ConcurrentHashMap.newKeySet();
      try {
        List<Future<?>> runs = new ArrayList<>();
        for (String m : IDS) {
          runs.add(pool.submit(() -> {
            try {
              for (String action : scripts.get(m)) {
                String p = action.substring(action.indexOf(' ') + 1);
                if (action.startsWith("send")) {
                  try (GroupStep s = f.group(m).step()) {
                    send(f, m, p);
                  }
                } else {
                  receive(f, m, p);
                }
              }
            } catch (GroupRolledBackException e) {
              toldInBurst.add(m);
            }
            return null;
          }));
        }
        if (restore) {
          history.add(id + " restored " + restore(f, id));
        } else {
          commit(f, id, label);
        }
        for (Future<?> r : runs) {
          r.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      if (restore) {
        for (String m : IDS) {
          if (!toldInBurst.contains(m)) {
            assertEquals(head, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
                m + " is told of the rollback" + context()).globalEpoch());
          }
        }
        checkAtHead(f);
      } else {
        assertTrue(toldInBurst.isEmpty(), "a commit rolled back " + toldInBurst + context());
      }
    }

    /**
     * A commit from {@code id} while one member, pinned, holds a step open: the others capture
     * first, then send and receive (so the pinned member gets messages sent after their
     * capture, and acknowledgements of messages received after it), and only then does the
     * pinned member receive what is in flight to it and close its step, and capture. Half the
     * time the group then restores the new global epoch at once. This is the interleaving the
     * channels' hold rule is for.
     */
    private void pinned(GroupFixture f, String id, String label) throws Exception {
      String pin = IDS.get(random.nextInt(IDS.size()));
      List<String> others = IDS.stream().filter(m -> !m.equals(pin)).toList();
      Map<String, List<String>> scripts = new TreeMap<>();
      for (String m : others) {
        List<String> script = new ArrayList<>();
        int dueFromPin = logs.get(pin).copy().sent.get(m).size() - logs.get(m).copy().received.get(pin).size();
        for (int i = random.nextInt(dueFromPin + 1); i > 0; i--) {
          script.add("receive " + pin);
        }
        for (int i = random.nextInt(4); i > 0; i--) {
          script.add("send " + pin);
        }
        scripts.put(m, script);
      }
      boolean thenRestore = random.nextBoolean();
      history.add("pinned " + pin + ", " + scripts + " while " + id + " commits" + (thenRestore ? ", then restores it" : ""));
      CountDownLatch othersCaptured = new CountDownLatch(others.size());
      CountDownLatch othersDone = new CountDownLatch(others.size());
      CountDownLatch pinned = new CountDownLatch(1);
      for (String m : others) {
        logs.get(m).onCapture = othersCaptured::countDown;
      }
      ExecutorService pool = Executors.newFixedThreadPool(IDS.size() + 1);
      try {
        List<Future<?>> runs = new ArrayList<>();
        runs.add(pool.submit(() -> {
          try (GroupStep s = f.group(pin).step()) {
            pinned.countDown();
            await(othersDone, "the others' steps");
            for (String p : others) {
              while (logs.get(pin).copy().received.get(p).size() < logs.get(p).copy().sent.get(pin).size()) {
                receive(f, pin, p);
              }
            }
          }
          return null;
        }));
        await(pinned, pin + "'s step");
        Future<Long> commit = pool.submit(() -> {
          commit(f, id, label);
          return head;
        });
        for (String m : others) {
          runs.add(pool.submit(() -> {
            await(othersCaptured, "the others' captures");
            for (String action : scripts.get(m)) {
              String p = action.substring(action.indexOf(' ') + 1);
              if (action.startsWith("send")) {
                try (GroupStep s = f.group(m).step()) {
                  send(f, m, p);
                }
              } else {
                receive(f, m, p);
              }
            }
            othersDone.countDown();
            return null;
          }));
        }
        for (Future<?> r : runs) {
          r.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
        }
        long g = commit.get(WAIT.toSeconds() * 2, TimeUnit.SECONDS);
        if (thenRestore) {
          f.group(id).restore(g);
          for (String m : IDS) {
            assertEquals(g, assertThrows(GroupRolledBackException.class, () -> f.group(m).step(),
                m + " is told of the rollback" + context()).globalEpoch());
          }
          checkAtHead(f);
        }
      } finally {
        for (String m : others) {
          logs.get(m).onCapture = () -> {};
        }
        pool.shutdownNow();
      }
    }

    private void await(CountDownLatch latch, String what) throws InterruptedException {
      if (!latch.await(WAIT.toSeconds(), TimeUnit.SECONDS)) {
        fail("waited " + WAIT.toSeconds() + " s for " + what + context());
      }
    }

    /** {@code id} commits; the model's state at the new global epoch is what each member captured for it. */
    private void commit(GroupFixture f, String id, String label) throws IOException {
      long g = f.group(id).commit(label);
      assertTrue(g > head, "global epochs grow" + context());
      head = g;
      GlobalEpoch e = globalEpoch(f, g);
      Map<String, Logs> at = new HashMap<>();
      for (String m : IDS) {
        Logs captured = captures.get(m).get(e.localEpoch(m));
        assertNotNull(captured, m + " captured its local epoch " + e.localEpoch(m) + " of global epoch " + g + context());
        at.put(m, captured);
      }
      model.put(g, at);
      checkCut(at);
    }

    /** {@code id} restores a global epoch chosen at random from those known; returns it. */
    private long restore(GroupFixture f, String id) throws IOException {
      List<Long> known = new ArrayList<>(model.keySet());
      long target = known.get(random.nextInt(known.size()));
      f.group(id).restore(target);
      head = target;
      return target;
    }

    private String peerOf(String id) {
      return IDS.get((IDS.indexOf(id) + 1 + random.nextInt(IDS.size() - 1)) % IDS.size());
    }

    private void send(GroupFixture f, String id, String peer) throws IOException, InterruptedException {
      long m = nextId.getAndIncrement();
      f.group(id).channel(peer).send(ByteBuffer.allocate(Long.BYTES).putLong(0, m));
      logs.get(id).sent(peer, m);
    }

    /**
     * {@code id} receives once from {@code peer}, inside a step: the next message the model says
     * is in flight, waiting for it; or, if none is, whatever is already there (nothing should be).
     */
    private void receive(GroupFixture f, String id, String peer) throws Exception {
      int sent = logs.get(peer).copy().sent.get(id).size();
      int received = logs.get(id).copy().received.get(peer).size();
      boolean due = received < sent;
      try (GroupStep s = f.group(id).step()) {
        ByteBuffer m = f.group(id).channel(peer).poll(due ? WAIT : Duration.ZERO);
        if (m != null) {
          logs.get(id).received(peer, m.getLong(0));
        } else if (due) {
          fail(id + " received nothing from " + peer + " within " + WAIT.toSeconds() + " s; in flight: "
              + logs.get(peer).copy().sent.get(id).subList(received, sent) + context());
        }
      }
    }

    /** Every member receives everything in flight to it; then every pair's logs are equal. */
    private void drain(GroupFixture f) throws Exception {
      for (String id : IDS) {
        for (String peer : IDS) {
          if (!peer.equals(id)) {
            while (logs.get(id).copy().received.get(peer).size() < logs.get(peer).copy().sent.get(id).size()) {
              receive(f, id, peer);
              checkPrefixes();
            }
            receive(f, id, peer); // nothing more: a late duplicate or orphan would show here
            checkPrefixes();
            assertEquals(logs.get(peer).copy().sent.get(id), logs.get(id).copy().received.get(peer),
                id + " received from " + peer + " exactly what " + peer + " sent it" + context());
          }
        }
      }
    }

    private void checkPrefixes() {
      checkCut(snapshot());
    }

    /** Per ordered pair: the receiver's log is a prefix of the sender's, without duplicates. */
    private void checkCut(Map<String, Logs> state) {
      for (String from : IDS) {
        for (String to : IDS) {
          if (from.equals(to)) {
            continue;
          }
          List<Long> sent = state.get(from).sent.get(to);
          List<Long> received = state.get(to).received.get(from);
          Set<Long> distinct = new HashSet<>(received);
          if (distinct.size() != received.size()) {
            fail(to + " received a message from " + from + " twice: " + received + context());
          }
          if (received.size() > sent.size() || !sent.subList(0, received.size()).equals(received)) {
            fail(to + " received " + received + " from " + from + ", not a prefix of what " + from + " sent, " + sent
                + " (lost, reordered or orphan)" + context());
          }
        }
      }
    }

    /** Every member is at its local epoch of the group's global epoch, with the logs the model has in it. */
    private void checkAtHead(GroupFixture f) throws IOException {
      GlobalEpoch g = globalEpoch(f, head);
      for (String m : IDS) {
        assertEquals(g.localEpoch(m), f.member(m).cp.currentEpoch(), m + "'s local epoch" + context());
        assertEquals(model.get(head).get(m), logs.get(m), m + "'s logs at global epoch " + head + context());
      }
    }

    private static GlobalEpoch globalEpoch(GroupFixture f, long id) throws IOException {
      return f.group("c").globalEpochs().stream().filter(e -> e.id() == id).findFirst().orElseThrow();
    }

    private Map<String, Logs> snapshot() {
      Map<String, Logs> s = new HashMap<>();
      logs.forEach((m, l) -> s.put(m, l.copy()));
      return s;
    }

    private String context() {
      return "\nafter " + String.join("; ", history);
    }
  }
}
