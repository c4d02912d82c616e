package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.DiskFullException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which I/O errors a checkpointer survives: a full disk or quota, unless a force failed. */
class IoFaultsTest {
  @TempDir Path tmp;

  @Test
  void aFullDiskOrQuotaIsRecognisedAsTheSystemReportsIt() {
    // NIO's channel writes: a plain IOException; namespace calls: a FileSystemException
    assertEquals("No space left on device", IoFaults.reason(new IOException("No space left on device")));
    assertEquals(
        "Disk quota exceeded",
        IoFaults.reason(new FileSystemException("/s/segments/1.seg", null, "Disk quota exceeded")));
    // the index: MVStore's exception, wrapped, with the system's as its cause
    IOException index =
        new IOException(
            "cannot write the index: Writing to index.mv failed",
            new RuntimeException("Writing to index.mv failed", new IOException("No space left on device")));
    assertTrue(IoFaults.recoverable(index));
    assertTrue(IoFaults.recoverable(new FileSystemException("/s/trash/3", null, "Disk quota exceeded")));
    assertNull(IoFaults.reason(new IOException("Input/output error")));
    assertFalse(IoFaults.recoverable(new IOException("Input/output error")));
    assertFalse(IoFaults.recoverable(new java.nio.file.AccessDeniedException("/s")));
    // a file's name is not the reason
    assertFalse(IoFaults.recoverable(new java.nio.file.AccessDeniedException("/r/No space left on device")));
  }

  @Test
  void aFailedForceIsFatalWhateverItsReason() throws IOException {
    IOException full = new IOException("No space left on device");
    IoFaults.Fatal fatal = IoFaults.fatal("a force failed", full);
    assertFalse(IoFaults.recoverable(fatal), "fsync's ENOSPC (delayed allocation) may have lost pages");
    assertSame(fatal, IoFaults.fatal("again", fatal));
    IOException later = new IOException("No space left on device");
    later.addSuppressed(IoFaults.fatal("what was restored could not be forced", new IOException("EIO")));
    assertFalse(IoFaults.recoverable(later), "a fatal suppressed error makes the whole failure fatal");
    IOException wrapped = new IOException("commit failed", later);
    assertFalse(IoFaults.recoverable(wrapped));

    Path file = Files.createFile(tmp.resolve("f"));
    FileChannel closed = FileChannel.open(file, StandardOpenOption.WRITE);
    closed.close();
    IOException thrown = assertThrows(IOException.class, () -> IoFaults.force(closed, false));
    assertTrue(thrown instanceof IoFaults.Fatal, thrown.toString());
  }

  @Test
  void theMessageSaysWhatFailedWhatWasNeededAndWhatToDo() {
    DiskFullException full =
        IoFaults.diskFull(
            "/s/segments/4.seg", "/s", "the commit of epoch 4 failed", "Free space and retry", 4136,
            new IOException("No space left on device"));
    assertEquals(
        "the commit of epoch 4 failed: the disk of store /s is full (No space left on device; at least 4136 more"
            + " bytes were needed). Free space and retry",
        full.getMessage());
    assertEquals("No space left on device", full.getReason());
    assertEquals("/s/segments/4.seg", full.getFile());
    assertEquals(4136, full.neededBytes());
    // the bytes a step needed travel up with the exception
    DiskFullException outer = IoFaults.diskFull("/s", "/s", "a restore stopped", "", full);
    assertEquals(4136, outer.neededBytes());
    DiskFullException quota =
        IoFaults.diskFull("/s", "/s", "cannot journal", "", new FileSystemException("/s", null, "Disk quota exceeded"));
    assertEquals("cannot journal: the disk quota for store /s is exceeded (Disk quota exceeded)", quota.getMessage());
    assertEquals(-1, quota.neededBytes());
  }
}
