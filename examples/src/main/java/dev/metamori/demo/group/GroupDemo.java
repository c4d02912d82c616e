package dev.metamori.demo.group;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.curator.test.TestingServer;

/**
 * The group demo: three processes, each with its own Metamori store, compute a {@link Ring}
 * together over group channels, coordinated by an embedded ZooKeeper, and commit a global
 * epoch every few steps. Member b is killed with SIGKILL between two global epochs and
 * restarted; the group rolls back to the newest global epoch (every member's files and state
 * at its local epoch of it, the messages in flight at the cut delivered again) and goes on to
 * the end. The results must equal those of a run without the kill, which {@link
 * Ring#expected} computes; the exit status is 1 if they do not.
 *
 * <p>Run from the root: {@code mvn -q -DskipTests package exec:exec@group-demo} (work directory:
 * {@code examples/target/group-demo}, or the first argument).
 */
public final class GroupDemo {
  static final int STEPS = 24;
  static final int COMMIT_EVERY = 4;
  /** Member b stops after this step, between the global epochs of steps 12 and 16, and is killed. */
  static final int KILL_AT = 14;
  static final String VICTIM = "b";
  private static final long WAIT_SECONDS = 90;
  private static final String LOG_LEVEL = "org.slf4j.simpleLogger.defaultLogLevel";
  private static final Pattern NUMBER = Pattern.compile("\\d+");

  /**
   * What the demo saw.
   *
   * @param lastCommitted the newest global epoch when b was killed
   * @param rejoinedAt the global epoch the restarted b joined at
   * @param rolledBack the "rolledback" line of each member that was not killed
   * @param results each member's results file at the end
   * @param expected each member's results file in a run without the kill
   * @param lines every line the members printed, prefixed with their id
   */
  record Outcome(
      long lastCommitted,
      long rejoinedAt,
      Map<String, String> rolledBack,
      Map<String, String> results,
      Map<String, String> expected,
      List<String> lines) {
    boolean resultsMatch() {
      return results.equals(expected);
    }
  }

  public static void main(String[] args) throws Exception {
    if (System.getProperty(LOG_LEVEL) == null) {
      System.setProperty(LOG_LEVEL, "error"); // the embedded ZooKeeper server's log
    }
    Path work = Paths.get(args.length > 0 ? args[0] : "target/group-demo").toAbsolutePath();
    Outcome outcome = run(work, System.out);
    System.exit(outcome.resultsMatch() ? 0 : 1);
  }

  static Outcome run(Path work, PrintStream out) throws Exception {
    if (Files.exists(work)) {
      deleteTree(work);
    }
    Files.createDirectories(work);
    List<String> lines = Collections.synchronizedList(new ArrayList<>());
    Map<String, Member> members = new TreeMap<>();
    out.println("Metamori group demo: members a, b, c, each in its own JVM with its own store, compute a ring");
    out.println("  (a -> b -> c -> a) over group channels for " + STEPS + " steps; a commits a global epoch every "
        + COMMIT_EVERY + " steps");
    out.println("  in " + work + ": member m's store in m/store, its tracked tree m/data (results.csv), its log m.log");
    out.println("  (global epoch ids are round numbers: a round that rolls back or aborts leaves a gap)");
    try (TestingServer zookeeper = new TestingServer(-1, Files.createDirectories(work.resolve("zookeeper")).toFile(), true)) {
      out.println("  embedded ZooKeeper at " + zookeeper.getConnectString());
      out.println();
      for (String id : Ring.MEMBERS) {
        members.put(id, Member.start(zookeeper, work, id, id.equals(VICTIM) ? KILL_AT : 0, out, lines));
      }
      for (Member m : members.values()) {
        m.await("joined ");
      }
      Member victim = members.get(VICTIM);
      victim.await("holding after step " + KILL_AT);
      // a committed the global epoch of step 12 before b could take step 14 (b needs a's value)
      long committed = members.get("a").awaitCommitOf(KILL_AT - KILL_AT % COMMIT_EVERY);
      out.printf("%n== SIGKILL member %s (pid %d) after its step %d; the newest global epoch is %d ==%n%n",
          VICTIM, victim.process.pid(), KILL_AT, committed);
      victim.kill();
      Member restarted = Member.start(zookeeper, work, VICTIM, 0, out, lines);
      members.put(VICTIM, restarted);
      out.printf("%n== member %s restarted (pid %d): it rejoins, and the group rolls back ==%n%n",
          VICTIM, restarted.process.pid());
      long rejoinedAt = numbers(restarted.await("joined "))[0];
      Map<String, String> rolledBack = new TreeMap<>();
      for (Member m : members.values()) {
        if (m != restarted) {
          rolledBack.put(m.id, m.await("rolled back "));
        }
      }
      for (Member m : members.values()) {
        m.await("done: ");
      }
      for (Member m : members.values()) {
        if (!m.process.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
          throw new IllegalStateException("member " + m.id + " did not exit after it was done");
        }
        if (m.process.exitValue() != 0) {
          throw new IllegalStateException("member " + m.id + " exited with status " + m.process.exitValue()
              + "; see " + work.resolve(m.id + ".log"));
        }
      }
      Map<String, String> expected = Ring.expected(STEPS);
      Map<String, String> results = new TreeMap<>();
      for (String id : Ring.MEMBERS) {
        results.put(id, read(work.resolve(id).resolve("data/results.csv")));
      }
      out.println();
      for (String id : Ring.MEMBERS) {
        String r = results.get(id);
        out.printf("%s: results.csv has %d lines, last value %d: %s%n", id, r.lines().count(), Ring.lastValue(id, r),
            r.equals(expected.get(id)) ? "the same as a run without the kill" : "DIFFERENT from a run without the kill");
      }
      Outcome outcome = new Outcome(committed, rejoinedAt, rolledBack, results, expected, List.copyOf(lines));
      out.println(outcome.resultsMatch()
          ? "OK: the group rolled back to global epoch " + rejoinedAt + " and finished with the results of a run without the kill"
          : "FAILED: the results differ from those of a run without the kill");
      return outcome;
    } finally {
      for (Member m : members.values()) {
        m.process.destroyForcibly();
      }
    }
  }

  /** A member's JVM: the demo prints its lines (but the "step" ones) and waits on them. */
  static final class Member {
    final String id;
    final Process process;
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();

    private Member(String id, Process process, PrintStream out, List<String> lines) {
      this.id = id;
      this.process = process;
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
          for (String l; (l = r.readLine()) != null; ) {
            lines.add(id + " " + l);
            if (!l.startsWith("step ")) {
              out.println("  " + id + " | " + l);
            }
            queue.add(l);
          }
        } catch (IOException e) {
          // the process was killed
        }
      }, "member-" + id);
      reader.setDaemon(true);
      reader.start();
    }

    static Member start(TestingServer zookeeper, Path work, String id, int holdAt, PrintStream out, List<String> lines)
        throws IOException {
      List<String> command = new ArrayList<>();
      command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
      command.add("--enable-native-access=ALL-UNNAMED");
      command.add("-XX:TieredStopAtLevel=1");
      command.add("-XX:+UseSerialGC");
      command.add("-Xmx128m");
      command.add("-D" + LOG_LEVEL + "=warn"); // to the member's log
      command.add("-cp");
      command.add(System.getProperty("java.class.path"));
      command.add(RingMember.class.getName());
      command.addAll(List.of(zookeeper.getConnectString(), "ring", id, work.resolve(id).toString(),
          Integer.toString(STEPS), Integer.toString(COMMIT_EVERY), Integer.toString(holdAt)));
      Process p = new ProcessBuilder(command)
          .redirectError(ProcessBuilder.Redirect.appendTo(work.resolve(id + ".log").toFile()))
          .start();
      return new Member(id, p, out, lines);
    }

    /** Waits for the next line starting with {@code prefix}, skipping others. */
    String await(String prefix) throws InterruptedException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
      while (true) {
        String l = queue.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (l == null) {
          throw new IllegalStateException("member " + id + " printed no line starting with '" + prefix + "' within "
              + WAIT_SECONDS + " s" + (process.isAlive() ? "" : " (it exited)"));
        }
        if (l.startsWith(prefix)) {
          return l;
        }
      }
    }

    /** Waits for this member (the committer) to report the global epoch of {@code step}; returns its id. */
    long awaitCommitOf(int step) throws InterruptedException {
      while (true) {
        long[] n = numbers(await("committed ")); // global epoch, step, local epoch
        if (n[1] == step) {
          return n[0];
        }
      }
    }

    void kill() throws InterruptedException {
      process.destroyForcibly();
      process.waitFor();
    }
  }

  /** The numbers in a member's line, in order. */
  static long[] numbers(String line) {
    return NUMBER.matcher(line).results().mapToLong(r -> Long.parseLong(r.group())).toArray();
  }

  private static String read(Path file) throws IOException {
    try {
      return Files.readString(file);
    } catch (NoSuchFileException e) {
      return "";
    }
  }

  /** Deletes the work directory of an earlier run; links are deleted, not followed. */
  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
