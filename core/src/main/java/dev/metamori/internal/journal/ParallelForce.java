package dev.metamori.internal.journal;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Forces many files at once. A force waits for the device, not the CPU, so forcing the files
 * an epoch changed from several threads lets the device take their writes together: measured
 * on a virtual disk with other writers (docs/performance.md, "Commit"), 64 files forced from 8
 * threads took 27 to 34 ms where one thread took 110 to 700 ms. {@code syncfs} (one call for
 * the whole file system) was slower still there, since it also writes back what every other
 * process left dirty on that file system.
 *
 * <p>The threads are daemons that end after a few idle seconds. Which files a failure left
 * unforced does not matter: any failed force is {@linkplain IoFaults#fatal fatal}.
 */
public final class ParallelForce {
  /** At most this many forces run at once. */
  static final int THREADS = 8;

  private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();
  private static final ThreadPoolExecutor POOL =
      new ThreadPoolExecutor(
          THREADS,
          THREADS,
          5,
          TimeUnit.SECONDS,
          new LinkedBlockingQueue<>(),
          r -> {
            Thread t = new Thread(r, "metamori-force-" + THREAD_NUMBER.incrementAndGet());
            t.setDaemon(true);
            return t;
          });

  static {
    POOL.allowCoreThreadTimeOut(true);
  }

  private ParallelForce() {}

  /** One force of {@link #runAll}; may fail like {@link IoFaults#force}. */
  public interface Force {
    void run() throws IOException;
  }

  /** Runs {@code forces} as {@link #forceAll} runs its actions: together, the first failure thrown. */
  public static void runAll(List<? extends Force> forces) throws IOException {
    forceAll(forces, Force::run);
  }

  /** Forces one item; may fail like {@link IoFaults#force}. */
  public interface Action<T> {
    void force(T item) throws IOException;
  }

  /**
   * Calls {@code action} on every item, from up to {@link #THREADS} threads (the caller's among
   * them), and returns when every call has returned. If any failed, throws the first failure
   * (by item order) with the others suppressed, after all have finished.
   */
  public static <T> void forceAll(List<T> items, Action<? super T> action) throws IOException {
    int n = items.size();
    if (n <= 1) {
      for (T item : items) {
        action.force(item);
      }
      return;
    }
    int lanes = Math.min(THREADS, n);
    Throwable[] failures = new Throwable[n];
    List<Future<?>> started = new ArrayList<>(lanes - 1);
    for (int lane = 1; lane < lanes; lane++) {
      int first = lane;
      started.add(POOL.submit(() -> lane(items, action, first, lanes, failures)));
    }
    lane(items, action, 0, lanes, failures);
    for (Future<?> f : started) {
      awaitUninterruptibly(f);
    }
    Throwable first = null;
    for (Throwable t : failures) {
      if (t == null) {
        continue;
      }
      if (first == null) {
        first = t;
      } else {
        first.addSuppressed(t);
      }
    }
    if (first instanceof IOException e) {
      throw e;
    } else if (first instanceof RuntimeException e) {
      throw e;
    } else if (first instanceof Error e) {
      throw e;
    }
  }

  private static <T> void lane(
      List<T> items, Action<? super T> action, int first, int step, Throwable[] failures) {
    for (int i = first; i < items.size(); i += step) {
      try {
        action.force(items.get(i));
      } catch (IOException | RuntimeException | Error e) {
        failures[i] = e;
      }
    }
  }

  /** Waits for a lane: the files must be forced before the caller goes on, even if interrupted. */
  private static void awaitUninterruptibly(Future<?> f) {
    boolean interrupted = false;
    while (true) {
      try {
        f.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (ExecutionException e) {
        throw new IllegalStateException("a force lane failed outside its items", e.getCause());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
