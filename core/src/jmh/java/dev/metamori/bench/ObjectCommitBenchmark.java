package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Checkpointing a registered {@link ObjectGraph#standard()} graph (about 300,000 objects, 19 to
 * 21 MiB serialised) after one simulation step that changes {@code rate} of its agents (with
 * {@link ObjectGraph#CHURN} births and deaths and {@link ObjectGraph#EVENTS_PER_STEP} new
 * events; outside the measured region), saved as {@code format}, one single shot per
 * measurement:
 *
 * <ul>
 *   <li>{@link #commit}: {@link Checkpointer#commit()}, durable: the graph is serialised whole,
 *       cut into content-defined chunks and hashed, and only the new chunks and the manifest
 *       are written and forced;
 *   <li>{@link #commitPause}: how long {@link Checkpointer#commitAsync()} blocks the caller (the
 *       capture, which includes serialising, chunking and hashing the graph); the commit is
 *       joined outside the measurement;
 *   <li>{@link #serializeWithForce}: the obvious alternative, serialising the graph whole the
 *       same way into a file and forcing it;
 *   <li>{@link #serializeOnly}: serialising the graph whole into {@link
 *       OutputStream#nullOutputStream()}, the part of every figure above that is the
 *       application's own {@code save}.
 * </ul>
 *
 * <p>Run: {@code mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 ObjectCommitBenchmark"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 15)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class ObjectCommitBenchmark extends CommitBenchmarkBase {
  /** An {@link ObjectGraph.Flavour} name (JMH parameters must be public types). */
  @Param({"JAVA", "CODEC"})
  public String format;

  @Param({"0.01"})
  public double rate;

  private ObjectGraph.Flavour flavour;
  private ObjectGraph graph;

  @Setup(Level.Trial)
  public void open() throws IOException {
    flavour = ObjectGraph.Flavour.valueOf(format);
    dir = BenchFiles.newWorkDir("metamori-object-bench");
    Path data = Files.createDirectory(dir.resolve("data"));
    cp = Checkpointer.builder(dir.resolve("store")).track(data).open();
    graph = ObjectGraph.standard();
    cp.register("world", graph.checkpointable(flavour));
    cp.commit();
  }

  @Setup(Level.Invocation)
  public void step() {
    graph.mutate(rate);
  }

  @Benchmark
  public long serializeWithForce() throws IOException {
    Path file = dir.resolve("graph.ser");
    try (FileChannel c =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(c), 1 << 16);
      graph.save(flavour, out);
      out.flush();
      c.force(true);
      return c.size();
    }
  }

  @Benchmark
  public OutputStream serializeOnly() throws IOException {
    OutputStream out = OutputStream.nullOutputStream();
    graph.save(flavour, out);
    return out;
  }
}
