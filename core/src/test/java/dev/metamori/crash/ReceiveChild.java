package dev.metamori.crash;

import dev.metamori.Checkpointer;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * A child JVM for {@link SigkillReceiveTest}: receives the stream in a file into a store,
 * announcing {@code READ <bytes>} after each read from the stream and {@code RECEIVED <epoch>}
 * once the receive is done, until the test kills it.
 */
public final class ReceiveChild {
  private ReceiveChild() {}

  public static void main(String[] args) throws Exception {
    Path store = Paths.get(args[0]);
    Path data = Paths.get(args[1]);
    Path stream = Paths.get(args[2]);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open();
        InputStream in = new BufferedInputStream(Files.newInputStream(stream), 64 << 10)) {
      long epoch =
          cp.receive(
              new FilterInputStream(in) {
                private long read;

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                  int n = super.read(b, off, Math.min(len, 64 << 10));
                  read += Math.max(n, 0);
                  ChildProtocol.say("READ " + read);
                  return n;
                }
              });
      ChildProtocol.say("RECEIVED " + epoch);
    }
  }
}
