package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one checkpoint ({@link #commit}) and of one restore ({@link #rollback}) of a 256 MiB
 * tree (64 files of 4 MiB of incompressible random bytes, created once per trial) after 1% of it
 * changed: 655 distinct 4 KiB blocks rewritten with new random bytes before every measured
 * operation (outside the measured region), chosen at random across all files ({@code
 * spread=random}, which changes every file) or as one run inside one random file ({@code
 * spread=one-file}). Each measured operation is a single shot.
 *
 * <p>{@code impl} selects what does the checkpoint, all measured in the same run:
 *
 * <ul>
 *   <li>{@code metamori}: the tree is a tracked root changed through {@link
 *       Checkpointer#fileSystem()}; commit is {@link Checkpointer#commit()} (durable: changed
 *       files, journal and index are forced), rollback is {@link Checkpointer#rollback(long)} to
 *       the epoch before the change, which the setup committed.
 *   <li>{@code copy}: commit copies every file of the tree to a snapshot directory ({@code
 *       Files.copy}, {@code REPLACE_EXISTING}); rollback copies every snapshot file back over the
 *       tree. Nothing is forced, so this baseline is not durable.
 *   <li>{@code copy-fsync}: as {@code copy}, and every copied file is forced before the
 *       operation ends, which makes it durable like a Metamori commit.
 *   <li>{@code git}: the tree is a git work tree; commit is {@code git add -A} then {@code git
 *       commit}; rollback is {@code git reset --hard HEAD~1} after the setup committed the change.
 *       Measured commits are undone and their objects pruned after each iteration, so the
 *       repository stays at two commits. Needs {@code git} on the PATH: without it the {@code
 *       git} trials fail at setup with a message and the others still run (or leave it out with
 *       {@code -p impl=metamori,copy,copy-fsync}).
 *   <li>{@code metamori-none}: as {@code metamori}, with {@code Durability.NONE}: nothing is
 *       forced, to compare with {@code copy}.
 *   <li>{@code floor} and {@code floor-none}: the least work a block journal can do ({@link
 *       FloorJournal}): a commit is one sequential write of the changed blocks (and one force);
 *       a rollback reads and saves each changed block for redo, writes its old bytes back (and
 *       forces the redo and the changed files, from 8 threads). {@code floor-undo}: as {@code
 *       floor}, and the commit also forces the undo file (the old bytes), as a commit must that
 *       keeps its epoch restorable after a power loss.
 * </ul>
 *
 * Trees live in {@code java.io.tmpdir} (or {@code -Dmetamori.bench.dir}; give it to the fork
 * with {@code -jvmArgsAppend}); a trial needs about 1 GiB free. Run (5 minutes on an idle
 * 2-core machine, 15 when other builds compete for it):
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/commit.json CommitRollbackBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 15)
@Fork(1)
public class CommitRollbackBenchmark {
  static final int FILES = 64;
  static final int FILE_SIZE = 4 << 20;
  static final int BLOCK = 4096;
  static final int BLOCKS_PER_FILE = FILE_SIZE / BLOCK;
  static final int TOTAL_BLOCKS = FILES * BLOCKS_PER_FILE;
  /** 1% of the tree's blocks. */
  static final int CHANGED_BLOCKS = TOTAL_BLOCKS / 100;

  /** The tree, the chosen checkpoint mechanism, and the 1% change. */
  @State(Scope.Thread)
  public static class Tree {
    @Param({"metamori", "metamori-none", "copy", "copy-fsync", "git", "floor", "floor-undo", "floor-none"})
    public String impl;

    /**
     * Where the changed 1% lies: {@code random} blocks across all 64 files, or one run of
     * consecutive blocks inside a single file ({@code one-file}), chosen at random each time.
     */
    @Param({"random", "one-file"})
    public String spread;

    Path dir;
    Path tree;
    Path snapshot;
    Checkpointer cp;
    FloorJournal floor;
    FileSystem fs;
    long baseEpoch;
    final Random random = new Random(7);
    final byte[] block = new byte[BLOCK];
    final List<String> names = new ArrayList<>();

    @Setup(Level.Trial)
    public void createTree() throws IOException {
      if (!Arrays.asList("metamori", "metamori-none", "copy", "copy-fsync", "git", "floor", "floor-undo", "floor-none")
          .contains(impl)) {
        throw new IllegalArgumentException(
            "impl must be metamori, metamori-none, copy, copy-fsync, git, floor, floor-undo or floor-none, was " + impl);
      }
      if (!spread.equals("random") && !spread.equals("one-file")) {
        throw new IllegalArgumentException("spread must be random or one-file, was " + spread);
      }
      if (impl.equals("git")) {
        Git.checkInstalled();
      }
      dir = BenchFiles.newWorkDir("metamori-commit-");
      tree = Files.createDirectories(dir.resolve("tree"));
      for (int i = 0; i < FILES; i++) {
        String name = String.format("file-%02d.bin", i);
        names.add(name);
        BenchFiles.writeRandomFile(tree.resolve(name), FILE_SIZE, random);
      }
      fs = FileSystems.getDefault();
      switch (impl) {
        case "metamori":
        case "metamori-none":
          cp =
              Checkpointer.builder(dir.resolve("store"))
                  .track(tree)
                  .durability(impl.equals("metamori") ? Durability.PROCESS : Durability.NONE)
                  .open();
          fs = cp.fileSystem();
          baseEpoch = cp.commit();
          break;
        case "git":
          Git.run(tree, "init", "-q");
          Git.run(tree, "add", "-A");
          Git.run(tree, "commit", "-q", "-m", "base");
          break;
        case "floor":
        case "floor-undo":
        case "floor-none":
          floor = new FloorJournal(dir, !impl.equals("floor-none"), impl.equals("floor-undo"));
          break;
        default:
          snapshot = Files.createDirectories(dir.resolve("snapshot"));
          copyFiles(tree, snapshot, false);
          break;
      }
    }

    @TearDown(Level.Trial)
    public void deleteTree() throws IOException {
      if (cp != null) {
        cp.close();
      }
      if (floor != null) {
        floor.close();
      }
      BenchFiles.deleteTree(dir);
    }

    /** Rewrites 1% of the tree's blocks (distinct, placed as {@link #spread} says). */
    void change() throws IOException {
      int[] chosen;
      if (spread.equals("one-file")) {
        chosen = new int[CHANGED_BLOCKS];
        int first =
            random.nextInt(FILES) * BLOCKS_PER_FILE
                + random.nextInt(BLOCKS_PER_FILE - CHANGED_BLOCKS + 1);
        for (int i = 0; i < chosen.length; i++) {
          chosen[i] = first + i;
        }
      } else {
        chosen = BenchFiles.chooseDistinct(random, TOTAL_BLOCKS, CHANGED_BLOCKS);
      }
      if (floor != null) {
        floor.newEpoch();
      }
      FileChannel channel = null;
      int open = -1;
      try {
        for (int b : chosen) {
          int file = b / BLOCKS_PER_FILE;
          if (file != open) {
            if (channel != null) {
              channel.close();
            }
            channel =
                FileChannel.open(
                    fs.getPath(tree.resolve(names.get(file)).toString()), StandardOpenOption.WRITE);
            open = file;
          }
          random.nextBytes(block);
          long pos = (long) (b % BLOCKS_PER_FILE) * BLOCK;
          if (floor != null) {
            floor.beforeWrite(tree.resolve(names.get(file)), pos);
          }
          BenchFiles.writeFully(channel, ByteBuffer.wrap(block), pos);
        }
      } finally {
        if (channel != null) {
          channel.close();
        }
      }
    }

    /** The checkpoint under measurement (and the setup of the rollback measurement). */
    void checkpoint() throws IOException {
      switch (impl) {
        case "metamori":
        case "metamori-none":
          cp.commit();
          break;
        case "floor":
        case "floor-undo":
        case "floor-none":
          floor.commit();
          break;
        case "git":
          Git.run(tree, "add", "-A");
          Git.run(tree, "commit", "-q", "-m", "change");
          break;
        default:
          copyFiles(tree, snapshot, impl.equals("copy-fsync"));
          break;
      }
    }

    /** Goes back to the state before the last {@link #change()}. */
    void restore() throws IOException {
      switch (impl) {
        case "metamori":
        case "metamori-none":
          cp.rollback(baseEpoch);
          break;
        case "floor":
        case "floor-undo":
        case "floor-none":
          floor.rollback();
          break;
        case "git":
          Git.run(tree, "reset", "-q", "--hard", "HEAD~1");
          break;
        default:
          copyFiles(snapshot, tree, impl.equals("copy-fsync"));
          break;
      }
    }

    void copyFiles(Path from, Path to, boolean force) throws IOException {
      BenchFiles.copyFiles(names, from, to, force);
    }
  }

  /** Before each measured commit: change 1% of the tree. */
  @State(Scope.Thread)
  public static class CommitState extends Tree {
    @Setup(Level.Iteration)
    public void changeOnePercent() throws IOException {
      change();
    }

    /** Keeps the git repository at two commits: drop the measured one and its objects. */
    @TearDown(Level.Iteration)
    public void pruneGit() throws IOException {
      if (impl.equals("git")) {
        Git.run(tree, "reset", "-q", "--soft", "HEAD~1");
        Git.run(tree, "prune", "--expire=now");
      }
    }
  }

  /**
   * Before each measured rollback: change 1% of the tree and checkpoint it (Metamori, git); the
   * copy baselines keep the snapshot taken at trial setup, which is the state to go back to.
   */
  @State(Scope.Thread)
  public static class RollbackState extends Tree {
    @Setup(Level.Iteration)
    public void changeOnePercentAndCheckpoint() throws IOException {
      change();
      if (!impl.startsWith("copy")) {
        checkpoint();
      }
    }

    /** Drops the commit the rollback went back from, and its objects. */
    @TearDown(Level.Iteration)
    public void pruneGit() throws IOException {
      if (impl.equals("git")) {
        Git.run(tree, "prune", "--expire=now");
      }
    }
  }

  @Benchmark
  public void commit(CommitState s) throws IOException {
    s.checkpoint();
  }

  @Benchmark
  public void rollback(RollbackState s) throws IOException {
    s.restore();
  }

  /** Runs git with a fixed identity and no user or system configuration. */
  static final class Git {
    private static final List<String> CONFIG =
        List.of(
            "-c", "user.name=Metamori Benchmark",
            "-c", "user.email=bench@metamori.invalid",
            "-c", "commit.gpgsign=false",
            "-c", "gc.auto=0",
            "-c", "core.logAllRefUpdates=false");

    static void checkInstalled() throws IOException {
      try {
        run(null, "--version");
      } catch (IOException e) {
        throw new IOException(
            "git is not installed (or not on the PATH): the git baseline is skipped;"
                + " leave it out with -p impl=metamori,copy,copy-fsync",
            e);
      }
    }

    static void run(Path dir, String... args) throws IOException {
      List<String> command = new ArrayList<>();
      command.add("git");
      command.addAll(CONFIG);
      command.addAll(Arrays.asList(args));
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      if (dir != null) {
        pb.directory(dir.toFile());
      }
      pb.environment().put("GIT_CONFIG_NOSYSTEM", "1");
      pb.environment().put("GIT_CONFIG_GLOBAL", "/dev/null");
      pb.environment().put("GIT_TERMINAL_PROMPT", "0");
      Process p = pb.start();
      String output;
      try (InputStream in = p.getInputStream()) {
        output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      int exit;
      try {
        exit = p.waitFor();
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running " + command, e);
      }
      if (exit != 0) {
        throw new IOException(command + " exited with " + exit + ": " + output.trim());
      }
    }

    private Git() {}
  }
}
