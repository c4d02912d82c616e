package dev.metamori;

import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Phaser;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/**
 * Writer threads write through the journaling file system while another thread commits over
 * and over. Every epoch must be a consistent cut in which each write is wholly present or
 * wholly absent.
 *
 * <p>Each writer {@code w} writes records {@code 0..RECORDS-1}; record {@code i} is half a block
 * filled with the value {@link #value(int, int)}, written to slot {@code i * WRITERS + w} of
 * file A and then of file B. So at any consistent cut, for every writer: each slot is all
 * zeros or all its value (no torn record), the written records form a prefix, and A holds the
 * same number of that writer's records as B or one more. Writers pause together at known
 * points, where an epoch with exactly known contents is committed and snapshotted.
 */
class ConcurrencyTest extends TrackedTreeFixture {
  /** {@code -Dmetamori.test.long=true} runs ten times as many records. */
  static final boolean LONG = Boolean.getBoolean("metamori.test.long");

  static final int WRITERS = 4;
  static final int RECORDS = LONG ? 640 : 64;
  /** Half a journal block: two writers share every block, so they race to save its old contents. */
  static final int RECORD = 2048;
  /** Writers pause together after this many records, for a commit with known contents. */
  static final int PAUSE_EVERY = RECORDS / 4;
  /**
   * Each writer asks for a commit and waits for one after every this many records (at an
   * offset of its own), so commits land while the other writers are in mid-stream.
   */
  static final int SYNC_EVERY = 8;
  static final long TIMEOUT_SECONDS = 120;

  static byte value(int writer, int record) {
    return (byte) (1 + (writer * 61 + record) % 251);
  }

  /** What one concurrent run produced. */
  record Run(List<Long> epochs, Map<Long, TreeSnapshot> known, Map<Long, Integer> knownRecords) {}

  private Path fileA() {
    return p("conc/A");
  }

  private Path fileB() {
    return p("conc/B");
  }

  /** Runs the writers and the committer; returns every epoch committed, oldest first. */
  private Run runConcurrently() throws Exception {
    Files.createDirectory(p("conc"));
    Files.createFile(fileA());
    Files.createFile(fileB());
    long start = cp.commit();

    Phaser pauses = new Phaser(WRITERS + 1);
    CommitRequests requests = new CommitRequests();
    List<Throwable> errors = new CopyOnWriteArrayList<>();
    Map<Long, TreeSnapshot> known = new ConcurrentHashMap<>();
    Map<Long, Integer> knownRecords = new ConcurrentHashMap<>();

    Thread committer =
        new Thread(
            () -> {
              try {
                while (requests.awaitRequest()) {
                  cp.commit();
                  requests.committed();
                }
              } catch (Throwable t) {
                errors.add(t);
                pauses.forceTermination();
              } finally {
                requests.stop();
              }
            },
            "committer");

    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int writer = w;
      writers.add(
          new Thread(
              () -> {
                try {
                  write(writer, pauses, requests);
                } catch (Throwable t) {
                  errors.add(t);
                  pauses.forceTermination();
                } finally {
                  requests.writerDone();
                }
              },
              "writer-" + w));
    }
    committer.start();
    writers.forEach(Thread::start);

    try {
      for (int done = PAUSE_EVERY; done < RECORDS; done += PAUSE_EVERY) {
        await(pauses); // every writer has written exactly `done` records to A and B
        if (!errors.isEmpty()) {
          break;
        }
        long epoch = cp.commit();
        known.put(epoch, snapshot());
        knownRecords.put(epoch, done);
        await(pauses); // let them go on
      }
    } catch (Throwable t) {
      pauses.forceTermination(); // releases the writers
      throw t;
    }
    for (Thread t : writers) {
      t.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
      assertTrue(!t.isAlive(), t.getName() + " did not finish");
    }
    committer.join(TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    assertTrue(!committer.isAlive(), "the committer did not finish");
    if (!errors.isEmpty()) {
      AssertionError e = new AssertionError("a thread failed: " + errors.get(0), errors.get(0));
      errors.stream().skip(1).forEach(e::addSuppressed);
      throw e;
    }
    long last = cp.commit();
    known.put(last, snapshot());
    knownRecords.put(last, RECORDS);

    List<Long> epochs =
        cp.epochs().stream().map(Epoch::id).filter(id -> id >= start).collect(Collectors.toList());
    assertTrue(epochs.size() >= RECORDS / SYNC_EVERY / 2,
        "commits interleaved with the writes: " + epochs.size() + " epochs");
    return new Run(epochs, known, knownRecords);
  }

  private void write(int writer, Phaser pauses, CommitRequests requests) throws Exception {
    // a different kind of channel for each writer
    try (Writer a = Writer.open(writer, fileA()); Writer b = Writer.open(writer, fileB())) {
      for (int i = 0; i < RECORDS; i++) {
        long pos = (long) (i * WRITERS + writer) * RECORD;
        a.write(value(writer, i), pos);
        b.write(value(writer, i), pos);
        int written = i + 1;
        if (written % PAUSE_EVERY == 0 && written < RECORDS) {
          await(pauses);
          await(pauses);
        }
        if (written % SYNC_EVERY == writer * 2 % SYNC_EVERY) {
          requests.requestAndAwaitCommit();
        }
      }
    }
  }

  /** Writers ask the committer for commits; it commits only when asked, until all are done. */
  static final class CommitRequests {
    private int requested;
    private int handled;
    private long commits;
    private int writersDone;
    private boolean stopped;

    private static void waitOn(Object monitor, long deadline) throws Exception {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new TimeoutException("no progress in " + TIMEOUT_SECONDS + " s");
      }
      TimeUnit.NANOSECONDS.timedWait(monitor, left);
    }

    private static long deadline() {
      return System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
    }

    /** Called by a writer: asks for a commit and waits until one has completed. */
    synchronized void requestAndAwaitCommit() throws Exception {
      long seen = commits;
      requested++;
      notifyAll();
      long deadline = deadline();
      while (commits == seen && !stopped) {
        waitOn(this, deadline);
      }
    }

    /** Called by the committer: waits for a request; false once every writer is done. */
    synchronized boolean awaitRequest() throws Exception {
      long deadline = deadline();
      while (requested == handled && writersDone < WRITERS) {
        waitOn(this, deadline);
      }
      if (requested == handled) {
        return false;
      }
      handled = requested;
      return true;
    }

    synchronized void committed() {
      commits++;
      notifyAll();
    }

    synchronized void writerDone() {
      writersDone++;
      notifyAll();
    }

    synchronized void stop() {
      stopped = true;
      notifyAll();
    }
  }

  /** Writes one record through one of several kinds of channel. */
  private interface Writer extends AutoCloseable {
    void write(byte value, long position) throws Exception;

    @Override
    void close() throws IOException;

    static Writer open(int kind, Path file) throws IOException {
      switch (kind % 4) {
        case 0: {
          FileChannel c = FileChannel.open(file, WRITE);
          return new Writer() {
            public void write(byte value, long position) throws IOException {
              ByteBuffer buf = ByteBuffer.wrap(filled(RECORD, value));
              while (buf.hasRemaining()) {
                c.write(buf, position + buf.position());
              }
            }

            public void close() throws IOException {
              c.close();
            }
          };
        }
        case 1: {
          FileChannel c = FileChannel.open(file, WRITE);
          return new Writer() {
            public void write(byte value, long position) throws IOException {
              c.position(position);
              ByteBuffer[] halves = {
                ByteBuffer.wrap(filled(RECORD / 4, value)), ByteBuffer.wrap(filled(RECORD * 3 / 4, value))
              };
              long total = 0;
              while (total < RECORD) {
                total += c.write(halves);
              }
            }

            public void close() throws IOException {
              c.close();
            }
          };
        }
        case 2: {
          AsynchronousFileChannel c = AsynchronousFileChannel.open(file, WRITE);
          return new Writer() {
            public void write(byte value, long position) throws Exception {
              ByteBuffer buf = ByteBuffer.wrap(filled(RECORD, value));
              while (buf.hasRemaining()) {
                c.write(buf, position + buf.position()).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
              }
            }

            public void close() throws IOException {
              c.close();
            }
          };
        }
        default: {
          SeekableByteChannel c = Files.newByteChannel(file, WRITE);
          return new Writer() {
            public void write(byte value, long position) throws IOException {
              c.position(position);
              ByteBuffer buf = ByteBuffer.wrap(filled(RECORD, value));
              while (buf.hasRemaining()) {
                c.write(buf);
              }
            }

            public void close() throws IOException {
              c.close();
            }
          };
        }
      }
    }
  }

  private static void await(Phaser phaser) throws Exception {
    int phase = phaser.arrive();
    if (phase >= 0) {
      phaser.awaitAdvanceInterruptibly(phase, TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }
  }

  /**
   * Checks one file: every slot is all zeros or all its record's value, and each writer's
   * records form a prefix. Returns how many records of each writer the file holds.
   */
  private static int[] recordsIn(byte[] file, String name, long epoch) {
    assertEquals(0, file.length % RECORD, name + " at epoch " + epoch + " ends inside a record");
    int slots = file.length / RECORD;
    int[] counts = new int[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
      int count = 0;
      boolean ended = false;
      for (int i = 0; i < RECORDS; i++) {
        int slot = i * WRITERS + w;
        byte v = slot < slots ? file[slot * RECORD] : 0;
        if (slot < slots) {
          for (int k = 1; k < RECORD; k++) {
            if (file[slot * RECORD + k] != v) {
              fail(name + " at epoch " + epoch + ": record " + i + " of writer " + w + " is torn at byte " + k);
            }
          }
        }
        if (v == 0) {
          ended = true;
        } else {
          assertEquals(value(w, i), v, name + " at epoch " + epoch + ": record " + i + " of writer " + w);
          if (ended) {
            fail(name + " at epoch " + epoch + ": writer " + w + " has record " + i + " after a missing one");
          }
          count++;
        }
      }
      counts[w] = count;
    }
    return counts;
  }

  /** Checks the invariants of the current tree; returns the records of each writer in A. */
  private int[] checkConsistentCut(long epoch) throws IOException {
    int[] a = recordsIn(Files.readAllBytes(real("conc/A")), "A", epoch);
    int[] b = recordsIn(Files.readAllBytes(real("conc/B")), "B", epoch);
    for (int w = 0; w < WRITERS; w++) {
      assertTrue(a[w] >= b[w] && b[w] >= a[w] - 1,
          "epoch " + epoch + " is not a consistent cut for writer " + w + ": A holds " + a[w]
              + " records, B holds " + b[w]);
    }
    return a;
  }

  /** Rolls back to each of {@code targets} (newest first) and checks every state reached. */
  private void rollBackThrough(Run run, List<Long> targets, Random reopenChoice) throws IOException {
    int[] previous = null;
    for (long epoch : targets) {
      cp.rollback(epoch);
      int[] counts = checkConsistentCut(epoch);
      if (previous != null) {
        for (int w = 0; w < WRITERS; w++) {
          assertTrue(counts[w] <= previous[w],
              "older epoch " + epoch + " holds more records of writer " + w + " than a newer one");
        }
      }
      previous = counts;
      TreeSnapshot snapshot = run.known().get(epoch);
      if (snapshot != null) {
        snapshot.assertTreeMatches("rollback to epoch " + epoch + ", committed while the writers paused");
        int[] expected = new int[WRITERS];
        Arrays.fill(expected, run.knownRecords().get(epoch));
        assertEquals(Arrays.toString(expected), Arrays.toString(counts));
      }
      if (reopenChoice != null && reopenChoice.nextInt(4) == 0) {
        reopen();
        checkConsistentCut(epoch);
      }
    }
  }

  @Test
  void everyEpochCommittedDuringConcurrentWritesIsAConsistentCut() throws Exception {
    TreeSnapshot original = snapshot();
    Run run = runConcurrently();
    List<Long> newestFirst = new ArrayList<>(run.epochs());
    Collections.reverse(newestFirst);
    rollBackThrough(run, newestFirst, null);
    cp.rollback(0);
    original.assertTreeMatches("rollback to before the run");
  }

  @RepeatedTest(2)
  void randomRollbackSequencesAfterConcurrentWritesReachConsistentCuts(RepetitionInfo repetition)
      throws Exception {
    Random random = new Random(1000L + repetition.getCurrentRepetition());
    Run run = runConcurrently();
    List<Long> targets = new ArrayList<>();
    for (long epoch : run.epochs()) {
      if (run.known().containsKey(epoch) || random.nextInt(3) == 0) {
        targets.add(epoch);
      }
    }
    // skip the newest epochs sometimes: the first rollback then undoes several at once
    int skip = random.nextInt(Math.max(1, targets.size() / 3));
    List<Long> chosen = new ArrayList<>(targets.subList(0, targets.size() - skip));
    Collections.sort(chosen, Collections.reverseOrder());
    rollBackThrough(run, chosen, random);
  }
}
