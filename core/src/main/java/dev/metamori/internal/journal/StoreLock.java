package dev.metamori.internal.journal;

import dev.metamori.StoreLockedException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** The store's LOCK file: held, with this process's pid in it, while the store is open. */
final class StoreLock {
  private StoreLock() {}

  /**
   * Locks the store; close the channel to release it.
   *
   * @throws StoreLockedException if another process, or another Checkpointer in this one, has it
   */
  static FileChannel acquire(StoreFiles files) throws IOException {
    Path file = files.lock();
    FileChannel channel =
        OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock lock;
    try {
      lock = channel.tryLock();
    } catch (OverlappingFileLockException e) {
      channel.close();
      throw new StoreLockedException(files.store, "another Checkpointer in this process");
    } catch (IOException e) {
      channel.close();
      throw e;
    }
    if (lock == null) {
      String holder = "another process";
      try {
        String pid = Files.readString(file, StandardCharsets.US_ASCII).trim();
        if (!pid.isEmpty()) {
          holder = "another process (pid " + pid + ")";
        }
      } catch (IOException ignored) {
        // the holder's pid is only decoration for the message
      }
      channel.close();
      throw new StoreLockedException(files.store, holder);
    }
    try {
      channel.truncate(0);
      Segment.writeFully(
          channel,
          ByteBuffer.wrap(
              (ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)),
          0);
    } catch (IOException | RuntimeException e) {
      JournalStore.closeQuietly(channel, e);
      throw e;
    }
    return channel;
  }
}
