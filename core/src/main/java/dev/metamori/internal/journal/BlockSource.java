package dev.metamori.internal.journal;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Reads the old bytes of a block straight into the frame of the record that saves them. */
@FunctionalInterface
public interface BlockSource {
  /**
   * Fills {@code into} from its position to its limit with the block's bytes.
   *
   * @throws IOException if they cannot all be read; nothing is appended then
   */
  void read(ByteBuffer into) throws IOException;
}
