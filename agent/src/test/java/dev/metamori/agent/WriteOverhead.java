package dev.metamori.agent;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.RandomAccessFile;

/**
 * A whole-process measurement of unmodified {@code java.io} writes, run with and without the
 * agent (docs/agent.md, "Overhead", has the commands and the figures): {@code ROUNDS} rounds,
 * each writing {@code COUNT} unbuffered writes of {@code SIZE} bytes to a new file with a
 * {@code FileOutputStream}, then overwriting them in place with a {@code RandomAccessFile}.
 * Prints the best round's nanoseconds per write for each.
 *
 * <p>Arguments: {@code DIR COUNT SIZE ROUNDS}.
 */
public final class WriteOverhead {
  private WriteOverhead() {}

  public static void main(String[] args) throws IOException {
    File dir = new File(args[0]);
    int count = Integer.parseInt(args[1]);
    byte[] data = new byte[Integer.parseInt(args[2])];
    int rounds = Integer.parseInt(args[3]);
    long bestCreate = Long.MAX_VALUE;
    long bestOverwrite = Long.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      File f = new File(dir, "overhead-" + r + ".bin");
      long t0 = System.nanoTime();
      try (FileOutputStream out = new FileOutputStream(f)) {
        for (int i = 0; i < count; i++) {
          out.write(data);
        }
      }
      long t1 = System.nanoTime();
      try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
        for (int i = 0; i < count; i++) {
          raf.write(data);
        }
      }
      long t2 = System.nanoTime();
      bestCreate = Math.min(bestCreate, (t1 - t0) / count);
      bestOverwrite = Math.min(bestOverwrite, (t2 - t1) / count);
    }
    System.out.println("new file, FileOutputStream: " + bestCreate + " ns/write");
    System.out.println("overwrite, RandomAccessFile: " + bestOverwrite + " ns/write");
  }
}
