package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Checkpointing a memory region of {@code regionMiB} MiB (incompressible random bytes) after a
 * fraction {@code dirty} of its 4 KiB pages changed (one long rewritten in each of randomly
 * chosen pages, outside the measured region), one single shot per measurement:
 *
 * <ul>
 *   <li>{@link #commit}: {@link Checkpointer#commit()}, durable ({@code PROCESS}: segment and
 *       index forced);
 *   <li>{@link #commitPause}: how long {@link Checkpointer#commitAsync()} blocks the caller (the
 *       capture: finding the changed pages, copying them, sealing the epoch); the commit is
 *       joined outside the measurement;
 *   <li>{@link #dumpWithForce}: the obvious alternative, writing the whole region to a file and
 *       forcing it;
 *   <li>{@link #serializeWithForce}: serialising an equivalent object graph whole (a {@code
 *       double[][]} of 4 KiB rows with the same bytes) with {@link ObjectOutputStream} to a
 *       file, forced.
 * </ul>
 *
 * <p>{@code tracker} is how the commit finds the changed pages: {@code auto} takes what a user
 * gets (write-protect tracking on Linux 6.7+ with Java 22+, the hash scan otherwise; the setup
 * prints which), {@code hash-scan} forces the hash scan, for the side-by-side figures in {@code
 * docs/performance.md}.
 *
 * <p>Run: {@code mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -wi 2 -i 5
 * RegionCommitBenchmark"}; larger regions need memory: {@code -p regionMiB=4096 -jvmArgs
 * "-Xmx12g -XX:MaxDirectMemorySize=8g"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-XX:MaxDirectMemorySize=6g"})
public class RegionCommitBenchmark extends CommitBenchmarkBase {
  @Param({"64", "256", "1024"})
  public int regionMiB;

  @Param({"0.001", "0.01", "0.1", "1.0"})
  public double dirty;

  @Param({"auto", "hash-scan"})
  public String tracker;

  private MemoryRegion region;
  private double[][] graph;
  private final Random random = new Random(42);

  @Setup(Level.Trial)
  public void open() throws IOException {
    dir = Files.createTempDirectory("metamori-region-bench");
    Path data = Files.createDirectory(dir.resolve("data"));
    cp = Checkpointer.builder(dir.resolve("store")).track(data).open();
    long size = (long) regionMiB << 20;
    System.setProperty("metamori.pageTracking", tracker);
    region = cp.region("bench", size);
    byte[] noise = new byte[1 << 20];
    for (long at = 0; at < size; at += noise.length) {
      random.nextBytes(noise);
      region.put(at, noise, 0, noise.length);
    }
    cp.commit();
    System.err.println("region pages tracked by " + cp.stats().states().get(0).pageTracking());
    graph = new double[(int) (size / 4096)][512];
  }

  @Setup(Level.Invocation)
  public void dirtyPages() {
    long pages = region.size() / 4096;
    long n = Math.max(1, Math.round(pages * dirty));
    if (dirty >= 1.0) {
      for (long p = 0; p < pages; p++) {
        region.putLong(p * 4096, random.nextLong());
      }
    } else {
      for (long i = 0; i < n; i++) {
        long p = (long) (random.nextDouble() * pages);
        region.putLong(p * 4096 + 8 * random.nextInt(512), random.nextLong());
      }
    }
  }

  @Benchmark
  public long dumpWithForce() throws IOException {
    Path file = dir.resolve("dump.bin");
    try (FileChannel c =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      long written = 0;
      for (ByteBuffer b : region.buffers()) {
        while (b.hasRemaining()) {
          written += c.write(b);
        }
      }
      c.force(true);
      return written;
    }
  }

  @Benchmark
  public long serializeWithForce() throws IOException {
    Path file = dir.resolve("graph.ser");
    ByteBuffer page = ByteBuffer.allocate(4096);
    for (int i = 0; i < graph.length; i++) {
      page.clear();
      region.get((long) i * 4096, page.array(), 0, 4096);
      page.asDoubleBuffer().get(graph[i]);
    }
    try (FileChannel c =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(c), 1 << 16);
      ObjectOutputStream objects = new ObjectOutputStream(out);
      objects.writeObject(graph);
      objects.flush();
      c.force(true);
      return c.size();
    }
  }
}
