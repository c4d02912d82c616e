package dev.metamori.group;

import dev.metamori.CheckpointException;

/** A group operation failed; the message says what happened and what to do. */
public class GroupException extends CheckpointException {
  private static final long serialVersionUID = 1L;

  public GroupException(String message) {
    super(message);
  }

  public GroupException(String message, Throwable cause) {
    super(message, cause);
  }
}
