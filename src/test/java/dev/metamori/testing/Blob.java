package dev.metamori.testing;

import dev.metamori.Checkpointable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** A registered object whose state is whatever bytes it holds. */
public final class Blob implements Checkpointable {
  /** The state; replace or change it freely. */
  public byte[] bytes = new byte[0];

  @Override
  public void save(OutputStream out) throws IOException {
    out.write(bytes);
  }

  @Override
  public void restore(InputStream in) throws IOException {
    bytes = in.readAllBytes();
  }
}
