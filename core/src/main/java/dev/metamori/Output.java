package dev.metamori;

import java.util.Arrays;
import java.util.Objects;

/**
 * An output recorded with {@link Checkpointer#deferUntilCommitted(String, byte[])}: what the
 * application wanted to send, held back until the epoch it belongs to was committed.
 *
 * @param epoch the committed epoch the output belongs to
 * @param key the application's key for it, the same at every delivery: a handler uses it to
 *     make a redelivery (after a crash) harmless
 * @param payload the bytes given with it (a copy: the caller may change the array it passes)
 */
public record Output(long epoch, String key, byte[] payload) {
  /**
   * Checks and copies.
   *
   * @param epoch the committed epoch the output belongs to
   * @param key the application's key for it
   * @param payload the bytes given with it (copied)
   */
  public Output {
    Objects.requireNonNull(key, "key");
    payload = payload.clone();
  }

  /**
   * A copy of the payload.
   *
   * @return the payload's bytes, a new array each time
   */
  @Override
  public byte[] payload() {
    return payload.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Output other
        && other.epoch == epoch
        && other.key.equals(key)
        && Arrays.equals(other.payload, payload);
  }

  @Override
  public int hashCode() {
    return Objects.hash(epoch, key, Arrays.hashCode(payload));
  }

  @Override
  public String toString() {
    return "Output[epoch " + epoch + ", key " + key + ", " + payload.length + " bytes]";
  }
}
