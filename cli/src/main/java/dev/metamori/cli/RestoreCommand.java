package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori restore E}: puts the tracked files (and the regions and objects the next open
 * reads) back as they were at epoch {@code E}, any epoch of the store: older or newer than the
 * current one, on any branch. No epoch is lost.
 */
@Command(
    name = "restore",
    description =
        "Restores the tracked trees, regions and objects to any epoch in the store (an id or a"
            + " label), older or newer, on any branch: undoes the epochs from the current one up"
            + " to the common ancestor, then redoes those down to it. Every epoch is kept.")
final class RestoreCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "EPOCH", description = "An epoch id, or the label of an epoch.")
  String target;

  @Override
  int run(Checkpointer cp) throws IOException {
    Epoch to = resolve(cp, target);
    EpochTree tree = new EpochTree(cp.epochs(), cp.currentEpoch());
    long from = tree.current();
    long via = tree.commonAncestor(from, to.id());
    int undone = tree.stepsUp(from, via);
    int redone = tree.stepsUp(to.id(), via);
    ProgressLine line = progress(cp, "restore");
    try {
      cp.restore(to.id());
    } finally {
      finish(line);
    }
    if (json()) {
      new JsonWriter(out())
          .beginObject()
          .name("store").value(store().toString())
          .name("from").value(from)
          .name("to").value(to.id())
          .name("label").value(to.label())
          .name("commonAncestor").value(via)
          .name("epochsUndone").value(undone)
          .name("epochsRedone").value(redone)
          .endObject()
          .end();
    } else {
      out().println(
          "restored epoch " + to.id()
              + (to.label() == null ? "" : " \"" + to.label() + "\"")
              + " (was at epoch " + from + "; "
              + undone + (undone == 1 ? " epoch" : " epochs") + " undone, "
              + redone + " redone"
              + (via != from && via != to.id() ? ", via epoch " + via : "")
              + ")");
      out().flush();
    }
    return Main.OK;
  }
}
