package dev.metamori.crash;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link CrashWorkload} (or another workload) running in a child JVM, read line by line. {@link #kill()} sends
 * SIGKILL ({@link Process#destroyForcibly()} on Unix). A watchdog kills a child that runs
 * longer than its time limit, so a hang fails the test instead of blocking it.
 */
final class CrashChild implements AutoCloseable {
  private static final ScheduledExecutorService WATCHDOG =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "crash-child-watchdog");
            t.setDaemon(true);
            return t;
          });

  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final Path stderr;
  private final ScheduledFuture<?> watchdog;
  private final Deque<String> recent = new ArrayDeque<>();
  private volatile boolean timedOut;
  private boolean destroyed;
  private int status = -1;

  private CrashChild(Process process, Path stderr, long timeLimitSeconds) {
    this.process = process;
    this.stderr = stderr;
    this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    this.watchdog =
        WATCHDOG.schedule(
            () -> {
              timedOut = true;
              process.destroyForcibly();
            },
            timeLimitSeconds,
            TimeUnit.SECONDS);
  }

  static CrashChild start(Path stderr, long timeLimitSeconds, String... args) throws IOException {
    return start(CrashWorkload.class, stderr, timeLimitSeconds, args);
  }

  /** Starts {@code main} (a class with a {@code main} method on the test class path) instead. */
  static CrashChild start(Class<?> main, Path stderr, long timeLimitSeconds, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-Xmx256m");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    Process p =
        new ProcessBuilder(command)
            .redirectError(ProcessBuilder.Redirect.to(stderr.toFile()))
            .start();
    return new CrashChild(p, stderr, timeLimitSeconds);
  }

  /** The next line the child printed, or null once it has exited. */
  String nextLine() throws IOException {
    String line = out.readLine();
    if (line != null) {
      recent.addLast(line);
      if (recent.size() > 60) {
        recent.removeFirst();
      }
    }
    return line;
  }

  /** Lets a child waiting before commit or rollback go on. */
  void go() throws IOException {
    try {
      in.write("go\n");
      in.flush();
    } catch (IOException e) {
      if (process.isAlive()) {
        throw e;
      }
    }
  }

  /**
   * Sends SIGKILL and waits until the process is gone. Destroying a process closes its pipes:
   * nothing more can be read from it.
   */
  void kill() throws InterruptedException {
    destroyed = true;
    process.destroyForcibly();
    status = process.waitFor();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** {@link #kill()} was called: stop reading. */
  boolean destroyed() {
    return destroyed;
  }

  /** The kill found the child still running (it did not exit on its own just before). */
  boolean killed() {
    return destroyed && status == 128 + 9;
  }

  /** Waits for the child to exit, reads the rest of its output, and returns its exit status. */
  int finish(List<String> restOfOutput) throws IOException, InterruptedException {
    if (!destroyed) {
      for (String line; (line = nextLine()) != null; ) {
        restOfOutput.add(line);
      }
      status = process.waitFor();
    }
    watchdog.cancel(false);
    if (timedOut) {
      throw new AssertionError("the child ran past its time limit and was killed\n" + describe());
    }
    return status;
  }

  /** The child's last lines of output and its standard error, for failure messages. */
  String describe() {
    String err;
    try {
      err = Files.readString(stderr);
    } catch (IOException e) {
      err = "(stderr unreadable: " + e + ")";
    }
    if (err.length() > 6000) {
      err = "..." + err.substring(err.length() - 6000);
    }
    return "last output: " + recent + "\nstderr:\n" + err;
  }

  @Override
  public void close() throws IOException {
    watchdog.cancel(false);
    process.destroyForcibly();
    try {
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    in.close();
    out.close();
  }

  /**
   * Watches one file of a store: {@code index.mv}, where a commit and every step of a rollback
   * take effect, or {@code undo.progress}, written after every undone record. Created before
   * the child is let into the call; {@link #await} then spins until the file has changed
   * {@code n} times (changes closer together than one poll count once), or the oracle log has
   * grown (the call returned), or the child has exited.
   */
  static final class StoreWatch {
    private final Path file;
    private final Path oracle;
    private final long oracleSize;
    private String last;

    StoreWatch(Path file, Path oracle) throws IOException {
      this.file = file;
      this.oracle = oracle;
      this.oracleSize = Files.size(oracle);
      this.last = stamp();
    }

    private String stamp() throws IOException {
      try {
        java.nio.file.attribute.BasicFileAttributes a =
            Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
        return a.lastModifiedTime().to(TimeUnit.NANOSECONDS) + "/" + a.size();
      } catch (java.nio.file.NoSuchFileException e) {
        return "absent";
      }
    }

    void await(int n, CrashChild child) throws IOException {
      for (int seen = 0; seen < n && Files.size(oracle) == oracleSize && child.alive(); ) {
        String now = stamp();
        if (!now.equals(last)) {
          seen++;
          last = now;
        }
      }
    }
  }

  /**
   * Busy-waits {@code nanos}: scatters a kill over the call the child has just entered. It only
   * decides where the kill lands; nothing waits on it for correctness.
   */
  static void spin(long nanos) {
    long until = System.nanoTime() + nanos;
    while (System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }
}
