package dev.metamori;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * An application object whose state is part of the checkpoint, registered with {@link
 * Checkpointer#register(String, Checkpointable)}. Its state is saved at every commit and
 * restored on rollback, and when a new process registers an object under the same name
 * (restart from the last checkpoint).
 *
 * <p>Saved bytes are cut into content-defined chunks and a chunk the store already holds for
 * this object is not stored again, so a small change in a large state costs about one chunk
 * (8 KiB on average) per change, whatever the serialisation, as long as the unchanged parts
 * serialise to the same bytes.
 */
public interface Checkpointable extends CheckpointListener {

  /**
   * Writes the whole state; called while the epoch is captured. Do not close {@code out}.
   *
   * @param out where the state goes
   * @throws IOException if the state cannot be written; the commit fails
   */
  void save(OutputStream out) throws IOException;

  /**
   * Replaces the state with the one read from {@code in}, as written by {@link #save} (exactly
   * those bytes, up to end of stream). Do not close {@code in}.
   *
   * @param in the saved state
   * @throws IOException if the state cannot be read
   */
  void restore(InputStream in) throws IOException;
}
