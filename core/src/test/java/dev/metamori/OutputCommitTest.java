package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output commit in one process: what is delivered, when, in which order, and what never is. */
class OutputCommitTest {
  @TempDir Path tmp;

  private Checkpointer open() throws Exception {
    Files.createDirectories(tmp.resolve("data"));
    return Checkpointer.builder(tmp.resolve("store")).track(tmp.resolve("data")).open();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  /** Takes outputs until {@code key}, which is the last one returned. */
  private static List<Output> until(LinkedBlockingQueue<Output> q, String key) throws InterruptedException {
    List<Output> got = new ArrayList<>();
    while (true) {
      Output o = q.poll(60, TimeUnit.SECONDS);
      if (o == null) {
        throw new AssertionError("no output " + key + " was delivered; got " + got);
      }
      got.add(o);
      if (o.key().equals(key)) {
        return got;
      }
    }
  }

  @Test
  void outputsGoToTheHandlerOnceTheirEpochIsCommittedInTheOrderRecorded() throws Exception {
    LinkedBlockingQueue<Output> q = new LinkedBlockingQueue<>();
    try (Checkpointer cp = open()) {
      cp.onCommitted(q::add);
      cp.deferUntilCommitted("a", bytes("first"));
      cp.deferUntilCommitted("b", bytes("second"));
      assertTrue(q.isEmpty(), "delivered before the commit: " + q);
      long e1 = cp.commit();
      cp.deferUntilCommitted("c", bytes("third"));
      long e2 = cp.commitAsync().join();
      assertEquals(
          List.of(new Output(e1, "a", bytes("first")), new Output(e1, "b", bytes("second")), new Output(e2, "c", bytes("third"))),
          until(q, "c"));
    }
  }

  @Test
  void theOutputsOfAnEpochUndoneByARestoreAreNeverDelivered() throws Exception {
    LinkedBlockingQueue<Output> q = new LinkedBlockingQueue<>();
    try (Checkpointer cp = open()) {
      cp.onCommitted(q::add);
      long base = cp.commit();
      cp.deferUntilCommitted("undone", bytes("x"));
      cp.rollback(base);
      cp.deferUntilCommitted("kept", bytes("y"));
      long e = cp.commit();
      assertEquals(List.of(new Output(e, "kept", bytes("y"))), until(q, "kept"));
    }
  }

  @Test
  void aHandlerThatFailsIsOfferedTheSameOutputAgainAfterTheNextCommit() throws Exception {
    LinkedBlockingQueue<Output> q = new LinkedBlockingQueue<>();
    AtomicInteger tries = new AtomicInteger();
    try (Checkpointer cp = open()) {
      cp.onCommitted(
          o -> {
            if (o.key().equals("flaky") && tries.incrementAndGet() == 1) {
              q.add(new Output(-1, "failed", new byte[0]));
              throw new IllegalStateException("the mail server is down");
            }
            q.add(o);
          });
      cp.deferUntilCommitted("flaky", bytes("1"));
      long e1 = cp.commit();
      assertEquals("failed", q.poll(60, TimeUnit.SECONDS).key());
      cp.deferUntilCommitted("next", bytes("2"));
      long e2 = cp.commit();
      assertEquals(List.of(new Output(e1, "flaky", bytes("1")), new Output(e2, "next", bytes("2"))), until(q, "next"));
    }
  }

  @Test
  void outputsPendingAtCloseAreDeliveredAfterTheReopenAndDeliveredOnesAreNot() throws Exception {
    long e1;
    long e2;
    LinkedBlockingQueue<Output> q = new LinkedBlockingQueue<>();
    try (Checkpointer cp = open()) {
      cp.onCommitted(q::add);
      cp.deferUntilCommitted("delivered", bytes("1"));
      e1 = cp.commit();
      until(q, "delivered");
    }
    try (Checkpointer cp = open()) {
      cp.deferUntilCommitted("pending", bytes("2")); // no handler yet: it waits
      e2 = cp.commit();
      cp.deferUntilCommitted("never", bytes("3")); // not committed at close
    }
    assertTrue(e2 > e1);
    try (Checkpointer cp = open()) {
      cp.onCommitted(q::add);
      cp.deferUntilCommitted("probe", bytes("4"));
      long e3 = cp.commit();
      assertEquals(List.of(new Output(e2, "pending", bytes("2")), new Output(e3, "probe", bytes("4"))), until(q, "probe"));
      assertEquals(
          PosixFilePermissions.fromString("rw-------"),
          Files.getPosixFilePermissions(tmp.resolve("store").resolve("outputs.delivered")));
    }
  }

  @Test
  void badKeysAndASecondHandlerAreRefusedClearly() throws Exception {
    try (Checkpointer cp = open()) {
      assertThrows(IllegalArgumentException.class, () -> cp.deferUntilCommitted("", new byte[0]));
      assertThrows(NullPointerException.class, () -> cp.deferUntilCommitted("k", null));
      cp.onCommitted(o -> {});
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> cp.onCommitted(o -> {}));
      assertTrue(e.getMessage().contains("already registered"), e.getMessage());
    }
  }

  @Test
  void anOutputKeepsItsPayloadFromChangesOfTheCallersArray() throws Exception {
    LinkedBlockingQueue<Output> q = new LinkedBlockingQueue<>();
    try (Checkpointer cp = open()) {
      cp.onCommitted(q::add);
      byte[] payload = bytes("abc");
      cp.deferUntilCommitted("k", payload);
      payload[0] = 'z';
      cp.commit();
      assertArrayEquals(bytes("abc"), until(q, "k").get(0).payload());
    }
  }
}
