package dev.metamori.internal.memory;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import dev.metamori.testing.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChunkerTest {

  private static final Chunker SMALL = new Chunker(64, 256, 1024);

  /** Pins the gear table: it is part of the store format. */
  @Test
  void gearTableIsSplitMix64FromTheFixedSeed() {
    long[] g = Chunker.gear();
    assertEquals(256, g.length);
    // SplitMix64's published first output for seed 0 is 0xE220A8397B1DCDAF; check the
    // algorithm on that, then pin our seed's first and last entries.
    assertEquals(0xE220A8397B1DCDAFL, splitMix64First(0));
    assertEquals(splitMix64First(Chunker.GEAR_SEED), g[0]);
    assertEquals(0xA759312AE1998709L, g[0]);
    assertEquals(0x01A1CDECD844FCBCL, g[1]);
    assertEquals(0x1ED554458C0AF0C4L, g[255]);
  }

  private static long splitMix64First(long seed) {
    long z = seed + 0x9E3779B97F4A7C15L;
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Test
  void chunkSizesAreWithinBoundsExceptTheLast() {
    Seeds.qt(Seeds.seed(0x43484e4b31L)).withExamples(100)
        .forAll(integers().between(0, 300_000), longs().all())
        .checkAssert(
            (len, seed) -> {
              byte[] data = randomBytes(len, seed);
              int[] lengths = Chunker.DEFAULT.chunkLengths(data);
              assertArrayEquals(lengths, Chunker.DEFAULT.chunkLengths(data.clone()));
              long sum = 0;
              for (int i = 0; i < lengths.length; i++) {
                sum += lengths[i];
                assertTrue(lengths[i] <= 64 << 10, "chunk " + i + " too long: " + lengths[i]);
                if (i < lengths.length - 1) {
                  assertTrue(lengths[i] >= 2 << 10, "chunk " + i + " too short: " + lengths[i]);
                }
              }
              assertEquals((long) len, sum);
            });
  }

  @Test
  void averageIsNearTheTarget() {
    byte[] data = randomBytes(8 << 20, 1);
    int[] lengths = Chunker.DEFAULT.chunkLengths(data);
    double mean = (double) data.length / lengths.length;
    // Normalized chunking with a 2 KiB skip lands a little above the 8 KiB target.
    assertTrue(mean > 6 << 10 && mean < 14 << 10, "mean chunk " + mean);
  }

  /** Low-entropy input has no boundaries; chunks then are exactly max long. */
  @Test
  void constantInputIsCutAtMax() {
    int[] lengths = SMALL.chunkLengths(new byte[5000]);
    assertArrayEquals(new int[] {1024, 1024, 1024, 1024, 904}, lengths);
  }

  @Test
  void streamGivesTheSameChunksForAnySplitOfTheInput() {
    Seeds.qt(Seeds.seed(0x43484e4b32L)).withExamples(150)
        .forAll(integers().between(0, 20_000), longs().all())
        .checkAssert(
            (len, seed) -> {
              byte[] data = randomBytes(len, seed);
              Random rnd = new Random(~seed);
              if (rnd.nextBoolean()) {
                // Some long runs of one byte so that max-size cuts are exercised too.
                for (int i = 0; i < len; i += 1 + rnd.nextInt(3000)) {
                  Arrays.fill(data, i, Math.min(len, i + rnd.nextInt(2500)), (byte) 7);
                }
              }
              List<byte[]> expected = split(data, SMALL.chunkLengths(data));
              List<byte[]> got = new ArrayList<>();
              try (ChunkingOutputStream out = new ChunkingOutputStream(SMALL, collect(got))) {
                for (int off = 0; off < len; ) {
                  int n = Math.min(len - off, rnd.nextInt(4) == 0 ? 1 : rnd.nextInt(3000));
                  if (n == 1 && rnd.nextBoolean()) {
                    out.write(data[off]);
                  } else {
                    out.write(data, off, n);
                  }
                  off += n;
                }
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
              assertEquals(expected.size(), got.size());
              for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(expected.get(i), got.get(i), "chunk " + i);
              }
            });
  }

  /** A chunk is emitted while writing, before close, once its boundary is known. */
  @Test
  void streamEmitsEarlyAndBuffersAtMostOneMaxChunk() throws IOException {
    byte[] data = randomBytes(1 << 20, 3);
    List<byte[]> got = new ArrayList<>();
    ChunkingOutputStream out = new ChunkingOutputStream(Chunker.DEFAULT, collect(got));
    long emitted = 0;
    for (int off = 0; off < data.length; off += 4096) {
      out.write(data, off, 4096);
      long written = off + 4096;
      emitted = got.stream().mapToLong(c -> c.length).sum();
      assertTrue(written - emitted < 64 << 10, "buffered " + (written - emitted));
    }
    assertTrue(got.size() > 50);
    out.close();
    assertThrows(IOException.class, () -> out.write(1));
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    for (byte[] c : got) {
      all.write(c);
    }
    assertArrayEquals(data, all.toByteArray());
  }

  /** The point of content-defined chunking: a local edit changes only nearby chunks. */
  @Test
  void aSmallEditChangesOnlyAFewChunks() {
    Seeds.qt(Seeds.seed(0x43484e4b33L)).withExamples(10)
        .forAll(longs().all())
        .checkAssert(
            seed -> {
              byte[] data = randomBytes(8 << 20, seed);
              Random rnd = new Random(seed);
              int at = (4 << 20) + rnd.nextInt(1 << 20);
              int inserted = rnd.nextInt(16);
              byte[] edited = new byte[data.length + inserted];
              System.arraycopy(data, 0, edited, 0, at);
              for (int i = 0; i < inserted; i++) {
                edited[at + i] = (byte) rnd.nextInt();
              }
              System.arraycopy(data, at, edited, at + inserted, data.length - at);
              edited[at + inserted + rnd.nextInt(100)] ^= 0x5A; // and change one byte
              Set<ByteBuffer> before = chunkSet(data);
              long changed =
                  split(edited, Chunker.DEFAULT.chunkLengths(edited)).stream()
                      .map(ByteBuffer::wrap)
                      .filter(c -> !before.contains(c))
                      .count();
              assertTrue(changed >= 1 && changed <= 4, changed + " chunks differ");
            });
  }

  @Test
  void rejectsBadSizes() {
    assertThrows(IllegalArgumentException.class, () -> new Chunker(2048, 6000, 65536));
    assertThrows(IllegalArgumentException.class, () -> new Chunker(16384, 8192, 65536));
    assertThrows(IllegalArgumentException.class, () -> new Chunker(2048, 8192, 4096));
  }

  private static Set<ByteBuffer> chunkSet(byte[] data) {
    Set<ByteBuffer> s = new HashSet<>();
    for (byte[] c : split(data, Chunker.DEFAULT.chunkLengths(data))) {
      s.add(ByteBuffer.wrap(c));
    }
    return s;
  }

  private static ChunkingOutputStream.Sink collect(List<byte[]> into) {
    return chunk -> {
      byte[] b = new byte[chunk.remaining()];
      chunk.get(b);
      into.add(b);
    };
  }

  private static List<byte[]> split(byte[] data, int[] lengths) {
    List<byte[]> out = new ArrayList<>();
    int off = 0;
    for (int n : lengths) {
      out.add(Arrays.copyOfRange(data, off, off + n));
      off += n;
    }
    return out;
  }

  private static byte[] randomBytes(int len, long seed) {
    byte[] b = new byte[len];
    new Random(seed).nextBytes(b);
    return b;
  }
}
