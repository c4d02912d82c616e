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
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The figures of docs/group.md, printed as a table; not part of the default test run:
 * {@code mvn -Pfigures -pl core,group test -Dtest=GroupFigures -Dsurefire.failIfNoSpecifiedTests=false}.
 *
 * <ul>
 *   <li>commit latency: each member changes one 4 KiB block of a tracked file, then a local
 *       {@code Checkpointer.commit()} of one member, and a global {@code CheckpointGroup.commit()}
 *       of the group (members in this JVM, each with its own store; durability PROCESS, so each
 *       local commit forces its journal and files); {@code metamori.figures.commits} of each.
 *   <li>recovery: members in child JVMs (one commits in a loop, the others step); one worker is
 *       killed with SIGKILL and restarted at once; the time from the kill until the restarted
 *       member has rejoined (the group rolled back to its global epoch), and until the group's
 *       next global commit.
 * </ul>
 */
class GroupFigures {
  static final int COMMITS = Integer.getInteger("metamori.figures.commits", 100);
  static final int DEATHS = Integer.getInteger("metamori.figures.deaths", 5);

  @Test
  void figures(@TempDir Path dir) throws Exception {
    StringBuilder table = new StringBuilder("\n| members | local commit p50 / p90 | global commit p50 / p90 | of which coordination p50 / p90 | kill → rejoined p50 | kill → next global commit p50 |\n|---|---|---|---|---|---|\n");
    try (TestingServer zk = new TestingServer(true)) {
      for (int n : new int[] {3, 5}) {
        double[][] commits = commitLatency(Files.createDirectories(dir.resolve("c" + n)), zk, n);
        double[][] deaths = recovery(Files.createDirectories(dir.resolve("d" + n)), zk, n);
        table.append(String.format("| %d | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %.0f ms | %.0f ms |%n", n,
            p(commits[0], 50), p(commits[0], 90), p(commits[1], 50), p(commits[1], 90), p(commits[2], 50), p(commits[2], 90),
            p(deaths[0], 50), p(deaths[1], 50)));
      }
    }
    System.out.println(table);
    System.out.println(Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.name") + " "
        + System.getProperty("java.version"));
  }

  private double[][] commitLatency(Path dir, TestingServer zk, int n) throws Exception {
    String[] ids = ids(n);
    double[] local = new double[COMMITS];
    double[] global = new double[COMMITS];
    double[] coordination = new double[COMMITS];
    Map<String, Long> started = new java.util.concurrent.ConcurrentHashMap<>();
    Map<Long, Double> slowest = new java.util.concurrent.ConcurrentHashMap<>();
    dev.metamori.group.internal.Trace.to(step -> {
      String[] w = step.split(" ");
      String key = Thread.currentThread().getName() + " " + w[1];
      if (w[0].equals("capture")) {
        started.put(key, System.nanoTime());
      } else if (w[0].equals("captured") && started.containsKey(key)) {
        slowest.merge(Long.parseLong(w[1]), (System.nanoTime() - started.remove(key)) / 1e6, Math::max);
      }
    });
    GroupFixture f = new GroupFixture(dir, zk.getConnectString(), "latency" + n, Duration.ofSeconds(10), Duration.ofSeconds(60), ids);
    try (f) {
      f.durability = dev.metamori.Durability.PROCESS;
      f.start();
      byte[] block = new byte[4096];
      for (int i = 0; i < COMMITS; i++) {
        for (String id : ids) {
          Arrays.fill(block, (byte) i);
          Files.write(f.member(id).cp.fileSystem().getPath(f.member(id).data.resolve("x").toString()), block);
        }
        long t0 = System.nanoTime();
        f.member("a").cp.commit();
        long t1 = System.nanoTime();
        long g = f.group("a").commit();
        long t2 = System.nanoTime();
        local[i] = (t1 - t0) / 1e6;
        global[i] = (t2 - t1) / 1e6;
        coordination[i] = global[i] - slowest.getOrDefault(g, 0.0);
      }
    }
    dev.metamori.group.internal.Trace.to(null);
    return new double[][] {local, global, coordination};
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

  private static double p(double[] values, int percent) {
    double[] s = values.clone();
    Arrays.sort(s);
    return s[Math.min(s.length - 1, (int) Math.ceil(percent / 100.0 * s.length) - 1)];
  }
}
