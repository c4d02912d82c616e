package dev.metamori.testing;

import dev.metamori.Checkpointer;
import dev.metamori.internal.fs.MetamoriFileSystem;
import java.io.IOException;

/**
 * Waits for the forces a commit leaves to a thread of its own (the files it wrote in place,
 * whose new bytes its after-images hold): tests that count or fault a call's I/O wait for them
 * first, so that the I/O they count is the call's alone.
 */
public final class DeferredFlushes {
  private DeferredFlushes() {}

  /** Waits for the last commit's deferred forces; returns what they threw, or null. */
  public static IOException await(Checkpointer cp) {
    try {
      ((MetamoriFileSystem) cp.fileSystem()).awaitDeferredFlush();
      return null;
    } catch (IOException e) {
      return e;
    }
  }
}
