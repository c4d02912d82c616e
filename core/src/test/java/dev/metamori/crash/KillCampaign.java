package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.testing.EpochTree;
import dev.metamori.testing.Seeds;
import dev.metamori.testing.StoreCopies;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.HashSet;
import java.util.TreeMap;

/**
 * One SIGKILL campaign, the harness of every kill suite: a number of trials (from a system
 * property, so that the {@code soak} profile can raise it), each on a store shared by a few
 * trials in a row; in a trial, child JVMs ({@link CrashChild}) drive the store and are killed
 * at points the suite aims at (by their output, by watching the store's files, after a random
 * busy-wait that only scatters where the kill lands); then the store is reopened here and
 * checked against its {@link OracleLog}.
 *
 * <p>The campaign keeps the random source, seeded by {@code -Dmetamori.crash.seed=S}, else by
 * {@code -Dmetamori.seed} ({@link Seeds}: {@code random} draws a fresh one, as the {@code
 * explore} profile does), else by a fixed seed: the workloads and the kill aims are the same
 * every run, while where exactly a kill lands depends on timing. It counts what happened and prints one report line at the end, failed or not. A
 * failure is rethrown with the seed and the trial count that replay it; a failed check after a
 * kill keeps a copy of the store as the kill left it and shows the child's last output.
 *
 * <pre>{@code
 * KillCampaign campaign = new KillCampaign("crash workload", "metamori.crash.trials", 18, tmp);
 * campaign.run(8, (dir, random) -> new CrashStore(dir).create(random), (store, context) -> ...);
 * }</pre>
 */
final class KillCampaign {
  static final String SEED_PROPERTY = "metamori.crash.seed";
  /** The default seed (with the campaign's name mixed in): the same workload every run. */
  private static final long FIXED_SEED = 0x4b494c4c43414d50L;
  /** How long a child may run before a watchdog kills it and the trial fails. */
  static final long CHILD_TIME_LIMIT_SECONDS = 120;
  /** How many of a child's last lines of output a failure shows. */
  private static final int HISTORY_SHOWN = 200;

  /** Makes the store of the next few trials in {@code dir} (which does not exist yet). */
  interface StoreFactory<S> {
    S create(Path dir, Random random) throws Exception;
  }

  /** One trial on {@code store}; {@code context} names the seed, trial, store and round. */
  interface Trial<S> {
    void run(S store, String context) throws Exception;
  }

  /** Reacts to one line of a child's output (split at spaces), before the next is read. */
  interface Lines {
    void line(CrashChild child, String[] words) throws Exception;
  }

  /** Compares what the store now holds with what the oracle says it must hold. */
  interface Probe<T> {
    void check(T expected, String when) throws IOException;
  }

  /** A check run after a kill. */
  interface Check<R> {
    R call() throws Exception;
  }

  /** The running mean duration of a call, to aim kills into it. */
  static final class Mean {
    private final long firstGuessMicros;
    private long totalMicros;
    private long count;

    Mean(long firstGuessMicros) {
      this.firstGuessMicros = firstGuessMicros;
    }

    void record(long micros) {
      totalMicros += micros;
      count++;
    }

    long micros() {
      return count == 0 ? firstGuessMicros : totalMicros / count;
    }

    /** Uniform over one and a half times the mean duration seen so far, in nanoseconds. */
    long delay(Random random) {
      return (long) (random.nextDouble() * 1.5 * micros() * 1000);
    }

    @Override
    public String toString() {
      return (count == 0 ? 0 : totalMicros / count) + " us";
    }
  }

  final String name;
  final long seed;
  final Random random;
  private final String trialsProperty;
  private final int wanted;
  private final Path tmp;
  private final long firstGuessMicros;
  private final Map<String, Integer> tally = new LinkedHashMap<>();
  private final Map<String, Mean> means = new LinkedHashMap<>();
  /** Rollbacks the children started, and those a kill was aimed into, by direction. */
  private final Map<String, Integer> restores = new TreeMap<>();
  private final Map<String, Integer> restoresKilled = new TreeMap<>();
  private int trials;

  /**
   * A campaign of {@code -D<trialsProperty>} trials ({@code defaultTrials} without it) in
   * {@code tmp}; {@code firstGuessMicros} is the mean duration assumed for a call before one
   * has been timed.
   */
  KillCampaign(String name, String trialsProperty, int defaultTrials, long firstGuessMicros, Path tmp) {
    this.name = name;
    this.trialsProperty = trialsProperty;
    this.wanted = Integer.getInteger(trialsProperty, defaultTrials);
    this.seed = Long.getLong(SEED_PROPERTY, Seeds.seed(FIXED_SEED ^ name.hashCode()));
    this.random = new Random(seed);
    this.tmp = tmp;
    this.firstGuessMicros = firstGuessMicros;
  }

  /** The system properties that run this campaign again up to (and including) {@code trial}. */
  String replay(int trial) {
    return "-D" + SEED_PROPERTY + "=" + seed + " -D" + trialsProperty + "=" + (trial + 1);
  }

  /**
   * Runs every trial, a new store (directory {@code s<n>}) every {@code trialsPerStore}
   * trials, and prints the report.
   */
  <S> void run(int trialsPerStore, StoreFactory<S> stores, Trial<S> trial) throws Exception {
    long start = System.nanoTime();
    String failure = "none";
    try {
      S store = null;
      for (int t = 0; t < wanted; t++) {
        int s = t / trialsPerStore;
        String context = "seed " + seed + ", trial " + t + " (store " + s + ", round " + t % trialsPerStore + ")";
        try {
          if (t % trialsPerStore == 0) {
            store = stores.create(tmp.resolve("s" + s), random);
          }
          trial.run(store, context);
        } catch (Throwable e) {
          failure = e.getClass().getSimpleName();
          throw new AssertionError(
              name + " failed in trial " + t + "; replay it with " + replay(t) + "\n" + e.getMessage(), e);
        }
        trials++;
      }
    } finally {
      System.out.println(report(failure, (System.nanoTime() - start) / 1e9));
    }
  }

  private String report(String failure, double seconds) {
    StringBuilder b = new StringBuilder(name).append(": seed ").append(seed).append(", ").append(trials).append(" trials");
    tally.forEach((k, v) -> b.append(", ").append(k).append(' ').append(v));
    b.append(", rollbacks ").append(restores).append(", killed inside ").append(restoresKilled);
    b.append(", failures: ").append(failure).append(String.format(", %.1f s", seconds));
    means.forEach((k, v) -> b.append(", mean ").append(k).append(' ').append(v));
    return b.toString();
  }

  /** Adds one to counter {@code what} of the report. */
  void count(String what) {
    tally.merge(what, 1, Integer::sum);
  }

  /** Makes counter {@code what} show in the report even while it is 0. */
  void counter(String... what) {
    for (String w : what) {
      tally.putIfAbsent(w, 0);
    }
  }

  /** The mean duration of {@code call} ("commit", "rollback", "open") timed so far. */
  Mean mean(String call) {
    return means.computeIfAbsent(call, c -> new Mean(firstGuessMicros));
  }

  /** Counts a rollback a child announced ({@code direction}), and whether a kill is aimed into it. */
  void rollbackStarted(String direction, boolean aimed) {
    restores.merge(direction, 1, Integer::sum);
    if (aimed) {
      restoresKilled.merge(direction, 1, Integer::sum);
    }
  }

  /** Counts how a store reopened after a child was (or was not) killed. */
  void tally(boolean killed, OracleLog.Outcome outcome) {
    for (OracleLog.InFlight f : OracleLog.InFlight.values()) {
      counter("kills with " + f + " in flight");
    }
    counter("commits landed", "rollbacks finished");
    if (killed) {
      count("kills with " + outcome.inFlight() + " in flight");
    }
    if (outcome.tookEffect()) {
      count(outcome.inFlight() == OracleLog.InFlight.COMMIT ? "commits landed" : "rollbacks finished");
    }
  }

  /**
   * Runs {@code main} in a child JVM with {@code args} until it exits or is killed, handing
   * every line it prints to {@code lines} (which may kill it) and adding it to {@code
   * history}. Times the calls the child reports ({@code OPENED epoch micros}, {@code COMMITTED
   * id micros}, {@code ROLLEDBACK target micros}); fails on a {@code MISMATCH} line (a
   * self-check of the child), on a child that ran past its time limit, and on one that exited on
   * its own but not cleanly. Returns whether a kill found the child running.
   */
  boolean runChild(Path dir, Class<?> main, String plan, List<String> history, Lines lines, String... args)
      throws Exception {
    Path stderr = Files.createTempFile(dir, "child", ".err");
    boolean killed;
    try (CrashChild child = CrashChild.start(main, stderr, CHILD_TIME_LIMIT_SECONDS, args)) {
      for (String line; !child.destroyed() && (line = child.nextLine()) != null; ) {
        history.add(line);
        String[] w = line.split(" ");
        mismatch(line, child, plan);
        timed(w);
        lines.line(child, w);
      }
      List<String> rest = new ArrayList<>();
      int status = child.finish(rest);
      for (String line : rest) {
        history.add(line);
        mismatch(line, child, plan);
      }
      killed = child.killed();
      if (!killed) {
        assertEquals(0, status, plan + ": the child exited on its own, and not cleanly\n" + child.describe());
        count("children not killed");
      }
    }
    Files.delete(stderr);
    return killed;
  }

  private static void mismatch(String line, CrashChild child, String plan) {
    if (line.startsWith("MISMATCH")) {
      throw new AssertionError(plan + ": the child found " + line + "\n" + child.describe());
    }
  }

  private void timed(String[] w) {
    String call =
        switch (w[0]) {
          case "OPENED" -> "open";
          case "COMMITTED" -> "commit";
          case "ROLLEDBACK" -> "rollback";
          case "PRUNED" -> "prune";
          default -> null;
        };
    if (call != null && w.length > 2) {
      mean(call).record(Long.parseLong(w[2]));
    }
  }

  /**
   * Runs {@code check} on the store in {@code dir} after a kill. On failure, keeps a copy of
   * {@code dir} as the kill left it (reopening changes the store) under {@code
   * target/failed-stores} and fails with the plan and the children's last output.
   */
  <R> R afterKill(Path dir, String plan, List<String> history, Check<R> check) throws Exception {
    Path asKilled = tmp.resolve("as-killed");
    StoreCopies.replace(dir, asKilled);
    try {
      return check.call();
    } catch (AssertionError | IOException | RuntimeException e) {
      Path kept = Path.of("target", "failed-stores", dir.getFileName() + "-" + System.nanoTime());
      String where;
      try {
        Files.createDirectories(kept.getParent());
        StoreCopies.replace(asKilled, kept);
        where = "the store, tree and oracle as the kill left them are kept in " + kept;
      } catch (IOException | RuntimeException keeping) {
        e.addSuppressed(keeping);
        where = "the store as the kill left it could not be kept: " + keeping;
      }
      List<String> tail = history.subList(Math.max(0, history.size() - HISTORY_SHOWN), history.size());
      throw new AssertionError(
          plan + ": " + e + "\n" + where
              + "\nthe child's output before the kill (last " + tail.size() + " lines):\n  "
              + String.join("\n  ", tail),
          e);
    }
  }

  /** Kills the child after a busy-wait of up to {@code maxNanos}. */
  void killSoon(CrashChild child, int maxNanos) throws InterruptedException {
    CrashChild.spin(random.nextInt(maxNanos));
    child.kill();
  }

  /**
   * Kills the child after a random delay of up to one and a half times the mean duration of
   * {@code call}, letting it go first if {@code letGo} (it waits before commit and rollback).
   */
  void killWithin(CrashChild child, Mean call, boolean letGo) throws IOException, InterruptedException {
    if (letGo) {
      child.go();
    }
    CrashChild.spin(call.delay(random));
    child.kill();
  }

  /**
   * Kills the child once {@code file} of its store has changed {@code changes} times (or the
   * oracle has grown, or the child has exited), after a busy-wait of up to {@code maxNanos};
   * lets it go first, after starting to watch, if {@code letGo}.
   */
  void killAfterWrites(CrashChild child, Path file, Path oracle, int changes, int maxNanos, boolean letGo)
      throws IOException, InterruptedException {
    CrashChild.StoreWatch watch = new CrashChild.StoreWatch(file, oracle);
    if (letGo) {
      child.go();
    }
    watch.await(changes, child);
    killSoon(child, maxNanos);
  }

  /**
   * The kills both workload suites aim by the child's numbered announcements: the {@code
   * target}-th announcement {@code aimedAt} ({@code OP n}: after a short busy-wait; {@code
   * COMMIT k}, {@code ROLLBACK k target direction}, {@code PRUNE k policy}: inside the call, see {@link #killInside},
   * watching undo progress in rollbacks if {@code watchProgress}); every other commit,
   * rollback and prune is let go. Returns false for any other line.
   */
  boolean killAtAnnounced(
      CrashChild child, String[] w, Path store, Path oracle, String aimedAt, int target, boolean watchProgress)
      throws IOException, InterruptedException {
    boolean aimed = w[0].equals(aimedAt) && Integer.parseInt(w[1]) == target;
    switch (w[0]) {
      case "OP":
        if (aimed) {
          killSoon(child, 300_000);
        }
        return true;
      case "COMMIT":
        if (aimed) {
          killInside(child, store, oracle, mean("commit"), 1, watchProgress);
        } else {
          child.go();
        }
        return true;
      case "PRUNE":
        if (aimed) {
          killInside(child, store, oracle, mean("prune"), 1, false);
        } else {
          child.go();
        }
        return true;
      case "ROLLBACK":
        rollbackStarted(w[3], aimed);
        if (aimed) {
          killInside(child, store, oracle, mean("rollback"), 1 + random.nextInt(4), watchProgress);
        } else {
          child.go();
        }
        return true;
      default:
        return false;
    }
  }

  /**
   * Lets the waiting child enter commit or rollback and kills it inside: half the time after a
   * random delay of up to one and a half times the call's mean duration, half the time just
   * after the call has written the index {@code indexWrites} times (the index write is what
   * makes a commit or a rollback step take effect) or, for a rollback with {@code
   * watchProgress}, sometimes after it has undone a few records; or once the call has returned.
   */
  void killInside(CrashChild child, Path store, Path oracle, Mean call, int indexWrites, boolean watchProgress)
      throws IOException, InterruptedException {
    if (random.nextBoolean()) {
      killWithin(child, call, true);
      return;
    }
    boolean progress = watchProgress && indexWrites > 1 && random.nextBoolean();
    killAfterWrites(
        child,
        store.resolve(progress ? "undo.progress" : "index.mv"),
        oracle,
        progress ? 1 + random.nextInt(20) : indexWrites,
        300_000,
        true);
  }

  /**
   * Checks a store reopened (as {@code cp}) after a kill: it is at an epoch {@code state}
   * allows, holds what the oracle recorded for that epoch ({@code probe}), verifies clean (no
   * damaged record or trash entry) and lists every committed epoch with its parent; then rolls back to a random epoch (mostly one that needs
   * redo; never one of {@code neverTarget}) and checks again. Settles the oracle log (records
   * the outcome) so that the next child can go on.
   */
  <T> OracleLog.Outcome reopenedAsLogged(
      Checkpointer cp, OracleLog<T> log, OracleLog.State<T> state, Probe<T> probe, String context, long... neverTarget)
      throws IOException {
    long before = state.current;
    OracleLog.InFlight inFlight = state.inFlight();
    long now = cp.currentEpoch();
    T expected = state.reopenedAt(now, log, context);
    log.at(now);
    probe.check(expected, context + ": after reopening at epoch " + now + " (" + inFlight + " in flight)");
    // a kill leaves nothing damaged, trash checksums included
    List<dev.metamori.CorruptStoreException> damage = cp.verify();
    if (!damage.isEmpty()) {
      throw new AssertionError(context + ": verify() after reopening at epoch " + now + " finds " + damage);
    }
    List<Epoch> epochs = cp.epochs();
    if (inFlight == OracleLog.InFlight.PRUNE) {
      Set<Long> ids = new HashSet<>();
      epochs.forEach(e -> ids.add(e.id()));
      counter("prunes landed");
      if (state.settlePrune(ids, log, context)) {
        count("prunes landed");
      }
    }
    String listed = EpochTree.differences(epochs, state.listedParents());
    if (listed != null) {
      throw new AssertionError(context + ": every committed epoch stays listed, with its parent: " + listed);
    }
    long target = new EpochTree(epochs).pickTarget(random, now, neverTarget);
    log.rollingBack(target);
    cp.rollback(target);
    log.at(target);
    assertEquals(target, cp.currentEpoch(), context + ": epoch after rollback(" + target + ")");
    probe.check(state.payload(target), context + ": after reopening at " + now + " and rolling back to " + target);
    return new OracleLog.Outcome(inFlight, before, now);
  }
}
