package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * The fixed cost of each epoch on a restore's route: a tracked file of 1 MiB, then {@code
 * epochs} commits that each overwrite one 4 KiB block of it. One measured operation restores
 * from the last epoch to the first (undoing every epoch) or back (redoing them), alternately;
 * the trial's setup went both ways once, so every epoch has its redo and the undo saves nothing.
 * The bytes moved are {@code epochs} blocks each way, so {@code time / epochs} is the cost per
 * epoch; the difference between two values of {@code epochs} removes what a restore pays once.
 * With {@code change=blocks} the epochs form one run (a restore makes it durable once, at its
 * end); with {@code change=renames} each epoch also renames a small file, so that each is moved
 * and made durable on its own.
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/route.json RouteBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 4)
@Measurement(iterations = 20)
@Fork(1)
@State(Scope.Thread)
public class RouteBenchmark {
  private static final int BLOCK = 4096;
  private static final int FILE_BLOCKS = 256;

  @Param({"1", "16", "64"})
  public int epochs;

  @Param({"PROCESS", "NONE"})
  public Durability durability;

  @Param({"blocks", "renames"})
  public String change;

  private Path dir;
  private Checkpointer cp;
  private long first;
  private long last;
  private boolean atLast;

  @Setup(Level.Trial)
  public void build() throws IOException {
    dir = BenchFiles.newWorkDir("metamori-route-");
    Path tree = dir.resolve("tree");
    java.nio.file.Files.createDirectories(tree);
    Random random = new Random(11);
    BenchFiles.writeRandomFile(tree.resolve("data.bin"), (long) FILE_BLOCKS * BLOCK, random);
    cp = Checkpointer.builder(dir.resolve("store")).track(tree).durability(durability).open();
    byte[] block = new byte[BLOCK];
    Path file = cp.fileSystem().getPath(tree.resolve("data.bin").toString());
    Path[] names = {cp.fileSystem().getPath(tree.resolve("a").toString()), cp.fileSystem().getPath(tree.resolve("b").toString())};
    java.nio.file.Files.write(names[0], new byte[100]);
    first = cp.commit();
    for (int i = 0; i < epochs; i++) {
      try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
        random.nextBytes(block);
        BenchFiles.writeFully(c, ByteBuffer.wrap(block), (long) random.nextInt(FILE_BLOCKS) * BLOCK);
      }
      if (change.equals("renames")) {
        java.nio.file.Files.move(names[i % 2], names[(i + 1) % 2]);
      }
      last = cp.commit();
    }
    cp.restore(first); // every epoch gets its redo
    cp.restore(last);
    atLast = true;
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    cp.close();
    BenchFiles.deleteTree(dir);
  }

  @Benchmark
  public void route() throws IOException {
    cp.restore(atLast ? first : last);
    atLast = !atLast;
  }
}
