package dev.metamori.internal.events;

import java.nio.file.Path;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * {@code dev.metamori.FailStop}: a checkpointer stopped after a fatal I/O error; later calls
 * fail with it as the cause until the store is reopened.
 */
@Name("dev.metamori.FailStop")
@Label("Metamori Fail-Stop")
@Category("Metamori")
@Description("A Metamori checkpointer stopped after a fatal I/O error: reopen the store to recover it")
@StackTrace(false)
public final class FailStopEvent extends Event {
  @Label("Store")
  @Description("The store directory")
  String store;

  @Label("Error")
  @Description("The error's class and message")
  String error;

  /** Records that the checkpointer of {@code store} stopped after {@code e}, if a recording wants it. */
  public static void stopped(Path store, Throwable e) {
    FailStopEvent event = new FailStopEvent();
    if (event.shouldCommit()) {
      event.store = store.toString();
      event.error = e.toString();
      event.commit();
    }
  }
}
