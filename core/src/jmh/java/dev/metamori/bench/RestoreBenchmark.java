package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.bench.CommitRollbackBenchmark.Git;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
 * Latency of a restore across branches of the epoch tree, against the size of what differs
 * between the two states ({@code changedKiB}) and the size of the tree ({@code treeMiB}).
 *
 * <p>The tree is {@value #FILES} files of incompressible random bytes, {@code treeMiB} in all,
 * the state of a common ancestor A. Branch X rewrites {@code changedKiB} of distinct 4 KiB blocks
 * of the even-numbered files in {@value #EPOCHS} commits; branch Y, off A, the same amount in the
 * odd-numbered files. So going from the tip of X to the tip of Y undoes {@code changedKiB} and
 * redoes {@code changedKiB}.
 *
 * <ul>
 *   <li>{@link #switchBranch}: one measured switch, alternately X to Y and Y to X, each a single
 *       shot. {@code impl=metamori}: {@link Checkpointer#restore(long)} to the other tip, in steady
 *       state (the trial setup switched both ways once, so both branches have their redo files).
 *       {@code copy}: every file of a full copy of the other branch's state copied over the tree
 *       (what a copy-based checkpoint tool does to switch), not forced; {@code copy-fsync}: the
 *       same with every copied file forced, durable like a restore. {@code git}: the tree is a
 *       git work tree with branches {@code x} and {@code y} holding the same commits, and the
 *       switch is {@code git checkout}. Without git on the PATH the {@code git} trials fail at
 *       setup with a message and the others still run (or leave it out with {@code -p
 *       impl=metamori,copy,copy-fsync}).
 *   <li>{@link #undo}: one epoch that rewrote {@code changedKiB} of the even-numbered files,
 *       committed during the iteration's setup, undone by a measured restore to its parent.
 *       {@code redo=first}: the epoch was never undone, so the restore also reads and saves what
 *       each undo step destroys into the epoch's redo file; {@code redo=exists}: the setup undid
 *       and redid it once already, so the redo file exists and the restore only undoes.
 * </ul>
 *
 * Trees live in {@code java.io.tmpdir} (or {@code -Dmetamori.bench.dir}; give it to the fork
 * with {@code -jvmArgsAppend}); a trial needs up to 4 times {@code treeMiB} free. Run:
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -wi 2 -i 10 -rf json -rff target/restore.json RestoreBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(1)
public class RestoreBenchmark {
  static final int FILES = 256;
  static final int EPOCHS = 4;
  static final int BLOCK = 4096;

  /** The tree at A, and how to change a half of it. */
  @State(Scope.Thread)
  public abstract static class Tree {
    /** Size of the whole tree. */
    @Param({"64", "256"})
    public int treeMiB;

    /** Bytes one branch rewrites in all (and one epoch, for {@link #undo}). */
    @Param({"64", "1024", "16384"})
    public int changedKiB;

    Path dir;
    Path tree;
    /** The store tracking {@link #tree}, when Metamori is measured. */
    Checkpointer cp;
    final List<String> names = new ArrayList<>();
    final byte[] block = new byte[BLOCK];
    int blocksPerFile;

    void createTree() throws IOException {
      blocksPerFile = (int) (((long) treeMiB << 20) / FILES / BLOCK);
      if (changedBlocks() > FILES / 2 * blocksPerFile) {
        throw new IllegalArgumentException(
            "changedKiB=" + changedKiB + " is more than half of treeMiB=" + treeMiB);
      }
      dir = BenchFiles.newWorkDir("metamori-restore-");
      tree = Files.createDirectories(dir.resolve("tree"));
      Random random = new Random(11);
      for (int i = 0; i < FILES; i++) {
        String name = String.format("file-%03d.bin", i);
        names.add(name);
        BenchFiles.writeRandomFile(tree.resolve(name), (long) blocksPerFile * BLOCK, random);
      }
    }

    @TearDown(Level.Trial)
    public void deleteTree() throws IOException {
      if (cp != null) {
        cp.close();
      }
      BenchFiles.deleteTree(dir);
    }

    int changedBlocks() {
      return changedKiB * 1024 / BLOCK;
    }

    /**
     * Picks {@code count} distinct blocks of one half of the files, in ascending order: in the half
     * {@code h}, block {@code k} is block {@code k % blocksPerFile} of file {@code 2 * (k /
     * blocksPerFile) + h}.
     */
    int[] choose(Random random, int count) {
      return BenchFiles.chooseDistinct(random, FILES / 2 * blocksPerFile, count);
    }

    /** Writes new random bytes to the given blocks of the half {@code half} of {@code root}. */
    void rewrite(FileSystem fs, Path root, int half, int[] blocks, Random random)
        throws IOException {
      FileChannel channel = null;
      int open = -1;
      try {
        for (int k : blocks) {
          int file = 2 * (k / blocksPerFile) + half;
          if (file != open) {
            if (channel != null) {
              channel.close();
            }
            channel =
                FileChannel.open(
                    fs.getPath(root.resolve(names.get(file)).toString()), StandardOpenOption.WRITE);
            open = file;
          }
          random.nextBytes(block);
          BenchFiles.writeFully(channel, ByteBuffer.wrap(block), (long) (k % blocksPerFile) * BLOCK);
        }
      } finally {
        if (channel != null) {
          channel.close();
        }
      }
    }

    /**
     * Applies branch {@code half} (0 is X, 1 is Y) to {@code root} in {@value #EPOCHS} steps,
     * calling {@code commit} after each. The blocks and bytes depend only on the branch, so every
     * {@code impl} builds the same two states.
     */
    void applyBranch(FileSystem fs, Path root, int half, IoAction commit) throws IOException {
      Random random = new Random(100 + half);
      int[] blocks = choose(random, changedBlocks());
      for (int e = 0; e < EPOCHS; e++) {
        int from = blocks.length * e / EPOCHS;
        int to = blocks.length * (e + 1) / EPOCHS;
        rewrite(fs, root, half, Arrays.copyOfRange(blocks, from, to), random);
        commit.run();
      }
    }
  }

  /** An action that may throw {@link IOException}. */
  interface IoAction {
    void run() throws IOException;
  }

  /** Two branches off A, in the store, in git or as two full copies; the tree at the tip of X. */
  @State(Scope.Thread)
  public static class Branches extends Tree {
    @Param({"metamori", "copy", "copy-fsync", "git"})
    public String impl;

    long tipX;
    long tipY;
    Path snapX;
    Path snapY;
    boolean atX = true;

    @Setup(Level.Trial)
    public void createBranches() throws IOException {
      if (!Arrays.asList("metamori", "copy", "copy-fsync", "git").contains(impl)) {
        throw new IllegalArgumentException(
            "impl must be metamori, copy, copy-fsync or git, was " + impl);
      }
      if (impl.equals("git")) {
        Git.checkInstalled();
      }
      createTree();
      FileSystem fs = FileSystems.getDefault();
      switch (impl) {
        case "metamori":
          cp = Checkpointer.builder(dir.resolve("store")).track(tree).open();
          long a = cp.commit();
          applyBranch(cp.fileSystem(), tree, 1, cp::commit);
          tipY = cp.currentEpoch();
          cp.restore(a);
          applyBranch(cp.fileSystem(), tree, 0, cp::commit);
          tipX = cp.currentEpoch();
          // the first undo of each branch saves its redo: leave steady state for the measurement
          cp.restore(tipY);
          cp.restore(tipX);
          break;
        case "git":
          Git.run(tree, "init", "-q");
          Git.run(tree, "add", "-A");
          Git.run(tree, "commit", "-q", "-m", "A");
          Git.run(tree, "branch", "x");
          Git.run(tree, "checkout", "-q", "-b", "y");
          applyBranch(fs, tree, 1, () -> gitCommit("y"));
          Git.run(tree, "checkout", "-q", "x");
          applyBranch(fs, tree, 0, () -> gitCommit("x"));
          break;
        default:
          snapY = Files.createDirectories(dir.resolve("y"));
          BenchFiles.copyFiles(names, tree, snapY, false);
          applyBranch(fs, snapY, 1, () -> {});
          applyBranch(fs, tree, 0, () -> {});
          snapX = Files.createDirectories(dir.resolve("x"));
          BenchFiles.copyFiles(names, tree, snapX, false);
          break;
      }
    }

    private void gitCommit(String branch) throws IOException {
      Git.run(tree, "add", "-A");
      Git.run(tree, "commit", "-q", "-m", branch);
    }

    /** Moves the tree to the tip of the other branch. */
    void switchBranch() throws IOException {
      switch (impl) {
        case "metamori":
          cp.restore(atX ? tipY : tipX);
          break;
        case "git":
          Git.run(tree, "checkout", "-q", atX ? "y" : "x");
          break;
        default:
          BenchFiles.copyFiles(names, atX ? snapY : snapX, tree, impl.equals("copy-fsync"));
          break;
      }
      atX = !atX;
    }
  }

  /** A store at A; each iteration commits one epoch of {@code changedKiB} on top of A. */
  @State(Scope.Thread)
  public static class OneEpoch extends Tree {
    /** Whether the epoch's redo file is captured by the measured undo or exists already. */
    @Param({"first", "exists"})
    public String redo;

    long a;
    final Random random = new Random(5);

    @Setup(Level.Trial)
    public void createStore() throws IOException {
      if (!redo.equals("first") && !redo.equals("exists")) {
        throw new IllegalArgumentException("redo must be first or exists, was " + redo);
      }
      createTree();
      cp = Checkpointer.builder(dir.resolve("store")).track(tree).open();
      a = cp.commit();
    }

    @Setup(Level.Iteration)
    public void commitOneEpoch() throws IOException {
      rewrite(cp.fileSystem(), tree, 0, choose(random, changedBlocks()), random);
      long epoch = cp.commit();
      if (redo.equals("exists")) {
        cp.restore(a);
        cp.restore(epoch);
      }
    }
  }

  @Benchmark
  public void switchBranch(Branches s) throws IOException {
    s.switchBranch();
  }

  @Benchmark
  public void undo(OneEpoch s) throws IOException {
    s.cp.restore(s.a);
  }
}
