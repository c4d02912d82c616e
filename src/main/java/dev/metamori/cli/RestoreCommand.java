package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.IOException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori restore E}: puts the tracked files (and the regions and objects the next open
 * reads) back as they were at epoch {@code E}, an ancestor of the current epoch.
 */
@Command(
    name = "restore",
    description =
        "Restores the tracked trees, regions and objects to an earlier epoch (an id or a label)."
            + " Epochs newer than it are dropped.")
final class RestoreCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "EPOCH", description = "An epoch id, or the label of an epoch.")
  String target;

  @Override
  int run(Checkpointer cp) throws IOException {
    long from = cp.currentEpoch();
    Epoch to = resolve(cp, target);
    long undone = 0;
    for (Epoch e : cp.epochs()) {
      if (e.id() > to.id()) {
        undone++;
      }
    }
    ProgressLine line = progress(cp, "restore");
    try {
      cp.rollback(to.id());
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
          .name("epochsUndone").value(undone)
          .endObject()
          .end();
    } else {
      out().println(
          "restored epoch " + to.id()
              + (to.label() == null ? "" : " \"" + to.label() + "\"")
              + " (was at epoch " + from + "; " + undone
              + (undone == 1 ? " epoch" : " epochs") + " undone)");
      out().flush();
    }
    return Main.OK;
  }
}
