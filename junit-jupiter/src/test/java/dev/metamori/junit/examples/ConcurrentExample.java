package dev.metamori.junit.examples;

import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * Two tests of a per-class store, run at the same time by the test kit's parallel executor:
 * whichever starts first waits until the other one has failed.
 */
@Metamori
@ExtendWith(ConcurrentExample.OtherFailed.class)
public class ConcurrentExample {
  static final CountDownLatch FAILED = new CountDownLatch(1);

  @Tracked static Path dir;

  /** Releases the test that got the store once the other one failed. */
  public static final class OtherFailed implements TestWatcher {
    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
      FAILED.countDown();
    }
  }

  @Test
  void one() throws Exception {
    waitForTheOther("one");
  }

  @Test
  void two() throws Exception {
    waitForTheOther("two");
  }

  private static void waitForTheOther(String test) throws InterruptedException, IOException {
    Files.writeString(dir.resolve(test), test);
    Seen.put("other failed meanwhile", FAILED.await(60, TimeUnit.SECONDS));
  }
}
