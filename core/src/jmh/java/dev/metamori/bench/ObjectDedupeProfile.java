package dev.metamori.bench;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.internal.memory.Chunker;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What a registered {@link ObjectGraph} costs the journal per epoch, for each {@link
 * ObjectGraph.Flavour} and rate of change: the graph is registered, committed once whole, then
 * mutated and committed {@code epochs} times. For every epoch it records the serialised size,
 * the bytes the store journaled ({@link Epoch#bytesJournaled}: new chunks after LZ4, the
 * manifest and record headers) and the commit time; and, from the same serialised bytes
 * computed again outside the commit, how many content-defined chunks ({@link Chunker#DEFAULT},
 * deduplicated by SHA-256 against the previous epoch as the store does) and how many fixed 8 KiB
 * blocks (same rule) were new. Each commit is timed, with its pause (the return of {@link
 * Checkpointer#commitAsync()}), against serialising the same graph whole into a file with a
 * force right after it, so that both see the same machine load; the ratios are per epoch.
 * Prints the median of each per configuration.
 *
 * <p>Run: {@code mvn -Pjmh -pl core test-compile exec:exec -Djmh.main=dev.metamori.bench.ObjectDedupeProfile
 * -Djmh.args="30"} (argument: epochs per configuration, default 30; about 6 minutes).
 */
public final class ObjectDedupeProfile {
  private static final int FIXED_BLOCK = 8 << 10;
  private static final double[] RATES = {0.001, 0.01, 0.1};

  /** Entry point; the optional argument is the number of measured epochs per configuration. */
  public static void main(String[] args) throws Exception {
    int epochs = args.length > 0 ? Integer.parseInt(args[0]) : 30;
    System.out.println(
        "flavour rate   size_MiB first_KiB journaled_KiB journaled/size  cdc_chunks cdc_new"
            + " cdc_new_KiB manifest_KiB  fixed_new fixed_new_KiB fixed/cdc commit_ms pause_ms whole_ms commit/whole pause/whole");
    for (ObjectGraph.Flavour flavour : ObjectGraph.Flavour.values()) {
      for (double rate : RATES) {
        run(flavour, rate, epochs);
      }
    }
  }

  private static void run(ObjectGraph.Flavour flavour, double rate, int epochs) throws Exception {
    Path dir = BenchFiles.newWorkDir("metamori-object-profile");
    try {
      Path data = Files.createDirectory(dir.resolve("data"));
      ObjectGraph graph = ObjectGraph.standard();
      long[] size = new long[epochs];
      long[] journaled = new long[epochs];
      long[] cdcChunks = new long[epochs];
      long[] cdcNew = new long[epochs];
      long[] cdcNewBytes = new long[epochs];
      long[] fixedNew = new long[epochs];
      long[] fixedNewBytes = new long[epochs];
      long[] commitNanos = new long[epochs];
      long[] pauseNanos = new long[epochs];
      long[] wholeNanos = new long[epochs];
      double[] commitRatio = new double[epochs];
      double[] pauseRatio = new double[epochs];
      long first;
      try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(data).open()) {
        cp.register("world", graph.checkpointable(flavour));
        cp.commit();
        first = last(cp.epochs()).bytesJournaled();
        byte[] bytes = serialise(graph, flavour);
        Set<ByteBuffer> cdcKnown = cdcHashes(bytes, null, null);
        Set<ByteBuffer> fixedKnown = fixedHashes(bytes, null);
        for (int e = 0; e < epochs; e++) {
          graph.mutate(rate);
          long start = System.nanoTime();
          CompletableFuture<Long> commit = cp.commitAsync();
          pauseNanos[e] = System.nanoTime() - start;
          commit.join();
          commitNanos[e] = System.nanoTime() - start;
          wholeNanos[e] = serialiseWithForce(graph, flavour, dir.resolve("whole.ser"));
          commitRatio[e] = (double) commitNanos[e] / wholeNanos[e];
          pauseRatio[e] = (double) pauseNanos[e] / wholeNanos[e];
          journaled[e] = last(cp.epochs()).bytesJournaled();
          bytes = serialise(graph, flavour);
          size[e] = bytes.length;
          long[] cdc = new long[3];
          cdcKnown = cdcHashes(bytes, cdcKnown, cdc);
          cdcChunks[e] = cdc[0];
          cdcNew[e] = cdc[1];
          cdcNewBytes[e] = cdc[2];
          long[] fixed = new long[2];
          fixedKnown = fixedHashes(bytes, fixedKnown, fixed);
          fixedNew[e] = fixed[0];
          fixedNewBytes[e] = fixed[1];
        }
      }
      checkRestart(dir, data, flavour, serialise(graph, flavour));
      long cdcBytes = median(cdcNewBytes);
      System.out.printf(
          Locale.ROOT,
          "%-7s %-6s %8.1f %9d %13d %13.2f%% %11d %7d %11d %12d %10d %13d %9.1f %9.0f %8.0f %8.0f %12.2f %11.2f%n",
          flavour,
          rate,
          median(size) / 1048576.0,
          first / 1024,
          median(journaled) / 1024,
          100.0 * median(journaled) / median(size),
          median(cdcChunks),
          median(cdcNew),
          cdcBytes / 1024,
          median(cdcChunks) * 52 / 1024,
          median(fixedNew),
          median(fixedNewBytes) / 1024,
          cdcBytes == 0 ? Double.NaN : (double) median(fixedNewBytes) / cdcBytes,
          median(commitNanos) / 1e6,
          median(pauseNanos) / 1e6,
          median(wholeNanos) / 1e6,
          median(commitRatio),
          median(pauseRatio));
    } finally {
      BenchFiles.deleteTree(dir);
    }
  }

  /** A new process registering the object must get exactly the last committed state. */
  private static void checkRestart(Path dir, Path data, ObjectGraph.Flavour flavour, byte[] expected)
      throws IOException {
    ObjectGraph restarted = ObjectGraph.generate(0, 0, 0);
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(data).open()) {
      cp.register("world", restarted.checkpointable(flavour));
    }
    if (!Arrays.equals(expected, serialise(restarted, flavour))) {
      throw new AssertionError(flavour + ": the restored graph does not serialise as the saved one");
    }
  }

  /** Serialises the graph whole into {@code file} and forces it; returns the nanoseconds taken. */
  private static long serialiseWithForce(ObjectGraph graph, ObjectGraph.Flavour flavour, Path file)
      throws IOException {
    long start = System.nanoTime();
    try (FileChannel c =
        FileChannel.open(
            file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      OutputStream out = new BufferedOutputStream(Channels.newOutputStream(c), 1 << 16);
      graph.save(flavour, out);
      out.flush();
      c.force(true);
    }
    return System.nanoTime() - start;
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static byte[] serialise(ObjectGraph graph, ObjectGraph.Flavour flavour) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(32 << 20);
    graph.save(flavour, out);
    return out.toByteArray();
  }

  /**
   * The SHA-256 names of the content-defined chunks of {@code bytes}; with {@code known}, fills
   * {@code counts} with the number of chunks, of new ones (in neither {@code known} nor earlier
   * in {@code bytes}) and their bytes.
   */
  private static Set<ByteBuffer> cdcHashes(byte[] bytes, Set<ByteBuffer> known, long[] counts) {
    MessageDigest sha = sha256();
    Set<ByteBuffer> hashes = new HashSet<>();
    int at = 0;
    for (int length : Chunker.DEFAULT.chunkLengths(bytes)) {
      sha.update(bytes, at, length);
      ByteBuffer hash = ByteBuffer.wrap(sha.digest());
      if (known != null) {
        counts[0]++;
        if (!known.contains(hash) && !hashes.contains(hash)) {
          counts[1]++;
          counts[2] += length;
        }
      }
      hashes.add(hash);
      at += length;
    }
    return hashes;
  }

  /** As {@link #cdcHashes}, for fixed blocks of {@link #FIXED_BLOCK} bytes. */
  private static Set<ByteBuffer> fixedHashes(byte[] bytes, Set<ByteBuffer> known, long... counts) {
    MessageDigest sha = sha256();
    Set<ByteBuffer> hashes = new HashSet<>();
    for (int at = 0; at < bytes.length; at += FIXED_BLOCK) {
      int length = Math.min(FIXED_BLOCK, bytes.length - at);
      sha.update(bytes, at, length);
      ByteBuffer hash = ByteBuffer.wrap(sha.digest());
      if (known != null && !known.contains(hash) && !hashes.contains(hash)) {
        counts[0]++;
        counts[1] += length;
      }
      hashes.add(hash);
    }
    return hashes;
  }

  private static Epoch last(List<Epoch> epochs) {
    return epochs.get(epochs.size() - 1);
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  private ObjectDedupeProfile() {}
}
