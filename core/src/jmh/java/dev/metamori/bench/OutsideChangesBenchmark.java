package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
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
 * What finding outside changes costs, against the number of tracked entries: a tree of {@code
 * files} files of 1 KiB in directories of 1,000, committed once.
 *
 * <ul>
 *   <li>{@link #status}: {@link Checkpointer#status()} on the unchanged tree (one stat per entry,
 *       in parallel);
 *   <li>{@link #restoreOneBlock}: a restore that undoes one epoch which changed one 4 KiB block
 *       of one file (committed in the invocation's setup): the check, then the restore;
 *   <li>{@link #walkFloor}: the floor, the JDK's own single-threaded walk of the tree reading
 *       the basic attributes of every entry ({@code Files.walkFileTree}).
 * </ul>
 *
 * A restore costs the check plus what it costs without it: {@code restoreOneBlock - status}.
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -wi 3 -i 10 OutsideChangesBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 10)
@Fork(1)
@State(Scope.Thread)
public class OutsideChangesBenchmark {
  @Param({"1000", "100000"})
  public int files;

  private Path dir;
  private Path root;
  private Checkpointer cp;
  private long base;

  @Setup(Level.Trial)
  public void tree() throws IOException {
    dir = BenchFiles.newWorkDir("outside-changes");
    root = Files.createDirectory(dir.resolve("root"));
    byte[] kib = new byte[1024];
    for (int i = 0; i < files; i++) {
      Path d = root.resolve("d" + (i / 1000));
      if (i % 1000 == 0) {
        Files.createDirectory(d);
      }
      kib[0] = (byte) i;
      Files.write(d.resolve("f" + i), kib);
    }
    cp = Checkpointer.builder(dir.resolve("store")).track(root).open();
    base = cp.commit();
  }

  @Setup(Level.Invocation)
  public void oneBlockChanged() throws IOException {
    try (FileChannel c =
        FileChannel.open(cp.fileSystem().getPath(root.resolve("d0/f0").toString()), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[4096]), 0);
    }
    cp.commit();
  }

  @TearDown(Level.Trial)
  public void delete() throws IOException {
    cp.close();
    BenchFiles.deleteTree(dir);
  }

  @Benchmark
  public int status() throws IOException {
    return cp.status().size();
  }

  @Benchmark
  public long restoreOneBlock() throws IOException {
    cp.restore(base);
    return cp.currentEpoch();
  }

  @Benchmark
  public long walkFloor() throws IOException {
    long[] n = {0};
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            n[0] += attrs.size();
            return FileVisitResult.CONTINUE;
          }
        });
    return n[0];
  }
}
