package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.DiskFullException;
import dev.metamori.Durability;
import java.io.Closeable;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The index ({@code index.mv}) is written by MVStore, not through the fault-injecting file
 * system: here its n-th commit in a commit or a restore fails as MVStore's does on a full disk
 * (the write fails with "No space left on device" and MVStore closes itself, losing what was not
 * committed). The operation must fail with a {@link DiskFullException}, and the same checkpointer
 * then commit or restore exactly (the index is read again from its last commit).
 */
class IndexFullTest {
  @TempDir Path disk;
  Path tmp;

  @BeforeEach
  void scratch() throws IOException {
    tmp = ScratchSpace.create(disk);
  }

  @AfterEach
  void deleteScratch() throws IOException {
    ScratchSpace.delete(tmp);
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFullDiskInAnIndexCommitIsRetriedByTheSameCheckpointer(Durability durability) throws Exception {
    int failed = 0;
    for (int n = 1; ; n++) {
      try (FullDiskHistory h = new FullDiskHistory(FileSystems.getDefault(), dir("commit", n), durability).build()) {
        FullDiskHistory.State working = h.state();
        AtomicInteger thrown = failIndexCommit(h.cp, n);
        IOException failure = null;
        try {
          h.committed(h.cp.commit(), working);
        } catch (IOException e) {
          failure = e;
        }
        String context = durability + ", index commit " + n + " of a commit fails: " + failure;
        if (thrown.get() == 0) {
          assertEquals(null, failure, context);
          break; // n is past the commit's last index commit
        }
        failed++;
        DiskFullException full = assertInstanceOf(DiskFullException.class, failure, context);
        assertTrue(full.getMessage().contains("the commit of epoch 4 failed"), context);
        h.check(working, context + ": after the failure");
        h.more();
        FullDiskHistory.State more = h.state();
        assertEquals(5, h.cp.commit(), context);
        h.committed(4, working);
        h.committed(5, more);
        h.check(context + ": after the retry");
        h.checkAndReopen(java.util.List.of(3L, 4L, 2L, 5L), context, FileSystems.getDefault());
      }
    }
    assertTrue(failed >= 1, "a commit made no index commit");
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aFullDiskInAnIndexCommitOfARestoreIsFinishedByTheSameCheckpointer(Durability durability) throws Exception {
    int failed = 0;
    for (int n = 1; ; n++) {
      try (FullDiskHistory h = new FullDiskHistory(FileSystems.getDefault(), dir("restore", n), durability).build()) {
        AtomicInteger thrown = failIndexCommit(h.cp, n);
        IOException failure = null;
        try {
          h.cp.restore(2);
        } catch (IOException e) {
          failure = e;
        }
        String context = durability + ", index commit " + n + " of a restore fails: " + failure;
        if (thrown.get() == 0) {
          assertEquals(null, failure, context);
          break;
        }
        failed++;
        DiskFullException full = assertInstanceOf(DiskFullException.class, failure, context);
        assertTrue(full.getMessage().contains("the restore to epoch 2 stopped part way"), context);
        long last = 2;
        if (n % 2 == 0) {
          h.restore(2);
        } else {
          last = h.cp.commit(); // finishes the restore first
          h.current = 2;
          h.committed(last, h.states.get(2L));
          h.check(context + ": after a commit finished the restore");
        }
        h.checkAndReopen(java.util.List.of(3L, 1L, last), context, FileSystems.getDefault());
      }
    }
    assertTrue(failed >= 3, "a restore across a branch made only " + failed + " index commits");
  }

  private Path dir(String what, int n) throws IOException {
    return Files.createDirectories(tmp.resolve(what + n));
  }

  /**
   * Puts an index in front of the checkpointer's that fails its {@code n}-th commit as MVStore
   * does when its write finds the disk full. Returns how many it has failed (0 or 1).
   */
  static AtomicInteger failIndexCommit(Checkpointer cp, int n) throws ReflectiveOperationException {
    Object journal = field(cp, "journal");
    Object store = field(journal, "store");
    Class<?> indexType = Class.forName("dev.metamori.internal.journal.EpochIndex");
    Method index = store.getClass().getDeclaredMethod("index");
    index.setAccessible(true);
    Object delegate = index.invoke(store);
    AtomicInteger commits = new AtomicInteger();
    AtomicInteger thrown = new AtomicInteger();
    Object failing =
        Proxy.newProxyInstance(
            indexType.getClassLoader(),
            new Class<?>[] {indexType},
            (proxy, method, args) -> {
              if (method.getName().equals("commit") && commits.incrementAndGet() == n) {
                thrown.incrementAndGet();
                ((Closeable) delegate).close(); // MVStore closes itself after a failed write
                throw new IOException(
                    "cannot write the index: Writing to index.mv failed",
                    new IOException("No space left on device"));
              }
              method.setAccessible(true);
              try {
                return method.invoke(delegate, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
    Method replace = store.getClass().getDeclaredMethod("replaceIndex", indexType);
    replace.setAccessible(true);
    replace.invoke(store, failing);
    return thrown;
  }

  private static Object field(Object owner, String name) throws ReflectiveOperationException {
    Field f = owner.getClass().getDeclaredField(name);
    f.setAccessible(true);
    return f.get(owner);
  }
}
