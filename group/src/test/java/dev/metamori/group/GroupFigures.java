package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.AddWatchMode;
import org.apache.zookeeper.Watcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures of docs/group.md, printed as a table; not part of the default test run:
 * {@code mvn -Pfigures -pl core,group test -Dtest=GroupFigures -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <ul>
 *   <li>commit latency: each member changes one 4 KiB block of a tracked file, then a local
 *       commit of one member ({@code Checkpointer.commitAsync()} until its epoch is durable, as
 *       {@code commit()}), and a global {@code CheckpointGroup.commit()}
 *       of the group (members in this JVM, each with its own store; durability PROCESS, so each
 *       local commit forces its journal and files); {@code metamori.figures.commits} of each.
 *   <li>the floor, in the same run: one forced ZooKeeper write round trip ({@code setData} of a
 *       scratch znode, waited for) and the time from such a write until another session's
 *       persistent watch (as the members use) is notified, both measured with the group idle; and
 *       the same write once in every iteration of the commit loop, between the local and the
 *       global commit (the conditions the round's open meets). Coordination is also given in
 *       units of each of the two write round trips.
 *   <li>the capture pause: how long a local {@code Checkpointer.commitAsync()} of one member
 *       holds the application (until the call returns), against how long a member's capture in
 *       a global commit holds its steps (from taking its safe-point gate to giving it back: the
 *       channels' state and the same {@code commitAsync()}), the longest member's in each round.
 *   <li>where a global commit's time goes, from the steps the members trace (p50 of each span,
 *       from the call of {@code commit()}): the open multi done, the last member starting its
 *       capture, the slowest member's epoch durable, the last {@code ready} written, the
 *       decision written, {@code commit()} returned.
 *   <li>recovery: members in child JVMs (one commits in a loop, the others step); one worker is
 *       killed with SIGKILL and restarted at once; the time from the kill until the restarted
 *       member has rejoined (the group rolled back to its global epoch), and until the group's
 *       next global commit.
 * </ul>
 */
class GroupFigures {
  static final int COMMITS = Integer.getInteger("metamori.figures.commits", 100);
  static final int DEATHS = Integer.getInteger("metamori.figures.deaths", 5);

  static final String SCRATCH = "/metamori/figures/scratch";
  static final int ROUND_TRIPS = Integer.getInteger("metamori.figures.roundTrips", 200);
  /** The traced steps of a round whose times {@link #commitLatency} keeps, in the order they happen. */
  static final List<String> STEPS = List.of("open", "capture", "captured", "ready", "decide", "decided");
  /** What the time of each of {@link #STEPS} measures. */
  static final List<String> SPANS = List.of("open done", "last capture started", "slowest epoch durable", "last ready written",
      "decide multi sent", "decided");

  @Test
  void figures(@TempDir Path dir) throws Exception {
    StringBuilder table = new StringBuilder("\n| members | ZooKeeper write p50 / p90 (idle; in the loop) | write → watch p50 / p90 | local commit p50 / p90 | global commit p50 / p90 | of which coordination p50 / p90 | coordination p50 in writes (idle / in the loop) | capture pause p50 / p90: alone; in the group | kill → rejoined p50 | kill → next global commit p50 |\n|---|---|---|---|---|---|---|---|---|---|\n");
    StringBuilder spans = new StringBuilder("\nwhere a global commit's time goes (p50, ms from the call of commit()):\n");
    try (TestingServer zk = new TestingServer(true)) {
      for (int n : new int[] {3, 5}) {
        double[][] floor = floor(zk);
        double[][] commits = commitLatency(Files.createDirectories(dir.resolve("c" + n)), zk, n);
        double[][] deaths = recovery(Files.createDirectories(dir.resolve("d" + n)), zk, n);
        double[] loop = commits[3 + STEPS.size()];
        double[] pauseAlone = commits[4 + STEPS.size()];
        double[] pauseInGroup = commits[5 + STEPS.size()];
        table.append(String.format("| %d | %.1f / %.1f ms; %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f | %.2f / %.2f ms; %.2f / %.2f ms | %.0f ms | %.0f ms |%n", n,
            p(floor[0], 50), p(floor[0], 90), p(loop, 50), p(loop, 90), p(floor[1], 50), p(floor[1], 90),
            p(commits[0], 50), p(commits[0], 90), p(commits[1], 50), p(commits[1], 90), p(commits[2], 50), p(commits[2], 90),
            p(commits[2], 50) / p(floor[0], 50), p(commits[2], 50) / p(loop, 50),
            p(pauseAlone, 50), p(pauseAlone, 90), p(pauseInGroup, 50), p(pauseInGroup, 90), p(deaths[0], 50), p(deaths[1], 50)));
        spans.append(n).append(" members:");
        for (int i = 0; i < STEPS.size(); i++) {
          spans.append(String.format(" %s %.1f,", SPANS.get(i), p(commits[3 + i], 50)));
        }
        spans.append(String.format(" returned %.1f%n", p(commits[1], 50)));
      }
    }
    System.out.println(table);
    System.out.println(spans);
    System.out.println(Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version"));
  }

  /**
   * The floor: {@code ROUND_TRIPS} forced writes ({@code setData} of a scratch znode, each
   * waited for), and for each the time until another session's persistent watch on it fires.
   */
  private double[][] floor(TestingServer zk) throws Exception {
    double[] write = new double[ROUND_TRIPS];
    double[] watch = new double[ROUND_TRIPS];
    String path = SCRATCH;
    try (CuratorFramework writer = client(zk); CuratorFramework watcher = client(zk)) {
      writer.create().orSetData().creatingParentsIfNeeded().forPath(path, new byte[8]);
      BlockingQueue<Long> notified = new LinkedBlockingQueue<>();
      watcher.watchers().add().withMode(AddWatchMode.PERSISTENT).usingWatcher((Watcher) e -> notified.add(System.nanoTime()))
          .forPath(path);
      for (int i = 0; i < ROUND_TRIPS; i++) {
        notified.clear();
        long t0 = System.nanoTime();
        writer.setData().forPath(path, java.nio.ByteBuffer.allocate(8).putLong(0, i).array());
        long t1 = System.nanoTime();
        Long seen = notified.poll(10, TimeUnit.SECONDS);
        write[i] = (t1 - t0) / 1e6;
        watch[i] = seen == null ? Double.NaN : (seen - t0) / 1e6;
      }
    }
    return new double[][] {write, watch};
  }

  private static CuratorFramework client(TestingServer zk) throws InterruptedException {
    CuratorFramework c = CuratorFrameworkFactory.newClient(zk.getConnectString(), new ExponentialBackoffRetry(100, 3));
    c.start();
    c.blockUntilConnected();
    return c;
  }

  /**
   * Local and global commit latencies, coordination, and for each of {@link #STEPS} the time from
   * the call of {@code commit()} until the last member traced it (the first, for open), and the
   * scratch write of each iteration.
   */
  private double[][] commitLatency(Path dir, TestingServer zk, int n) throws Exception {
    String[] ids = ids(n);
    double[] local = new double[COMMITS];
    double[] global = new double[COMMITS];
    double[] coordination = new double[COMMITS];
    double[][] steps = new double[STEPS.size()][COMMITS];
    double[] loopWrite = new double[COMMITS];
    Map<String, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
    Map<Long, Double> slowest = new java.util.concurrent.ConcurrentHashMap<>();
    Map<String, Long> last = new java.util.concurrent.ConcurrentHashMap<>(); // step and round -> when last traced
    Map<String, Long> paused = new java.util.concurrent.ConcurrentHashMap<>();
    Map<Long, Double> longestPause = new java.util.concurrent.ConcurrentHashMap<>();
    dev.metamori.group.internal.Trace.to(step -> {
      long now = System.nanoTime();
      String[] w = step.split(" ");
      String key = Thread.currentThread().getName() + " " + w[1];
      last.merge(w[0] + " " + w[1], now, w[0].equals("open") ? Math::min : Math::max);
      if (w[0].equals("capture")) {
        started.put(key, now);
        paused.put(key, now);
      } else if (w[0].equals("resumed") && paused.containsKey(key)) {
        longestPause.merge(Long.parseLong(w[1]), (now - paused.remove(key)) / 1e6, Math::max);
      } else if (w[0].equals("captured") && started.containsKey(key)) {
        slowest.merge(Long.parseLong(w[1]), (now - started.remove(key)) / 1e6, Math::max);
      }
    });
    double[] pauseAlone = new double[COMMITS];
    double[] pauseInGroup = new double[COMMITS];
    GroupFixture f = new GroupFixture(dir, zk.getConnectString(), "latency" + n, Duration.ofSeconds(10), Duration.ofSeconds(60), ids);
    try (f; CuratorFramework scratch = client(zk)) {
      scratch.create().orSetData().creatingParentsIfNeeded().forPath(SCRATCH, new byte[8]);
      f.durability = dev.metamori.Durability.PROCESS;
      f.start();
      byte[] block = new byte[4096];
      for (int i = 0; i < COMMITS; i++) {
        for (String id : ids) {
          Arrays.fill(block, (byte) i);
          Files.write(f.member(id).cp.fileSystem().getPath(f.member(id).data.resolve("x").toString()), block);
        }
        long t0 = System.nanoTime();
        java.util.concurrent.CompletableFuture<Long> durable = f.member("a").cp.commitAsync();
        pauseAlone[i] = (System.nanoTime() - t0) / 1e6;
        durable.get();
        long w = System.nanoTime();
        scratch.setData().forPath(SCRATCH, new byte[8]);
        loopWrite[i] = (System.nanoTime() - w) / 1e6;
        long t1 = System.nanoTime();
        local[i] = (w - t0) / 1e6;
        long g = f.group("a").commit();
        long t2 = System.nanoTime();
        global[i] = (t2 - t1) / 1e6;
        coordination[i] = global[i] - slowest.getOrDefault(g, 0.0);
        pauseInGroup[i] = longestPause.getOrDefault(g, Double.NaN);
        for (int k = 0; k < STEPS.size(); k++) {
          Long at = last.get(STEPS.get(k) + " " + g);
          steps[k][i] = at == null ? Double.NaN : (at - t1) / 1e6;
        }
        last.clear();
      }
    }
    dev.metamori.group.internal.Trace.to(null);
    double[][] out = new double[6 + STEPS.size()][];
    out[3 + STEPS.size()] = loopWrite;
    out[4 + STEPS.size()] = pauseAlone;
    out[5 + STEPS.size()] = pauseInGroup;
    out[0] = local;
    out[1] = global;
    out[2] = coordination;
    System.arraycopy(steps, 0, out, 3, STEPS.size());
    return out;
  }

  private double[][] recovery(Path dir, TestingServer zk, int n) throws Exception {
    String[] ids = ids(n);
    String roster = String.join(",", ids);
    String group = "deaths" + n;
    List<String> log = new CopyOnWriteArrayList<>();
    Map<String, SigkillGroupTest.Child> children = new TreeMap<>();
    double[] rejoined = new double[DEATHS];
    double[] committed = new double[DEATHS];
    try {
      for (String id : ids) {
        children.put(id, SigkillGroupTest.start(zk, dir, group, id, roster, log));
      }
      for (SigkillGroupTest.Child c : children.values()) {
        c.await("joined");
      }
      for (int k = 0; k < DEATHS; k++) {
        String victim = ids[1 + k % (n - 1)];
        SigkillGroupTest.Child a = children.get("a");
        a.await("committed ");
        long t0 = System.nanoTime();
        children.get(victim).kill();
        SigkillGroupTest.Child v = SigkillGroupTest.start(zk, dir, group, victim, roster, log);
        children.put(victim, v);
        long head = Long.parseLong(v.await("joined").split(" ")[1]);
        long t1 = System.nanoTime();
        a.lines.clear();
        while (Long.parseLong(a.await("committed ").split(" ")[1]) <= head) {
          // a round of before the rejoin
        }
        long t2 = System.nanoTime();
        rejoined[k] = (t1 - t0) / 1e6;
        committed[k] = (t2 - t0) / 1e6;
      }
      assertTrue(log.stream().noneMatch(l -> l.contains("BAD")), String.join("\n", log));
    } finally {
      for (SigkillGroupTest.Child c : children.values()) {
        c.process.destroyForcibly();
      }
    }
    return new double[][] {rejoined, committed};
  }

  private static String[] ids(int n) {
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ids.add(String.valueOf((char) ('a' + i)));
    }
    return ids.toArray(String[]::new);
  }

  /** The {@code percent} percentile of {@code values}, leaving out the missing ones (NaN). */
  private static double p(double[] values, int percent) {
    double[] s = Arrays.stream(values).filter(v -> !Double.isNaN(v)).toArray();
    if (s.length == 0) {
      return Double.NaN;
    }
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(percent / 100.0 * s.length) - 1)];
  }
}
