package dev.metamori.testing;

import dev.metamori.Checkpointable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Random;

/** A registered object whose state is whatever bytes it holds. */
public final class Blob implements Checkpointable {
  /** The state; replace or change it freely. */
  public byte[] bytes = new byte[0];

  /**
   * Changes {@code count} bytes in place, at places and to values drawn from {@code seed}: a
   * small edit of a large state. Does nothing to an empty state.
   */
  public void change(int count, long seed) {
    if (bytes.length == 0) {
      return;
    }
    Random random = new Random(seed);
    for (int i = 0; i < count; i++) {
      bytes[random.nextInt(bytes.length)] ^= (byte) (1 + random.nextInt(255));
    }
  }

  @Override
  public void save(OutputStream out) throws IOException {
    out.write(bytes);
  }

  @Override
  public void restore(InputStream in) throws IOException {
    bytes = in.readAllBytes();
  }
}
