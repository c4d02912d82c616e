package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.group.testing.Seeds;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three members in child JVMs ({@link GroupChild}) that send each other messages in every step;
 * a member, the committing one included, is killed with SIGKILL at a step of a commit round
 * (open, capture, captured, ready, decide, decided; the member whose ready completes the roster
 * decides, so a worker is killed at decide and decided too) or of the recovery that follows a restart
 * (pending, restore, restored), aimed at the line the child prints, and restarted. Each time
 * the restarted member must rejoin at a global epoch no older than the last commit reported,
 * every member restored must be at its local epoch of it, and the group must commit again.
 * Every message received must be the next one its sender's state sent (no duplicate, gap,
 * reordering or orphan, checked by the receiving child); at the end the members stop sending
 * and every message their states sent must be received (none lost).
 *
 * <p>{@code -Dmetamori.kills=N} (default 6; the {@code soak} profile runs 500).
 */
class SigkillGroupTest {
  static final int KILLS = Integer.getInteger("metamori.kills", 6);
  static final List<String> ROUND = List.of("open", "capture", "captured", "ready", "decide", "decided");
  /** A worker whose ready completes the roster decides the round: it is killed there too. */
  static final List<String> WORKER_ROUND = List.of("capture", "captured", "ready", "decide", "decided");
  static final List<String> RECOVERY = List.of("pending", "restore", "restored");
  static final long WAIT = 60;
  /** Where the children's standard error goes, kept after the run. */
  static final Path ERRORS = Path.of("target", "sigkill-group");

  /** A child JVM and the lines it printed. */
  static final class Child {
    final String id;
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> all;

    Child(String id, Process process, List<String> all) {
      this.id = id;
      this.process = process;
      this.all = all;
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            all.add(id + ": " + l);
            lines.add(l);
          }
        } catch (IOException e) {
          // killed
        }
      }, "child-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    /** Waits for the next line starting with {@code prefix}, skipping others. */
    String await(String prefix) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
      while (true) {
        String l = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null) {
          fail(id + " printed no line starting with '" + prefix + "' within " + WAIT + " s" + (process.isAlive() ? "" : " (it exited)")
              + "; the last lines:\n" + String.join("\n", all.subList(Math.max(0, all.size() - 60), all.size())));
        }
        if (l.startsWith(prefix)) {
          return l;
        }
      }
    }

    /** Writes {@code command} on a line of the child's standard input. */
    void tell(String command) throws IOException {
      process.getOutputStream().write((command + "\n").getBytes(StandardCharsets.UTF_8));
      process.getOutputStream().flush();
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  @Test
  void membersKilledAtEveryStepOfARoundOrARecoveryRejoinAndTheGroupGoesOn(@TempDir Path dir) throws Exception {
    long seed = Seeds.seed(0x6B111L);
    Seeds.run("SigkillGroupTest.membersKilledAtEveryStepOfARoundOrARecoveryRejoinAndTheGroupGoesOn", seed,
        () -> campaign(dir, new SplittableRandom(seed)), "metamori.kills=" + KILLS);
  }

  private void campaign(Path dir, SplittableRandom random) throws Exception {
    List<String> log = new CopyOnWriteArrayList<>();
    Map<String, Child> children = new TreeMap<>();
    try (TestingServer zk = new TestingServer(true)) {
      for (String id : List.of("a", "b", "c")) {
        children.put(id, start(zk, dir, id, log));
      }
      for (Child c : children.values()) {
        c.await("joined");
      }
      long committed = lastCommitted(children.get("a"));
      for (int k = 0; k < KILLS; k++) {
        String victim = List.of("a", "b", "c").get(random.nextInt(3));
        List<String> points = victim.equals("a") ? ROUND : WORKER_ROUND;
        String point = points.get(random.nextInt(points.size()));
        boolean recovery = random.nextBoolean();
        log.add("test: kill " + k + ": " + victim + " at " + point + (recovery ? ", then a kill during the recovery" : ""));
        if (k % 25 == 0) {
          System.out.println("SigkillGroupTest: kill " + k + " of " + KILLS);
        }
        Child v = children.get(victim);
        v.lines.clear();
        v.await("trace " + point + " ");
        v.kill();
        committed = Math.max(committed, committedIn(log));
        List<String> restarted = new ArrayList<>(List.of(victim));
        children.put(victim, start(zk, dir, victim, log));
        if (recovery) {
          String second = List.of("a", "b", "c").get(random.nextInt(3));
          String rpoint = second.equals(victim) ? RECOVERY.get(random.nextInt(3)) : RECOVERY.get(1 + random.nextInt(2));
          log.add("test: kill " + k + ": then " + second + " at " + rpoint);
          Child s = children.get(second);
          s.await("trace " + rpoint + " ");
          s.kill();
          children.put(second, start(zk, dir, second, log));
          if (!restarted.contains(second)) {
            restarted.add(second);
          }
        }
        long head = 0;
        for (String id : restarted) {
          String joined = children.get(id).await("joined");
          head = Math.max(head, Long.parseLong(joined.split(" ")[1]));
        }
        assertTrue(head >= committed, "the group rejoined at global epoch " + head
            + ", older than the last one committed, " + committed + "\n" + String.join("\n", log));
        // the group goes on: the committer commits a newer global epoch
        Child a = children.get("a");
        while (Long.parseLong(a.await("committed ").split(" ")[1]) <= head) {
          // an older round's result
        }
        committed = Math.max(committed, committedIn(log));
      }
      drain(children, log);
      for (Child c : children.values()) {
        c.kill();
      }
      List<String> bad = log.stream().filter(l -> l.contains("BAD")).toList();
      assertFalse(!bad.isEmpty(), "broken invariants:\n" + String.join("\n", bad) + "\n\nwhole run:\n" + String.join("\n", log));
    } finally {
      for (Child c : children.values()) {
        c.process.destroyForcibly();
      }
    }
  }

  /**
   * Stops the members' sends and commits, and waits until each has received everything the
   * others' states sent it: per ordered pair, the receiver's count and hash chain equal the
   * sender's. Once a member has printed its traffic its sends are final (nobody is killed or
   * restored any more), so each receiver is awaited in turn.
   */
  private static void drain(Map<String, Child> children, List<String> log) throws Exception {
    log.add("test: drain");
    for (Child c : children.values()) {
      c.tell("drain");
    }
    Map<String, Map<String, String[]>> traffic = new TreeMap<>(); // member -> peer -> sent, sent chain, received, received chain
    for (Child c : children.values()) {
      traffic.put(c.id, parse(c.await("channels ")));
    }
    for (Child c : children.values()) {
      while (true) {
        List<String> missing = new ArrayList<>();
        traffic.get(c.id).forEach((peer, v) -> {
          String[] sent = traffic.get(peer).get(c.id);
          if (!(v[2] + ":" + v[3]).equals(sent[0] + ":" + sent[1])) {
            missing.add(peer + " sent " + sent[0] + " (chain " + sent[1] + "), " + c.id + " received " + v[2] + " (chain " + v[3] + ")");
          }
        });
        if (missing.isEmpty()) {
          break;
        }
        log.add("test: " + c.id + " waits: " + missing);
        try {
          traffic.put(c.id, parse(c.await("channels ")));
        } catch (AssertionError e) {
          throw new AssertionError(c.id + " stopped receiving before it had every message sent to it (lost): " + missing, e);
        }
      }
    }
    StringBuilder counts = new StringBuilder();
    traffic.forEach((id, peers) -> peers.forEach((peer, v) -> counts.append(' ').append(peer).append('>').append(id).append(' ').append(v[2])));
    log.add("test: every message sent was received:" + counts);
    System.out.println("SigkillGroupTest: every message sent was received, per pair:" + counts);
  }

  /** A child's "channels peer:sent:chain:received:chain ..." line, by peer. */
  private static Map<String, String[]> parse(String line) {
    Map<String, String[]> m = new TreeMap<>();
    for (String t : line.substring("channels ".length()).trim().split(" ")) {
      String[] f = t.split(":");
      m.put(f[0], new String[] {f[1], f[2], f[3], f[4]});
    }
    return m;
  }

  private static long lastCommitted(Child a) {
    return committedIn(a.all);
  }

  private static long committedIn(List<String> log) {
    long g = 0;
    for (String l : log) {
      if (l.startsWith("a: committed ")) {
        g = Math.max(g, Long.parseLong(l.substring("a: committed ".length()).trim()));
      }
    }
    return g;
  }

  private static Child start(TestingServer zk, Path dir, String id, List<String> log) throws IOException {
    return start(zk, dir, "kills", id, "a,b,c", true, log);
  }

  /** Starts member {@code id} of {@code group} (roster: comma-separated) in a child JVM; "a" commits; no messages. */
  static Child start(TestingServer zk, Path dir, String group, String id, String roster, List<String> log) throws IOException {
    return start(zk, dir, group, id, roster, false, log);
  }

  /** As {@link #start(TestingServer, Path, String, String, String, List)}; with {@code traffic}, the members send each other messages. */
  static Child start(TestingServer zk, Path dir, String group, String id, String roster, boolean traffic, List<String> log)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx128m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(GroupChild.class.getName());
    command.addAll(List.of(zk.getConnectString(), group, id, roster, dir.resolve(id).toString(), Boolean.toString(id.equals("a")),
        Boolean.toString(traffic)));
    Files.createDirectories(dir.resolve(id));
    Process p = new ProcessBuilder(command)
        .redirectError(ProcessBuilder.Redirect.appendTo(Files.createDirectories(ERRORS).resolve(group + "-" + id + ".err").toFile()))
        .start();
    return new Child(id, p, log);
  }
}
