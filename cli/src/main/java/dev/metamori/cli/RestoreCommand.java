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

  @picocli.CommandLine.Option(
      names = "--overwrite",
      description = "Restore over tracked entries changed outside the checkpointer (they are lost; see status).")
  boolean overwrite;

  @picocli.CommandLine.Option(
      names = "--adopt",
      description = "First commit the changes made outside the checkpointer into a new epoch, then restore.")
  boolean adopt;

  @Override
  void checkOptions() {
    if (overwrite && adopt) {
      throw new picocli.CommandLine.ParameterException(
          spec.commandLine(), "--overwrite and --adopt exclude each other: choose one");
    }
  }

  @Override
  int run(Checkpointer cp) throws IOException {
    Epoch to = resolve(cp, target);
    java.util.List<dev.metamori.OutsideChange> outside = java.util.List.of();
    long adoptedInto = -1;
    if (adopt) {
      outside = cp.status();
      if (!outside.isEmpty()) {
        adoptedInto = cp.adoptOutsideChanges();
      }
    }
    EpochTree tree = new EpochTree(cp.epochs(), cp.currentEpoch());
    long from = tree.current();
    long via = tree.commonAncestor(from, to.id());
    int undone = tree.stepsUp(from, via);
    int redone = tree.stepsUp(to.id(), via);
    ProgressLine line = progress(cp, "restore");
    try {
      if (overwrite) {
        outside = cp.restore(to.id(), dev.metamori.RestoreOption.OVERWRITE_OUTSIDE_CHANGES);
      } else {
        cp.restore(to.id());
      }
    } finally {
      finish(line);
    }
    if (json()) {
      JsonWriter w = new JsonWriter(out());
      w.beginObject()
          .name("store").value(store().toString())
          .name("from").value(from)
          .name("to").value(to.id())
          .name("label").value(to.label())
          .name("commonAncestor").value(via)
          .name("epochsUndone").value(undone)
          .name("epochsRedone").value(redone);
      if (adopt) {
        w.name("adoptedInto").value(adoptedInto).name("adopted").value(outside.size());
      } else if (overwrite) {
        w.name("overwritten").value(outside.size());
      }
      w.endObject().end();
    } else {
      out().println(
          "restored epoch " + to.id()
              + (to.label() == null ? "" : " \"" + to.label() + "\"")
              + " (was at epoch " + from + "; "
              + undone + (undone == 1 ? " epoch" : " epochs") + " undone, "
              + redone + " redone"
              + (via != from && via != to.id() ? ", via epoch " + via : "")
              + ")");
      if (!outside.isEmpty()) {
        out().println(
            outside.size() + (outside.size() == 1 ? " outside change " : " outside changes ")
                + (adopt ? "adopted into epoch " + adoptedInto : "overwritten (those entries are not exact)")
                + ": " + outside);
      }
      out().flush();
    }
    return Main.OK;
  }
}
