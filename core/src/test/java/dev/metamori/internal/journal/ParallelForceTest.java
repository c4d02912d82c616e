package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ParallelForceTest {

  private static List<Integer> items(int n) {
    return IntStream.range(0, n).boxed().collect(Collectors.toList());
  }

  @Test
  void everyItemIsForcedOnceWhateverTheCount() throws IOException {
    for (int n : new int[] {0, 1, 2, 7, 8, 9, 100}) {
      Set<Integer> forced = ConcurrentHashMap.newKeySet();
      List<Integer> twice = new ArrayList<>();
      ParallelForce.forceAll(
          items(n),
          i -> {
            if (!forced.add(i)) {
              synchronized (twice) {
                twice.add(i);
              }
            }
          });
      assertEquals(Set.copyOf(items(n)), forced, "n=" + n);
      assertTrue(twice.isEmpty(), "forced twice: " + twice);
    }
  }

  @Test
  void theFirstFailureByItemOrderIsThrownWithTheOthersSuppressedAfterAllRan() {
    Set<Integer> forced = ConcurrentHashMap.newKeySet();
    IOException thrown =
        assertThrows(
            IOException.class,
            () ->
                ParallelForce.forceAll(
                    items(40),
                    i -> {
                      forced.add(i);
                      if (i % 10 == 3) {
                        throw IoFaults.fatal("force of " + i, new IOException("EIO"));
                      }
                    }));
    assertEquals(Set.copyOf(items(40)), forced, "a failure must not stop the other forces");
    assertTrue(thrown instanceof IoFaults.Fatal, "still fatal: " + thrown);
    assertEquals("force of 3: EIO", thrown.getMessage());
    assertEquals(3, thrown.getSuppressed().length);
  }

  @Test
  void anUncheckedFailureIsThrownAsItIs() {
    IllegalStateException boom = new IllegalStateException("boom");
    IllegalStateException thrown =
        assertThrows(
            IllegalStateException.class,
            () ->
                ParallelForce.forceAll(
                    items(5),
                    i -> {
                      if (i == 4) {
                        throw boom;
                      }
                    }));
    assertSame(boom, thrown);
  }
}
