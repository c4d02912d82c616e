package dev.metamori.internal.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Writes through descriptors the journal did not open (here a {@link RandomAccessFile}, as the
 * agent's woven code does) are rolled back when announced to {@link JavaIoJournal} first.
 */
class JavaIoJournalTest {
  @TempDir Path dir;

  @Test
  void announcedWritesAndTruncationsRollBack() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path file = root.resolve("data.bin");
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(root).open()) {
      JavaIoJournal journal = JavaIoJournal.of(cp);
      journal.open(file, Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE));
      Files.writeString(cp.fileSystem().getPath(file.toString()), "0123456789".repeat(1000));
      long good = cp.commit();

      Path real = journal.trackedReal(file);
      assertEquals(file.toRealPath(), real);
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        Lock lock = journal.beforeWrite(real, 5000, 3);
        try {
          raf.seek(5000);
          raf.write("XYZ".getBytes(StandardCharsets.US_ASCII));
        } finally {
          lock.unlock();
        }
        lock = journal.beforeSetLength(real, 100);
        try {
          raf.setLength(100);
        } finally {
          lock.unlock();
        }
        lock = journal.beforeWrite(real, -1, 4); // append
        try {
          raf.seek(raf.length());
          raf.write("tail".getBytes(StandardCharsets.US_ASCII));
        } finally {
          lock.unlock();
        }
      }
      assertEquals(104, Files.size(file));
      cp.rollback(good);
      assertEquals("0123456789".repeat(1000), Files.readString(file));
    }
  }

  @Test
  void onlyPathsUnderATrackedRootAreTracked() throws Exception {
    Path root = Files.createDirectories(dir.resolve("root"));
    Path outside = Files.createDirectories(dir.resolve("outside"));
    Path store = dir.resolve("store");
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      JavaIoJournal journal = JavaIoJournal.of(cp);
      assertTrue(journal.isTracked(root.resolve("new")));
      assertTrue(journal.isTrackedEntry(root.resolve("new")));
      assertFalse(journal.isTracked(outside.resolve("x")));
      assertNull(journal.trackedReal(outside.resolve("x")));
      assertNull(journal.trackedReal(store.resolve("index.mv"))); // the store's own I/O passes
      // a link in a tracked root to a file outside: the link is tracked, what it names is not
      Path target = Files.writeString(outside.resolve("target"), "t");
      Path link = Files.createSymbolicLink(root.resolve("link"), target);
      assertTrue(journal.isTrackedEntry(link));
      assertFalse(journal.isTracked(link));
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      JavaIoJournal journal = JavaIoJournal.of(cp);
      cp.close();
      assertFalse(journal.isTracked(root.resolve("new")), "closed: nothing is tracked any more");
    }
  }
}
