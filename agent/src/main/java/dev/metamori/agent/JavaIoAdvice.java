package dev.metamori.agent;

import dev.metamori.agent.bootstrap.IoBridge;
import dev.metamori.agent.bootstrap.IoHook;
import java.io.File;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import net.bytebuddy.asm.Advice;

/**
 * The code woven into {@code java.io} (inlined: it may use only {@link IoBridge}, {@link IoHook}
 * and JDK types). Each piece asks the hook first; with no hook, or a path outside the tracked
 * roots, the JDK's own code runs as it is.
 */
final class JavaIoAdvice {
  private JavaIoAdvice() {}

  /**
   * The exit of every write, truncation and change of length: ends what the enter began (the
   * write is done, or failed).
   */
  static final class Release {
    @Advice.OnMethodExit(onThrowable = Throwable.class)
    static void exit(@Advice.Enter Object token) {
      IoBridge.after(token);
    }
  }

  /** The exit of a {@code File} method the hook did instead: its result replaces the JDK's. */
  static final class BooleanResult {
    @Advice.OnMethodExit
    static void exit(@Advice.Enter Boolean done, @Advice.Return(readOnly = false) boolean result) {
      if (done != null) {
        result = done;
      }
    }
  }

  /** {@code FileOutputStream(File, boolean)}. */
  static final class OpenOutput {
    @Advice.OnMethodEnter
    static Object enter(@Advice.Argument(0) File file, @Advice.Argument(1) boolean append) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || file == null ? null : h.openOutput(file, append);
    }

    @Advice.OnMethodExit
    static void exit(@Advice.This Object self, @Advice.Enter Object opening, @Advice.Argument(1) boolean append) {
      if (opening != null) {
        IoBridge.hook.opened(self, opening, append);
      }
    }
  }

  /** {@code RandomAccessFile(File, String)}. */
  static final class OpenRandomAccess {
    @Advice.OnMethodEnter
    static Object enter(@Advice.Argument(0) File file, @Advice.Argument(1) String mode) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || file == null || mode == null ? null : h.openRandomAccess(file, mode);
    }

    @Advice.OnMethodExit
    static void exit(@Advice.This Object self, @Advice.Enter Object opening) {
      if (opening != null) {
        IoBridge.hook.opened(self, opening, false);
      }
    }
  }

  /** {@code write(int)}. */
  static final class WriteByte {
    @Advice.OnMethodEnter
    static Object enter(@Advice.This Object self) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeWrite(self, 1);
    }
  }

  /** {@code write(byte[])}. */
  static final class WriteArray {
    @Advice.OnMethodEnter
    static Object enter(@Advice.This Object self, @Advice.Argument(0) byte[] b) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || b == null ? null : h.beforeWrite(self, b.length);
    }
  }

  /** {@code write(byte[], int, int)}. */
  static final class WriteRange {
    @Advice.OnMethodEnter
    static Object enter(@Advice.This Object self, @Advice.Argument(2) int length) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || length <= 0 ? null : h.beforeWrite(self, length);
    }
  }

  /** {@code RandomAccessFile.setLength(long)}. */
  static final class SetLength {
    @Advice.OnMethodEnter
    static Object enter(@Advice.This Object self, @Advice.Argument(0) long length) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || length < 0 ? null : h.beforeSetLength(self, length);
    }
  }

  /**
   * {@code FileChannelImpl.write(ByteBuffer)}: only a channel whose parent is a {@code java.io}
   * object (from {@code getChannel()}) reaches the hook; the journal's and the journaling file
   * system's own channels have none.
   */
  static final class ChannelWrite {
    @Advice.OnMethodEnter
    static Object enter(
        @Advice.FieldValue("parent") Object parent, @Advice.This Object self, @Advice.Argument(0) ByteBuffer src)
        throws Exception {
      if (parent == null || src == null) {
        return null;
      }
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeChannelWrite(parent, self, -1, src.remaining());
    }
  }

  /** {@code FileChannelImpl.write(ByteBuffer, long)}. */
  static final class ChannelWriteAt {
    @Advice.OnMethodEnter
    static Object enter(
        @Advice.FieldValue("parent") Object parent,
        @Advice.This Object self,
        @Advice.Argument(0) ByteBuffer src,
        @Advice.Argument(1) long position)
        throws Exception {
      if (parent == null || src == null || position < 0) {
        return null;
      }
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeChannelWrite(parent, self, position, src.remaining());
    }
  }

  /** {@code FileChannelImpl.write(ByteBuffer[], int, int)}. */
  static final class ChannelGather {
    @Advice.OnMethodEnter
    static Object enter(
        @Advice.FieldValue("parent") Object parent,
        @Advice.This Object self,
        @Advice.Argument(0) ByteBuffer[] srcs,
        @Advice.Argument(1) int offset,
        @Advice.Argument(2) int length)
        throws Exception {
      if (parent == null || srcs == null) {
        return null;
      }
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeChannelGather(parent, self, srcs, offset, length);
    }
  }

  /** {@code FileChannelImpl.transferFrom(ReadableByteChannel, long, long)}. */
  static final class ChannelTransferFrom {
    @Advice.OnMethodEnter
    static Object enter(
        @Advice.FieldValue("parent") Object parent,
        @Advice.This Object self,
        @Advice.Argument(0) ReadableByteChannel src,
        @Advice.Argument(1) long position,
        @Advice.Argument(2) long count)
        throws Exception {
      if (parent == null || position < 0 || count <= 0) {
        return null;
      }
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeChannelWrite(parent, self, position, count);
    }
  }

  /** {@code FileChannelImpl.truncate(long)}. */
  static final class ChannelTruncate {
    @Advice.OnMethodEnter
    static Object enter(@Advice.FieldValue("parent") Object parent, @Advice.Argument(0) long size)
        throws Exception {
      if (parent == null || size < 0) {
        return null;
      }
      IoHook h = IoBridge.hook;
      return h == null ? null : h.beforeSetLength(parent, size);
    }
  }

  /** {@code File.delete()}. */
  static final class Delete {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Boolean enter(@Advice.This File self) {
      IoHook h = IoBridge.hook;
      return h == null ? null : h.delete(self);
    }
  }

  /** {@code File.renameTo(File)}. */
  static final class RenameTo {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Boolean enter(@Advice.This File self, @Advice.Argument(0) File to) {
      IoHook h = IoBridge.hook;
      return h == null || to == null ? null : h.renameTo(self, to);
    }
  }

  /** {@code File.mkdir()} (and so {@code mkdirs()}, which calls it). */
  static final class Mkdir {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Boolean enter(@Advice.This File self) {
      IoHook h = IoBridge.hook;
      return h == null ? null : h.mkdir(self);
    }
  }

  /** {@code File.createNewFile()}. */
  static final class CreateNewFile {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Boolean enter(@Advice.This File self) throws Exception {
      IoHook h = IoBridge.hook;
      return h == null ? null : h.createNewFile(self);
    }
  }

  /** {@code File.setLastModified(long)}. */
  static final class SetLastModified {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static Boolean enter(@Advice.This File self, @Advice.Argument(0) long time) {
      IoHook h = IoBridge.hook;
      return h == null || time < 0 ? null : h.setLastModified(self, time);
    }
  }

  /** {@code File.createTempFile(String, String, File)}. */
  static final class CreateTempFile {
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class)
    static File enter(
        @Advice.Argument(0) String prefix, @Advice.Argument(1) String suffix, @Advice.Argument(2) File dir)
        throws Exception {
      IoHook h = IoBridge.hook;
      return h == null || prefix == null || prefix.length() < 3 ? null : h.createTempFile(prefix, suffix, dir);
    }

    @Advice.OnMethodExit
    static void exit(@Advice.Enter File created, @Advice.Return(readOnly = false) File result) {
      if (created != null) {
        result = created;
      }
    }
  }
}
