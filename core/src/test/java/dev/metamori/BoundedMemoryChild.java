package dev.metamori;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Run in a JVM with a small heap: {@code BoundedMemoryChild <store> <root> <file>}. The file
 * exists (sparse) under the root; this overwrites every byte of it through the checkpointer in
 * one epoch (so every block is a first touch whose old contents are journaled), commits,
 * overwrites it again in a second epoch without committing, rolls back to epoch 0 and prints
 * {@code ok}. Any OutOfMemoryError ends the process with a non-zero status.
 */
final class BoundedMemoryChild {
  private BoundedMemoryChild() {}

  public static void main(String[] args) throws Exception {
    Path store = Paths.get(args[0]);
    Path root = Paths.get(args[1]);
    Path file = Paths.get(args[2]);
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      FileSystem fs = cp.fileSystem();
      overwrite(fs.getPath(file.toString()), (byte) 7);
      cp.commit();
      overwrite(fs.getPath(file.toString()), (byte) 9);
      cp.rollback(0);
    }
    System.out.println("ok");
  }

  private static void overwrite(Path path, byte value) throws Exception {
    byte[] chunk = new byte[1 << 20];
    Arrays.fill(chunk, value);
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
      long size = ch.size();
      for (long pos = 0; pos < size; pos += chunk.length) {
        ByteBuffer b = ByteBuffer.wrap(chunk, 0, (int) Math.min(chunk.length, size - pos));
        while (b.hasRemaining()) {
          ch.write(b, pos + b.position());
        }
      }
    }
  }
}
