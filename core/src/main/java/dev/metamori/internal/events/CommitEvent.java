package dev.metamori.internal.events;

import java.nio.file.Path;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * {@code dev.metamori.Commit}: an epoch made durable. Its duration runs from the call of {@code
 * commit} (or {@code commitAsync}) until the epoch is durable; a commit completed after a full
 * disk was freed is timed from its retry.
 */
@Name("dev.metamori.Commit")
@Label("Metamori Commit")
@Category("Metamori")
@Description("An epoch of a Metamori store made durable: its files, regions and objects as captured")
@StackTrace(false)
public final class CommitEvent extends Event {
  @Label("Store")
  @Description("The store directory")
  String store;

  @Label("Epoch")
  @Description("The id of the committed epoch")
  long epoch;

  @Label("Label")
  @Description("The epoch's label, or null")
  String label;

  @Label("Files")
  @Description("Tracked files and directories the epoch changed")
  long files;

  @Label("Blocks Journaled")
  @Description("Blocks whose old contents the epoch saved")
  long blocksJournaled;

  @Label("Bytes Journaled")
  @Description("Bytes the epoch's records take in the store")
  @DataAmount
  long bytesJournaled;

  /** A new event, begun now. */
  public static CommitEvent begun() {
    CommitEvent e = new CommitEvent();
    e.begin();
    return e;
  }

  /** Ends the event and commits it if a recording wants it; the figures are the epoch's own. */
  public void committed(Path store, long epoch, String label, long files, long blocks, long bytes) {
    if (shouldCommit()) {
      this.store = store.toString();
      this.epoch = epoch;
      this.label = label;
      this.files = files;
      this.blocksJournaled = blocks;
      this.bytesJournaled = bytes;
      commit();
    }
  }
}
