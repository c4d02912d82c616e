package dev.metamori.internal.events;

import java.nio.file.Path;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** {@code dev.metamori.Prune}: epochs removed from a store and the space reclaimed. */
@Name("dev.metamori.Prune")
@Label("Metamori Prune")
@Category("Metamori")
@Description("Epochs removed from a Metamori store by a retention policy, and the space reclaimed")
@StackTrace(false)
public final class PruneEvent extends Event {
  @Label("Store")
  @Description("The store directory")
  String store;

  @Label("Epochs Removed")
  @Description("Epochs no longer listed or restorable")
  long epochsRemoved;

  @Label("Epochs Kept")
  @Description("Epochs the policy kept, the current one included")
  long epochsKept;

  @Label("Store Bytes Before")
  @Description("Bytes of the store's files before the prune")
  @DataAmount
  long storeBytesBefore;

  @Label("Store Bytes After")
  @Description("Bytes of the store's files after the prune")
  @DataAmount
  long storeBytesAfter;

  /** A new event, begun now. */
  public static PruneEvent begun() {
    PruneEvent e = new PruneEvent();
    e.begin();
    return e;
  }

  /** Ends the event and commits it if a recording wants it, with the prune's own figures. */
  public void pruned(Path store, long removed, long kept, long bytesBefore, long bytesAfter) {
    if (shouldCommit()) {
      this.store = store.toString();
      this.epochsRemoved = removed;
      this.epochsKept = kept;
      this.storeBytesBefore = bytesBefore;
      this.storeBytesAfter = bytesAfter;
      commit();
    }
  }
}
