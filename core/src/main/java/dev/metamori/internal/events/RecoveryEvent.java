package dev.metamori.internal.events;

import java.nio.file.Path;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * {@code dev.metamori.Recovery}: the recovery of a store on open, recorded only when it did
 * something: undid uncommitted changes (of a process that died or closed without committing) or
 * finished an interrupted restore.
 */
@Name("dev.metamori.Recovery")
@Label("Metamori Recovery")
@Category("Metamori")
@Description("Uncommitted changes undone, or an interrupted restore finished, when a Metamori store was opened")
@StackTrace(false)
public final class RecoveryEvent extends Event {
  @Label("Store")
  @Description("The store directory")
  String store;

  @Label("Epoch")
  @Description("The committed epoch the store was recovered to")
  long epoch;

  @Label("Segments Undone")
  @Description("Segments of uncommitted changes undone")
  long segmentsUndone;

  @Label("Restore Finished")
  @Description("Whether an interrupted restore was finished")
  boolean restoreFinished;

  @Label("Epochs Undone")
  @Description("Committed epochs undone to finish an interrupted restore")
  long epochsUndone;

  @Label("Epochs Redone")
  @Description("Epochs redone to finish an interrupted restore")
  long epochsRedone;

  /** A new event, begun now. */
  public static RecoveryEvent begun() {
    RecoveryEvent e = new RecoveryEvent();
    e.begin();
    return e;
  }

  /**
   * Ends the event and commits it if a recording wants it and the recovery did something:
   * undid {@code segments} uncommitted segments and finished a restore that undid {@code
   * undone} and redid {@code redone} epochs.
   */
  public void recovered(Path store, long epoch, long segments, long undone, long redone) {
    if ((segments > 0 || undone > 0 || redone > 0) && shouldCommit()) {
      this.store = store.toString();
      this.epoch = epoch;
      this.segmentsUndone = segments;
      this.restoreFinished = undone > 0 || redone > 0;
      this.epochsUndone = undone;
      this.epochsRedone = redone;
      commit();
    }
  }
}
