package dev.metamori.bench;

import dev.metamori.internal.memory.Chunker;
import dev.metamori.internal.memory.ChunkingOutputStream;
import java.io.IOException;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;

/**
 * FastCDC chunking speed with the default sizes (2/8/64 KiB) over 64 MiB of random bytes:
 * {@link #cut} over a byte array in memory, and {@link #stream} through {@link
 * ChunkingOutputStream} in 64 KiB writes with a sink that only looks at each chunk's length.
 * MB/s = 64 MiB / time. Run with {@code mvn -Pjmh -pl core test-compile exec:exec -Djmh.args="-f 1 -wi
 * 2 -i 3 ChunkerBenchmark"}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ChunkerBenchmark {

  private static final int SIZE = 64 << 20;
  private static final int WRITE = 64 << 10;

  private byte[] data;

  /** Random input: the worst case for nothing, the typical case for boundary density. */
  @Setup
  public void setUp() {
    data = new byte[SIZE];
    new Random(7).nextBytes(data);
  }

  /** Chunks the array with {@link Chunker#cut}. */
  @Benchmark
  public int cut() {
    int chunks = 0;
    for (int off = 0; off < data.length; chunks++) {
      off += Chunker.DEFAULT.cut(data, off, data.length - off);
    }
    return chunks;
  }

  /** Chunks the array through the stream. */
  @Benchmark
  public void stream(Blackhole bh) throws IOException {
    try (ChunkingOutputStream out =
        new ChunkingOutputStream(Chunker.DEFAULT, chunk -> bh.consume(chunk.remaining()))) {
      for (int off = 0; off < data.length; off += WRITE) {
        out.write(data, off, WRITE);
      }
    }
  }
}
