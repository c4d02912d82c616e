package dev.metamori.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the time of a Metamori commit and rollback goes, in the setting of {@link
 * CommitRollbackBenchmark} ({@code impl=metamori}): a sampler thread reads the stack of the
 * committing thread about once a millisecond while a commit or a rollback runs and files each
 * sample under the Metamori method it is in (for example forcing the changed files, or reading
 * undo records). Samples of a thread blocked in a system call are exact; samples in Java code
 * are taken at safepoints, so short Java steps may be misattributed to their neighbours.
 *
 * <p>A plain program, not a JMH benchmark (JMH's {@code -prof stack} also samples the setup):
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.main=dev.metamori.bench.CommitRollbackProfile -Djmh.args="random 25"
 * </pre>
 *
 * The rollback's median is given in wall time and in CPU time of the thread that rolls back
 * (most of a rollback runs on it; the scans for outside changes use a pool), which other load on
 * the machine disturbs less than the wall time.
 *
 * <p>Arguments: the spread ({@code random} or {@code one-file}), the number of rounds (change
 * 1%, commit, roll back; the first 3 rounds warm up and are not counted) and, optionally, {@code
 * none} to open the store with {@code Durability.NONE} and {@code raw} to file samples under the
 * innermost Metamori method instead of its step.
 */
public final class CommitRollbackProfile {
  private static final int WARMUP = 3;

  /** The step a sample is filed under, by the innermost Metamori frame. */
  private static final Map<String, String> STEPS = new LinkedHashMap<>();

  static {
    STEPS.put("Tracker.force", "forcing changed files");
    STEPS.put("TrackedFile.forceMappings", "forcing changed files");
    STEPS.put("Segment.force", "forcing the segment");
    STEPS.put("StoreFiles.forceDirectory", "forcing directories");
    STEPS.put("MvStoreIndex.commit", "index sync");
    STEPS.put("Segment.scan", "reading the segment back, indexing");
    STEPS.put("MvStoreIndex.putRecord", "reading the segment back, indexing");
    STEPS.put("MvStoreIndex.putBlock", "reading the segment back, indexing");
    STEPS.put("UndoApplier.forceRetired", "forcing restored files");
    STEPS.put("Segment.read", "reading and checking records");
    STEPS.put("Segment.readFully", "reading and checking records");
    STEPS.put("Segment.decodeChecked", "reading and checking records");
    STEPS.put("RecordCodec.decode", "reading and checking records");
    STEPS.put("RecordCodec.checksumOk", "reading and checking records");
    STEPS.put("Segment.open", "reading and checking records");
    STEPS.put("MvStoreIndex.recordOffsets", "reading and checking records");
    STEPS.put("UndoApplier.undo", "applying records");
    STEPS.put("UndoApplier.restore", "applying records");
    STEPS.put("UndoApplier.channel", "applying records");
    STEPS.put("UndoApplier.closeChannels", "applying records");
    STEPS.put("UndoProgress.undone", "recording undo progress");
    STEPS.put("Restorer.undoUncommitted", "deleting the segment");
    STEPS.put("StoreFiles.deleteTrash", "deleting the segment");
  }

  /** Files samples under the innermost Metamori method rather than its step ({@code raw}). */
  private static boolean raw;

  private static volatile String phase;
  private static final Map<String, Integer> samples = new ConcurrentHashMap<>();

  public static void main(String[] args) throws Exception {
    String spread = args.length > 0 ? args[0] : "random";
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 25;
    Thread sampler = new Thread(CommitRollbackProfile::sample, "sampler");
    sampler.setDaemon(true);
    sampler.start();

    CommitRollbackBenchmark.Tree tree = new CommitRollbackBenchmark.Tree();
    List<String> options = Arrays.asList(args).subList(Math.min(2, args.length), args.length);
    raw = options.contains("raw");
    tree.impl = options.contains("none") ? "metamori-none" : "metamori";
    tree.spread = spread;
    tree.createTree();
    List<Double> commits = new ArrayList<>();
    List<Double> rollbacks = new ArrayList<>();
    List<Double> rollbackCpu = new ArrayList<>();
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    try {
      for (int round = 0; round < rounds; round++) {
        boolean counted = round >= WARMUP;
        tree.change();
        commits.add(timed(counted ? "commit" : null, tree::checkpoint));
        long cpu = threads.getCurrentThreadCpuTime();
        rollbacks.add(timed(counted ? "rollback" : null, tree::restore));
        rollbackCpu.add((threads.getCurrentThreadCpuTime() - cpu) / 1e6);
      }
    } finally {
      tree.deleteTree();
    }
    commits = commits.subList(WARMUP, commits.size());
    rollbacks = rollbacks.subList(WARMUP, rollbacks.size());
    System.out.printf(
        "%s, spread=%s, %d rounds: median commit %.1f ms, median rollback %.1f ms"
            + " (%.1f ms CPU of the thread that rolls back)%n",
        tree.impl, spread, commits.size(), median(commits), median(rollbacks),
        median(rollbackCpu.subList(WARMUP, rollbackCpu.size())));
    for (String p : new String[] {"commit", "rollback"}) {
      Map<String, Integer> steps = new TreeMap<>();
      int total = 0;
      for (Map.Entry<String, Integer> e : samples.entrySet()) {
        if (e.getKey().startsWith(p + "|")) {
          steps.merge(e.getKey().substring(p.length() + 1), e.getValue(), Integer::sum);
          total += e.getValue();
        }
      }
      System.out.printf("%s (%d samples):%n", p, total);
      int all = total;
      steps.entrySet().stream()
          .sorted((a, b) -> b.getValue() - a.getValue())
          .forEach(e -> System.out.printf("  %4.0f%%  %s%n", 100.0 * e.getValue() / all, e.getKey()));
    }
  }

  private interface Step {
    void run() throws IOException;
  }

  private static double timed(String name, Step step) throws IOException {
    long start = System.nanoTime();
    phase = name;
    try {
      step.run();
    } finally {
      phase = null;
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }

  private static void sample() {
    while (true) {
      String p = phase;
      if (p != null) {
        // every thread: a commit does its work on the checkpointer's committing thread
        for (Map.Entry<Thread, StackTraceElement[]> t : Thread.getAllStackTraces().entrySet()) {
          String step = step(t.getValue());
          if (t.getKey() != Thread.currentThread() && step != null && p.equals(phase)) {
            samples.merge(p + "|" + step, 1, Integer::sum);
          }
        }
      }
      try {
        Thread.sleep(1);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private static String step(StackTraceElement[] stack) {
    for (StackTraceElement e : stack) {
      String cls = e.getClassName();
      if (!cls.startsWith("dev.metamori.internal.")
          || cls.startsWith("dev.metamori.internal.journal.FrameChecksum")) {
        continue; // a frame's checksum is filed under what it checks or writes
      }
      String name = cls.substring(cls.lastIndexOf('.') + 1) + "." + e.getMethodName();
      if (name.equals("LocalCheckpointer.join")) {
        return null; // waiting for the committing thread, which is sampled itself
      }
      String step = raw ? null : STEPS.get(name);
      return step != null ? step : "other (" + name + ")";
    }
    return null; // not in Metamori: another thread
  }

  private CommitRollbackProfile() {}
}
