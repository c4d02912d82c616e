package dev.metamori.internal.events;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * {@code dev.metamori.Restore}: a restore (rollback) to an epoch, from its check of the target to
 * the trees, regions and objects at that epoch.
 */
@Name("dev.metamori.Restore")
@Label("Metamori Restore")
@Category("Metamori")
@Description("A Metamori store's tracked files, regions and objects restored to an epoch")
@StackTrace(false)
public final class RestoreEvent extends Event {
  @Label("Store")
  @Description("The store directory")
  String store;

  @Label("Epoch")
  @Description("The epoch restored")
  long epoch;

  @Label("From")
  @Description("The current epoch before the restore")
  long from;

  @Label("Epochs Undone")
  @Description("Committed epochs undone, up to the common ancestor")
  long epochsUndone;

  @Label("Epochs Redone")
  @Description("Epochs redone, from the common ancestor down to the target")
  long epochsRedone;

  @Label("Bytes")
  @Description("Bytes journaled by the epochs undone and redone (what the restore's progress counts)")
  @DataAmount
  long bytes;

  /** A new event, begun now. */
  public static RestoreEvent begun() {
    RestoreEvent e = new RestoreEvent();
    e.begin();
    return e;
  }

  /** The bytes an epoch journaled, as the store's index records them. */
  @FunctionalInterface
  public interface Sizes {
    long bytes(long epoch) throws IOException;
  }

  /**
   * Ends the event and commits it if a recording wants it: the restore from {@code from} to
   * {@code epoch} undid the epochs {@code up} and redid {@code down}; {@code sizes} is asked
   * only when the event is recorded (the bytes are -1 if it fails: the restore is done anyway).
   */
  public void restored(Path store, long from, long epoch, List<Long> up, List<Long> down, Sizes sizes) {
    if (shouldCommit()) {
      long total = 0;
      try {
        for (long id : up) {
          total += sizes.bytes(id);
        }
        for (long id : down) {
          total += sizes.bytes(id);
        }
      } catch (IOException e) {
        total = -1;
      }
      this.store = store.toString();
      this.epoch = epoch;
      this.from = from;
      this.epochsUndone = up.size();
      this.epochsRedone = down.size();
      this.bytes = total;
      commit();
    }
  }
}
