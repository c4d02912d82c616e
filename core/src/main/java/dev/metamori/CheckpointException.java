package dev.metamori;

import java.io.IOException;

/**
 * Base of the exceptions a {@link Checkpointer} throws when a store operation cannot be
 * carried out. Every subclass leaves the data on disk at a committed state.
 */
public class CheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with the given message.
   *
   * @param message what happened and what to do
   */
  public CheckpointException(String message) {
    super(message);
  }

  /**
   * Creates an exception with the given message and cause.
   *
   * @param message what happened and what to do
   * @param cause the error that caused this one
   */
  public CheckpointException(String message, Throwable cause) {
    super(message, cause);
  }
}
