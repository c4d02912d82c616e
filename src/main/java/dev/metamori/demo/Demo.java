package dev.metamori.demo;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * An "adaptive application" on Metamori: a heat-diffusion simulation that keeps its grid in a
 * file, writes one result file per step and appends to a log, committing an epoch after every
 * step. When a step diverges it rolls back to the epoch before the step and retries it with a
 * smaller time step. Finally it shows that uncommitted work is undone when the store is
 * reopened, exactly as after a crash.
 *
 * <p>Run: {@code mvn -q -DskipTests package exec:exec} (work directory: {@code target/demo},
 * or the first argument).
 */
public final class Demo {
  private static final int CELLS = 1 << 20; // 8 MiB of doubles
  private static final int WINDOW = 1 << 16; // cells one step works on
  private static final int ITERATIONS = 40;

  private final Path root;
  private final FileSystem fs;
  private final Path grid;
  private final Path log;
  private final Path results;

  private Demo(Path root, FileSystem fs) {
    this.root = root;
    this.fs = fs;
    this.grid = fs.getPath(root.resolve("grid.bin").toString());
    this.log = fs.getPath(root.resolve("run.log").toString());
    this.results = fs.getPath(root.resolve("results").toString());
  }

  public static void main(String[] args) throws IOException {
    Path work = Paths.get(args.length > 0 ? args[0] : "target/demo").toAbsolutePath();
    if (Files.exists(work)) {
      MoreFiles.deleteRecursively(work, RecursiveDeleteOption.ALLOW_INSECURE);
    }
    Path sim = Files.createDirectories(work.resolve("sim"));
    Path store = work.resolve("store");
    System.out.println("Metamori demo: a heat simulation that checkpoints its files after every step");
    System.out.println("  tracked tree: " + sim);
    System.out.println("  journal:      " + store);
    System.out.println();

    try (Checkpointer cp = Checkpointer.builder(store).track(sim).open()) {
      Demo demo = new Demo(sim, cp.fileSystem());
      demo.initialise();
      System.out.printf(
          "%5s  %-46s %10s %7s %6s %9s%n", "epoch", "what happened", "journaled", "blocks", "files", "tree");
      long start = cp.commit();
      report(cp, start, "initial grid (8 MiB of doubles), empty log", sim);

      double dt = 0.45;
      for (int step = 1; step <= 8; step++) {
        boolean badStep = step == 5;
        double thisDt = badStep ? 0.70 : dt; // step 5 tries an unstable time step
        double peak = demo.step(step, thisDt);
        if (!Double.isFinite(peak) || peak > 1e6) {
          long before = cp.currentEpoch();
          System.out.printf(
              "%5s  step %d DIVERGED (peak %.1e with dt=%.2f): rollback(%d)%n",
              "", step, peak, thisDt, before);
          String damaged = demo.fingerprint();
          cp.rollback(before);
          System.out.printf(
              "%5s  grid %s -> %s, results/step-%03d.csv %s, run.log back to %d lines%n",
              "",
              damaged,
              demo.fingerprint(),
              step,
              Files.exists(demo.results.resolve(String.format("step-%03d.csv", step))) ? "still there" : "gone",
              Files.readAllLines(demo.log).size());
          dt = dt / 2;
          peak = demo.step(step, dt);
          long e = cp.commit();
          report(cp, e, String.format("step %d retried with dt=%.3f, peak %.3f", step, dt, peak), sim);
          continue;
        }
        long e = cp.commit();
        report(cp, e, String.format("step %d, dt=%.3f, peak %.3f", step, thisDt, peak), sim);
      }

      long journaled = cp.epochs().stream().mapToLong(Epoch::bytesJournaled).sum();
      long tree = treeSize(sim);
      System.out.println();
      System.out.printf(
          "%d epochs journaled %s in all; the tree is %s, so a full copy per step would have written %s.%n",
          cp.epochs().size() - 1,
          size(journaled),
          size(tree),
          size(tree * (cp.epochs().size() - 1)));

      // A crash (or close without commit) loses only uncommitted work, and loses all of it.
      String committed = demo.fingerprint();
      Files.writeString(demo.log, "this line is never committed\n", StandardOpenOption.APPEND);
      try (FileChannel c = FileChannel.open(demo.grid, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.allocate(4096), 0);
      }
      System.out.printf(
          "%nat epoch %d the grid is %s; now an uncommitted change: one zeroed block, one more log line,%n"
              + "then close() without commit (as if the process had died)%n",
          cp.currentEpoch(), committed);
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(sim).open()) {
      Demo demo = new Demo(sim, cp.fileSystem());
      System.out.printf(
          "reopened: recovered to epoch %d, run.log has %d lines, grid %s%n",
          cp.currentEpoch(), Files.readAllLines(demo.log).size(), demo.fingerprint());
      cp.rollback(1);
      System.out.printf(
          "rollback(1): the initial grid and an empty log, %d files (%s)%n",
          fileCount(sim), size(treeSize(sim)));
      cp.rollback(0);
      System.out.printf(
          "rollback(0): the tree as it was before the store existed: %d files%n", fileCount(sim));
    }
  }

  private void initialise() throws IOException {
    Files.createDirectories(results);
    ByteBuffer buffer = ByteBuffer.allocate(CELLS * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < CELLS; i++) {
      buffer.putDouble(20.0); // room temperature everywhere
    }
    buffer.flip();
    try (FileChannel c =
        FileChannel.open(grid, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      while (buffer.hasRemaining()) {
        c.write(buffer);
      }
    }
    Files.writeString(log, "");
  }

  /** One simulation step on a window of the grid; returns the peak temperature. */
  private double step(int step, double dt) throws IOException {
    int first = (step % 5) * (WINDOW / 4); // overlapping windows: heat accumulates
    ByteBuffer buffer = ByteBuffer.allocate(WINDOW * 8).order(ByteOrder.LITTLE_ENDIAN);
    double peak;
    try (FileChannel c = FileChannel.open(grid, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      c.read(buffer, first * 8L);
      double[] u = new double[WINDOW];
      buffer.flip().asDoubleBuffer().get(u);
      u[WINDOW / 2] += 500.0; // a heat pulse in the middle of the window
      for (int k = 0; k < ITERATIONS; k++) {
        double left = u[0];
        for (int i = 1; i < WINDOW - 1; i++) {
          double centre = u[i];
          u[i] = centre + dt * (left - 2 * centre + u[i + 1]);
          left = centre;
        }
      }
      peak = 0;
      for (double v : u) {
        peak = Math.max(peak, Math.abs(v));
      }
      buffer.clear();
      buffer.asDoubleBuffer().put(u);
      c.write(buffer, first * 8L);
    }
    Files.writeString(
        results.resolve(String.format("step-%03d.csv", step)),
        String.format(Locale.ROOT, "step,dt,first_cell,peak%n%d,%.4f,%d,%.6f%n", step, dt, first, peak));
    Files.writeString(
        log,
        String.format(Locale.ROOT, "step %d dt=%.4f window=%d peak=%.6f%n", step, dt, first, peak),
        StandardOpenOption.APPEND);
    return peak;
  }

  private String fingerprint() throws IOException {
    byte[] bytes = Files.readAllBytes(grid);
    return String.format("#%08x", java.util.Arrays.hashCode(bytes));
  }

  private static void report(Checkpointer cp, long id, String what, Path root) throws IOException {
    List<Epoch> epochs = cp.epochs();
    Epoch e = epochs.get(epochs.size() - 1);
    System.out.printf(
        "%5d  %-46s %10s %7d %6d %9s%n",
        id, what, size(e.bytesJournaled()), e.blocksJournaled(), e.filesChanged(), size(treeSize(root)));
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
}
