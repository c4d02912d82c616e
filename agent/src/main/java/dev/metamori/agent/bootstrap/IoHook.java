package dev.metamori.agent.bootstrap;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * What the code woven into {@code java.io} calls. Only JDK types cross it: this interface and
 * {@link IoBridge} are loaded by the bootstrap class loader, where {@code java.base} sees them;
 * the agent implements it. A method that returns null leaves the call to the JDK as it is.
 */
public interface IoHook {
  /**
   * Before a {@code FileOutputStream} opens {@code file}: creates or truncates it through the
   * journal if it is tracked. Returns what to pass to {@link #opened}, or null if untracked.
   */
  Object openOutput(File file, boolean append) throws IOException;

  /** As {@link #openOutput}, for a {@code RandomAccessFile} opened in {@code mode}. */
  Object openRandomAccess(File file, String mode) throws IOException;

  /** {@code stream} opened what {@link #openOutput} or {@link #openRandomAccess} returned. */
  void opened(Object stream, Object opening, boolean append);

  /**
   * Before {@code stream} writes {@code length} bytes: saves what they overwrite. Returns a
   * token for {@link IoBridge#after}, or null if the stream is untracked.
   */
  Object beforeWrite(Object stream, long length) throws IOException;

  /**
   * Before {@code file.setLength(newLength)}, or a truncation of its channel; {@code file} is the
   * {@code RandomAccessFile} or stream. Returns a token as {@link #beforeWrite} does.
   */
  Object beforeSetLength(Object file, long newLength) throws IOException;

  /**
   * Before {@code channel}, the channel of the stream or file {@code parent}, writes {@code
   * length} bytes at {@code position} (negative: at its own position). Returns a token as
   * {@link #beforeWrite} does.
   */
  Object beforeChannelWrite(Object parent, Object channel, long position, long length) throws IOException;

  /** As {@link #beforeChannelWrite}, for a gathering write of {@code srcs[offset, offset + length)}. */
  Object beforeChannelGather(Object parent, Object channel, ByteBuffer[] srcs, int offset, int length)
      throws IOException;

  /** {@code File.delete()} through the journal, or null if untracked. */
  Boolean delete(File file);

  /** {@code File.renameTo(to)} through the journal, or null if neither is tracked. */
  Boolean renameTo(File from, File to);

  /** {@code File.mkdir()} through the journal, or null if untracked. */
  Boolean mkdir(File dir);

  /** {@code File.createNewFile()} through the journal, or null if untracked. */
  Boolean createNewFile(File file) throws IOException;

  /** {@code File.setLastModified(time)} through the journal, or null if untracked. */
  Boolean setLastModified(File file, long time);

  /** {@code File.createTempFile} in a tracked directory through the journal, or null. */
  File createTempFile(String prefix, String suffix, File directory) throws IOException;
}
