package dev.metamori.demo;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * An "adaptive application" on Metamori: a heat-diffusion simulation whose grid lives in a
 * memory region, whose bookkeeping (step, time step, history of peaks) is a registered object,
 * and which writes one result file per step and appends to a log. It commits an epoch after
 * every step; when a step diverges it rolls back to the epoch before the step (grid, bookkeeping
 * and files together) and retries with a smaller time step. Then it leaves uncommitted work
 * behind, closes, and starts a second JVM that restarts from the store: the grid, the
 * bookkeeping and the files come back as last committed, and the simulation goes on.
 *
 * <p>Run from the root: {@code mvn -q -DskipTests package exec:exec} (work directory: {@code examples/target/demo},
 * or the first argument).
 */
public final class Demo {
  private static final int CELLS = 1 << 20; // 8 MiB of doubles
  private static final int WINDOW = 1 << 16; // cells one step works on
  private static final int ITERATIONS = 40;

  /** The simulation's bookkeeping, saved and restored through the checkpointer. */
  static final class SimState implements Checkpointable {
    int step;
    double dt = 0.45;
    final List<Double> peaks = new ArrayList<>();

    @Override
    public void save(OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      d.writeInt(step);
      d.writeDouble(dt);
      d.writeInt(peaks.size());
      for (double p : peaks) {
        d.writeDouble(p);
      }
      d.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      step = d.readInt();
      dt = d.readDouble();
      peaks.clear();
      for (int n = d.readInt(); n > 0; n--) {
        peaks.add(d.readDouble());
      }
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT, "step %d, dt %.3f, %d peaks", step, dt, peaks.size());
    }
  }

  private final FileSystem fs;
  private final Path log;
  private final Path results;
  private final MemoryRegion grid;
  private final SimState state = new SimState();

  Demo(Path root, Checkpointer cp) throws IOException {
    this.fs = cp.fileSystem();
    this.log = fs.getPath(root.resolve("run.log").toString());
    this.results = fs.getPath(root.resolve("results").toString());
    this.grid = cp.region("grid", CELLS * 8L);
    cp.register("state", state); // restores it if the store has it
  }

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("--restart")) {
      restart(Paths.get(args[1]));
      return;
    }
    Path work = Paths.get(args.length > 0 ? args[0] : "target/demo").toAbsolutePath();
    if (Files.exists(work)) {
      deleteTree(work);
    }
    Path sim = Files.createDirectories(work.resolve("sim"));
    Path store = work.resolve("store");
    System.out.println("Metamori demo: a heat simulation that checkpoints after every step");
    System.out.println("  memory region 'grid': 8 MiB of doubles; object 'state': step, dt, peaks");
    System.out.println("  tracked tree: " + sim + " (results/step-NNN.csv, run.log)");
    System.out.println("  journal:      " + store);
    System.out.println();

    try (Checkpointer cp = Checkpointer.builder(store).track(sim).open()) {
      Demo demo = new Demo(sim, cp);
      demo.initialise();
      System.out.printf(
          "%5s  %-44s %10s %6s %9s %9s%n", "epoch", "what happened", "journaled", "files", "pause", "durable");
      long start = cp.commit();
      report(cp, start, "initial grid at 20 degrees, empty log", -1, -1);

      for (int step = 1; step <= 8; step++) {
        double thisDt = step == 5 ? 0.70 : demo.state.dt; // step 5 tries an unstable time step
        double peak = demo.step(step, thisDt);
        if (!Double.isFinite(peak) || peak > 1e6) {
          long before = cp.currentEpoch();
          System.out.printf(
              "%5s  step %d DIVERGED (peak %.1e with dt=%.2f): rollback(%d)%n", "", step, peak, thisDt, before);
          String damaged = demo.fingerprint();
          cp.rollback(before);
          System.out.printf(
              "%5s  grid %s -> %s, state back to '%s',%n%5s  results/step-%03d.csv %s, run.log back to %d lines%n",
              "",
              damaged,
              demo.fingerprint(),
              demo.state,
              "",
              step,
              Files.exists(demo.results.resolve(String.format("step-%03d.csv", step))) ? "still there" : "gone",
              Files.readAllLines(demo.log).size());
          demo.state.dt /= 2;
          peak = demo.step(step, demo.state.dt);
        }
        demo.state.step = step;
        demo.state.peaks.add(peak);
        long t0 = System.nanoTime();
        CompletableFuture<Long> commit = cp.commitAsync(); // returns once the epoch is captured
        long pause = System.nanoTime() - t0;
        long e = commit.join();
        long durable = System.nanoTime() - t0;
        report(cp, e, String.format(Locale.ROOT, "step %d, dt=%.3f, peak %.3f", step, demo.state.dt, peak), pause, durable);
      }

      long journaled = cp.epochs().stream().mapToLong(Epoch::bytesJournaled).sum();
      long full = (CELLS * 8L + treeSize(sim)) * (cp.epochs().size() - 1);
      System.out.printf(
          "%n%d epochs journaled %s in all; a full copy of grid and tree per step would have written %s.%n",
          cp.epochs().size() - 1, size(journaled), size(full));

      // A crash (or close without commit) loses only uncommitted work, and loses all of it.
      System.out.printf(
          "%nat epoch %d: grid %s, state '%s'. Now uncommitted changes: a hot spot in the grid,%n"
              + "step 9 in the state, one more log line; then close() without commit (as if the process had died)%n",
          cp.currentEpoch(), demo.fingerprint(), demo.state);
      demo.grid.buffer().asDoubleBuffer().put(12345, 1e9);
      demo.state.step = 9;
      Files.writeString(demo.log, "this line is never committed\n", StandardOpenOption.APPEND);
    }

    System.out.println("starting a new JVM on the same store...");
    Process child =
        new ProcessBuilder(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                Demo.class.getName(),
                "--restart",
                work.toString())
            .inheritIO()
            .start();
    if (child.waitFor() != 0) {
      throw new IllegalStateException("the restarted demo failed with status " + child.exitValue());
    }

    try (Checkpointer cp = Checkpointer.builder(store).track(sim).open()) {
      Demo demo = new Demo(sim, cp);
      cp.rollback(1);
      System.out.printf(
          "back in the first JVM: rollback(1): grid %s (all 20 degrees), state '%s', %d files%n",
          demo.fingerprint(), demo.state, fileCount(sim));
      cp.rollback(0);
      System.out.printf(
          "rollback(0): the tree as it was before the store existed (%d files), the grid zeroed (%s)%n",
          fileCount(sim), demo.fingerprint());
      // nothing was lost: the epochs undone are a branch that can be restored again
      long newest = cp.epochs().get(cp.epochs().size() - 1).id();
      cp.restore(newest);
      System.out.printf(
          "restore(%d): forward again to the newest epoch (the restarted JVM's last): grid %s,"
              + " state '%s', %d files%n",
          newest, demo.fingerprint(), demo.state, fileCount(sim));
      System.out.printf("epochs (id<-parent): %s%n", cp.epochs().stream()
          .map(e -> e.id() + "<-" + e.parent()).collect(java.util.stream.Collectors.joining(" ")));
    }
  }

  /** The second JVM: restart from the last committed epoch and go on for two steps. */
  private static void restart(Path work) throws IOException {
    Path sim = work.resolve("sim");
    try (Checkpointer cp = Checkpointer.builder(work.resolve("store")).track(sim).open()) {
      Demo demo = new Demo(sim, cp);
      System.out.printf(
          "  new process %d: recovered to epoch %d: grid %s, state '%s', run.log %d lines%n",
          ProcessHandle.current().pid(),
          cp.currentEpoch(),
          demo.fingerprint(),
          demo.state,
          Files.readAllLines(demo.log).size());
      int last = demo.state.step + 2;
      for (int step = demo.state.step + 1; step <= last; step++) {
        double peak = demo.step(step, demo.state.dt);
        demo.state.step = step;
        demo.state.peaks.add(peak);
        long e = cp.commit();
        System.out.printf(Locale.ROOT, "  new process: step %d, peak %.3f, committed epoch %d%n", step, peak, e);
      }
    }
  }

  void initialise() throws IOException {
    Files.createDirectories(results);
    DoubleBuffer cells = grid.buffer().asDoubleBuffer();
    for (int i = 0; i < CELLS; i++) {
      cells.put(i, 20.0); // room temperature everywhere
    }
    Files.writeString(log, "");
  }

  /** One simulation step on a window of the grid; returns the peak temperature. */
  double step(int step, double dt) throws IOException {
    int first = (step % 5) * (WINDOW / 4); // overlapping windows: heat accumulates
    DoubleBuffer cells = grid.buffer().asDoubleBuffer();
    double[] u = new double[WINDOW];
    cells.get(first, u);
    u[WINDOW / 2] += 500.0; // a heat pulse in the middle of the window
    for (int k = 0; k < ITERATIONS; k++) {
      double left = u[0];
      for (int i = 1; i < WINDOW - 1; i++) {
        double centre = u[i];
        u[i] = centre + dt * (left - 2 * centre + u[i + 1]);
        left = centre;
      }
    }
    double peak = 0;
    for (double v : u) {
      peak = Math.max(peak, Math.abs(v));
    }
    cells.put(first, u);
    Files.writeString(
        results.resolve(String.format("step-%03d.csv", step)),
        String.format(Locale.ROOT, "step,dt,first_cell,peak%n%d,%.4f,%d,%.6f%n", step, dt, first, peak));
    Files.writeString(
        log,
        String.format(Locale.ROOT, "step %d dt=%.4f window=%d peak=%.6f%n", step, dt, first, peak),
        StandardOpenOption.APPEND);
    return peak;
  }

  String fingerprint() {
    ByteBuffer all = grid.buffer();
    return String.format("#%08x", all.hashCode());
  }

  private static void report(Checkpointer cp, long id, String what, long pauseNanos, long durableNanos)
      throws IOException {
    List<Epoch> epochs = cp.epochs();
    Epoch e = epochs.get(epochs.size() - 1);
    System.out.printf(
        "%5d  %-44s %10s %6d %9s %9s%n",
        id,
        what,
        size(e.bytesJournaled()),
        e.filesChanged(),
        pauseNanos < 0 ? "" : String.format(Locale.ROOT, "%.2f ms", pauseNanos / 1e6),
        durableNanos < 0 ? "" : String.format(Locale.ROOT, "%.1f ms", durableNanos / 1e6));
  }

  private static long treeSize(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static long fileCount(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).count();
    }
  }

  private static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " B";
    }
    if (bytes < 1024 * 1024) {
      return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
    return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
  }

  /** Deletes the demo's work directory of an earlier run; links are deleted, not followed. */
  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
