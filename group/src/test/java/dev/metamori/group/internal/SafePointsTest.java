package dev.metamori.group.internal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SafePointsTest {

  @Test
  void aThreadBlockedInAReceiveInsideNestedStepsGivesBackEveryShare() throws Exception {
    SafePoints p = new SafePoints();
    p.enterStep();
    p.enterStep();
    p.blocking(true);
    assertFalse(p.inStep());
    assertTrue(p.enterExclusive(SafePoints.nanos(30_000)), "a capture runs while the thread is blocked");
    p.exitExclusive();
    p.blocking(false);
    assertTrue(p.inStep());
    p.exitStep();
    assertTrue(p.inStep(), "still inside the outer step");
    p.exitStep();
    assertFalse(p.inStep());
    assertTrue(p.enterExclusive(SafePoints.nanos(30_000)));
    p.exitExclusive();
  }

  @Test
  void anOpenStepOfAnotherThreadStillHoldsCapturesOut() throws Exception {
    SafePoints p = new SafePoints();
    p.enterStep();
    p.blocking(true);
    Thread other = new Thread(() -> {
      try {
        p.enterStep();
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    other.start();
    other.join();
    assertFalse(p.enterExclusive(0), "the other thread's step is open");
    p.blocking(false);
    p.exitStep();
  }
}
