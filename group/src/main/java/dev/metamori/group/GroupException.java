package dev.metamori.group;

import dev.metamori.CheckpointException;

/** A group operation failed; the message says what happened and what to do. */
public class GroupException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception with the given message.
   *
   * @param message what happened and what to do
   */
  public GroupException(String message) {
    super(message);
  }

  /**
   * Creates an exception with the given message and cause.
   *
   * @param message what happened and what to do
   * @param cause the error that caused this one
   */
  public GroupException(String message, Throwable cause) {
    super(message, cause);
  }
}
