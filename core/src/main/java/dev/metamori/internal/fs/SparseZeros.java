package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/** Blocks of zeros restored into a file without filling its holes. */
final class SparseZeros {
  private SparseZeros() {}

  static boolean allZero(byte[] bytes) {
    for (byte x : bytes) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Restores a block of zeros without writing zeros where the file reads as zeros already, so
   * that holes of a sparse file (saved when a truncation cut them off) stay holes: beyond the
   * end only the last byte is written.
   */
  static void restore(FileChannel channel, long pos, int length) throws IOException {
    long end = pos + length;
    long size = channel.size();
    if (pos < size) {
      ByteBuffer current = ByteBuffer.allocate((int) (Math.min(end, size) - pos));
      boolean zero;
      try {
        while (current.hasRemaining() && channel.read(current, pos + current.position()) > 0) {}
        zero = allZero(current.array());
      } catch (java.nio.channels.NonReadableChannelException writeOnly) {
        zero = false;
      }
      if (!zero) {
        ByteBuffer zeros = ByteBuffer.allocate(current.capacity());
        while (zeros.hasRemaining()) {
          channel.write(zeros, pos + zeros.position());
        }
      }
    }
    if (end > size) {
      ByteBuffer last = ByteBuffer.allocate(1);
      while (last.hasRemaining()) {
        channel.write(last, end - 1);
      }
    }
  }
}
