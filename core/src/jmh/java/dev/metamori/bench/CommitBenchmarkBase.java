package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What the commit benchmarks of volatile state share: a store in {@link #dir} opened as {@link
 * #cp} by the subclass's setup, {@code commit()}, the pause of {@code commitAsync()} (the commit
 * is joined outside the measurement), and the clean-up.
 */
public abstract class CommitBenchmarkBase {
  protected Path dir;
  protected Checkpointer cp;
  private CompletableFuture<Long> pending;

  @TearDown(Level.Invocation)
  public void joinPending() {
    if (pending != null) {
      pending.join();
      pending = null;
    }
  }

  @TearDown(Level.Trial)
  public void close() throws IOException {
    cp.close();
    BenchFiles.deleteTree(dir);
  }

  @Benchmark
  public long commit() throws IOException {
    return cp.commit();
  }

  @Benchmark
  public Object commitPause() throws IOException {
    pending = cp.commitAsync();
    return pending;
  }
}
