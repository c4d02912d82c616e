package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * What the checksums of the trash cost (docs/design.md, "The trash and its checksums"): a
 * commit whose epoch deleted one file of {@code sizeMiB} of random bytes ({@link #commit}: the
 * commit reads the trashed file from the page cache, hashes it and forces its data), and the
 * rollback of that epoch ({@link #rollback}: before it renames the file back, the restore reads
 * and hashes it once more). Each is a single shot; the setup before it (outside the measured
 * region) brings the file back if needed, deletes it through {@link Checkpointer#fileSystem()}
 * and, for the rollback, commits. Uses only the public API, so the same class measures a
 * version without checksums. Run:
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -rf json -rff target/trash.json TrashBenchmark"
 * </pre>
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 15)
@Fork(1)
public class TrashBenchmark {

  /** A tracked tree holding one file, and a store whose epoch 1 has it. */
  @State(Scope.Thread)
  public abstract static class Store {
    @Param({"64"})
    public int sizeMiB;

    Path dir;
    Checkpointer cp;
    Path file;
    long base;

    @Setup(Level.Trial)
    public void create() throws IOException {
      dir = BenchFiles.newWorkDir("metamori-trash-");
      Path tree = Files.createDirectories(dir.resolve("tree"));
      BenchFiles.writeRandomFile(tree.resolve("victim.bin"), (long) sizeMiB << 20, new Random(11));
      cp = Checkpointer.builder(dir.resolve("store")).track(tree).open();
      file = cp.fileSystem().getPath(tree.resolve("victim.bin").toString());
      base = cp.commit();
    }

    /** Deletes the file in the working epoch, first bringing it back (a rollback) if needed. */
    void deleteFile() throws IOException {
      if (!Files.exists(file)) {
        cp.rollback(base);
      }
      Files.delete(file);
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
      cp.close();
      BenchFiles.deleteTree(dir);
    }
  }

  /** The file deleted in the working epoch, which {@link #commit} commits. */
  public static class Deleted extends Store {
    @Setup(Level.Invocation)
    public void deleted() throws IOException {
      deleteFile();
    }
  }

  /** An epoch that deleted the file, committed; {@link #rollback} undoes it. */
  public static class Committed extends Store {
    @Setup(Level.Invocation)
    public void deletedAndCommitted() throws IOException {
      deleteFile();
      cp.commit();
    }
  }

  @Benchmark
  public long commit(Deleted s) throws IOException {
    return s.cp.commit();
  }

  @Benchmark
  public long rollback(Committed s) throws IOException {
    s.cp.rollback(s.base);
    return s.cp.currentEpoch();
  }
}
