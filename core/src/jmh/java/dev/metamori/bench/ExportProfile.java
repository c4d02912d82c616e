package dev.metamori.bench;

import dev.metamori.Checkpointer;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What export and receive cost next to {@code tar}, in one run: a tree of incompressible files
 * is exported whole to a file and archived with {@code tar -cf}; the stream is received into a
 * new store and the archive extracted with {@code tar -xf}; then 1% of the tree's 4 KiB blocks
 * (chosen at random) are changed and committed, and the incremental stream is exported and
 * received, its size set against the bytes changed. Nothing is forced by either side (tar does
 * not force; the receive commits with {@code Durability.NONE} on both stores). Every round
 * starts again from the first epoch; the first round warms up and is not counted. Prints the
 * median of each figure.
 *
 * <pre>
 * mvn -Pjmh -pl core test-compile exec:exec -Djmh.main=dev.metamori.bench.ExportProfile -Djmh.args="64 4 7"
 * </pre>
 *
 * Arguments: the number of files, their size in MiB, the number of rounds.
 */
public final class ExportProfile {
  public static void main(String[] args) throws Exception {
    int files = Integer.parseInt(args[0]);
    int mib = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    Path work = BenchFiles.newWorkDir("export");
    Map<String, List<Double>> figures = new LinkedHashMap<>();
    try {
      Path tree = Files.createDirectories(work.resolve("tree"));
      Random random = new Random(42);
      for (int i = 0; i < files; i++) {
        BenchFiles.writeRandomFile(tree.resolve("f" + i), (long) mib << 20, random);
      }
      long blocks = (long) files * (mib << 20) / 4096;
      try (Checkpointer cp = Checkpointer.builder(work.resolve("store")).track(tree)
          .durability(dev.metamori.Durability.NONE).open()) {
        long a = cp.commit();
        for (int round = 0; round <= rounds; round++) {
          Path full = work.resolve("full.mms");
          Path tar = work.resolve("tree.tar");
          long t0 = System.nanoTime();
          try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(full), 1 << 20)) {
            cp.export(a, out);
          }
          long t1 = System.nanoTime();
          run(work, "tar", "-cf", tar.toString(), "tree");
          long t2 = System.nanoTime();
          long floorExport = concatenate(tree, files, work.resolve("floor.bin"));
          long floorReceive = split(work.resolve("floor.bin"), files, Files.createDirectories(work.resolve("floor" + round)));
          BenchFiles.deleteTree(work.resolve("floor" + round));
          Path target = Files.createDirectories(work.resolve("target" + round + "/tree"));
          Path untar = Files.createDirectories(work.resolve("untar" + round));
          long id;
          try (Checkpointer other = Checkpointer.builder(work.resolve("target" + round + "/store")).track(target)
              .durability(dev.metamori.Durability.NONE).open()) {
            long t3 = System.nanoTime();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(full), 1 << 20)) {
              id = other.receive(in);
            }
            long t4 = System.nanoTime();
            run(untar, "tar", "-xf", tar.toString());
            long t5 = System.nanoTime();
            // 1% of the blocks changed, then the incremental stream
            int changed = (int) (blocks / 100);
            byte[] block = new byte[4096];
            for (int b : BenchFiles.chooseDistinct(random, (int) blocks, changed)) {
              random.nextBytes(block);
              Path f = cp.fileSystem().getPath(tree.resolve("f" + (b / (blocks / files))).toString());
              try (FileChannel c = FileChannel.open(f, StandardOpenOption.WRITE)) {
                BenchFiles.writeFully(c, ByteBuffer.wrap(block), (b % (blocks / files)) * 4096L);
              }
            }
            long bEpoch = cp.commit();
            Path inc = work.resolve("inc.mms");
            long t6 = System.nanoTime();
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(inc), 1 << 20)) {
              cp.export(a, bEpoch, out);
            }
            long t7 = System.nanoTime();
            try (InputStream in = new BufferedInputStream(Files.newInputStream(inc), 1 << 20)) {
              other.receive(in);
            }
            long t8 = System.nanoTime();
            if (round > 0) {
              add(figures, "full export, ms", (t1 - t0) / 1e6);
              add(figures, "tar -cf, ms", (t2 - t1) / 1e6);
              add(figures, "full export / tar -cf", (double) (t1 - t0) / (t2 - t1));
              add(figures, "full stream / tar archive (bytes)", (double) Files.size(full) / Files.size(tar));
              add(figures, "floor: read the files, write one file, ms", floorExport / 1e6);
              add(figures, "full export / floor", (double) (t1 - t0) / floorExport);
              add(figures, "floor: read one file, write the files, ms", floorReceive / 1e6);
              add(figures, "receive / floor", (double) (t4 - t3) / floorReceive);
              add(figures, "receive, ms", (t4 - t3) / 1e6);
              add(figures, "tar -xf, ms", (t5 - t4) / 1e6);
              add(figures, "receive / tar -xf", (double) (t4 - t3) / (t5 - t4));
              add(figures, "incremental export (1% of blocks), ms", (t7 - t6) / 1e6);
              add(figures, "incremental export / tar -cf", (double) (t7 - t6) / (t2 - t1));
              add(figures, "incremental receive, ms", (t8 - t7) / 1e6);
              add(figures, "incremental stream bytes / changed bytes", (double) Files.size(inc) / (changed * 4096L));
            }
            cp.restore(a);
          }
          BenchFiles.deleteTree(work.resolve("target" + round));
          BenchFiles.deleteTree(untar);
        }
      }
      System.out.printf("%d files of %d MiB (%d MiB), %d rounds counted, medians:%n", files, mib, files * mib, rounds);
      for (Map.Entry<String, List<Double>> e : figures.entrySet()) {
        List<Double> v = new ArrayList<>(e.getValue());
        Collections.sort(v);
        System.out.printf("  %-45s %10.3f  (min %.3f, max %.3f)%n", e.getKey(), v.get(v.size() / 2), v.get(0), v.get(v.size() - 1));
      }
    } finally {
      BenchFiles.deleteTree(work);
    }
  }

  /** Nanoseconds to copy files f0.. into one file, 1 MiB at a time (what a full export cannot beat). */
  private static long concatenate(Path tree, int files, Path to) throws IOException {
    long t = System.nanoTime();
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    try (FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      for (int i = 0; i < files; i++) {
        try (FileChannel in = FileChannel.open(tree.resolve("f" + i))) {
          while (in.read(buffer.clear()) > 0) {
            out.write(buffer.flip());
          }
        }
      }
    }
    return System.nanoTime() - t;
  }

  /** Nanoseconds to cut one file into {@code files} equal new files (what a receive cannot beat). */
  private static long split(Path from, int files, Path dir) throws IOException {
    long t = System.nanoTime();
    ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
    try (FileChannel in = FileChannel.open(from)) {
      long each = in.size() / files;
      for (int i = 0; i < files; i++) {
        try (FileChannel out = FileChannel.open(dir.resolve("f" + i), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          for (long done = 0; done < each; ) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), each - done));
            done += in.read(buffer);
            out.write(buffer.flip());
          }
        }
      }
    }
    return System.nanoTime() - t;
  }

  private static void add(Map<String, List<Double>> figures, String name, double value) {
    figures.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
  }

  private static void run(Path dir, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + " failed");
    }
  }
}
