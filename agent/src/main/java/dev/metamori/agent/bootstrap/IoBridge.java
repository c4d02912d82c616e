package dev.metamori.agent.bootstrap;

import java.util.concurrent.locks.Lock;

/**
 * Holds the agent's {@link IoHook} for the code woven into {@code java.io}: loaded by the
 * bootstrap class loader, before the hook is set.
 */
public final class IoBridge {
  /** The hook, once the store is open; null before (the JDK's calls then pass through). */
  public static volatile IoHook hook;

  private IoBridge() {}

  /** Ends what {@link IoHook#beforeWrite} began: the write is done (or failed). */
  public static void after(Object token) {
    if (token != null) {
      ((Lock) token).unlock();
    }
  }
}
