package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.RepairResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code metamori repair STORE}: rebuilds the store's index from its segments and its
 * catalogue ({@link Checkpointer#repair}) and says what it found. Unlike the other commands it
 * does not open the store, so it neither recovers the trees nor needs the tracked roots.
 */
@Command(
    name = "repair",
    description =
        "Rebuilds the store's index (index.mv) from its segments and its catalogue, whatever state"
            + " the index is in, and says what it found. The tracked files are not touched (the"
            + " next open recovers them, as always).")
final class RepairCommand implements Callable<Integer> {
  @Mixin StoreOptions options;
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "STORE",
      description = "The store directory (or give it with --store).")
  Path positional;

  @Override
  public Integer call() throws IOException {
    Path store = positional != null ? positional : options.store != null ? options.store : main.options.store;
    if (store == null) {
      throw new ParameterException(spec.commandLine(), "Missing required parameter: 'STORE' (or --store=DIR)");
    }
    if (!StoreCommand.isStore(store)) {
      throw new ParameterException(spec.commandLine(), StoreCommand.notAStore(store));
    }
    RepairResult r = Checkpointer.repair(store);
    if (options.json || main.options.json) {
      JsonWriter w = new JsonWriter(out());
      w.beginObject()
          .name("store").value(store.toString())
          .name("index").value(r.index().name().toLowerCase(java.util.Locale.ROOT))
          .name("problem").value(r.problem())
          .name("catalogueProblem").value(r.catalogueProblem())
          .name("segments").value(r.segments())
          .name("records").value(r.records())
          .name("epochs").value(r.epochs())
          .name("listedEpochs").value(r.listedEpochs())
          .name("labelledEpochs").value(r.labelledEpochs())
          .name("names").value(r.names())
          .name("currentEpoch").value(r.currentEpoch())
          .name("roots").beginArray();
      r.roots().forEach(w::value);
      w.endArray().endObject().end();
      return Main.OK;
    }
    PrintWriter out = out();
    out.println(
        r.index() == RepairResult.IndexState.SOUND
            ? "index.mv was sound"
            : "index.mv was " + r.index().name().toLowerCase(java.util.Locale.ROOT) + ": " + r.problem());
    if (r.catalogueProblem() != null) {
      out.println("the catalogue was rewritten from the index first: " + r.catalogueProblem());
    }
    out.println(
        "rebuilt from " + r.segments() + (r.segments() == 1 ? " segment (" : " segments (") + r.records()
            + (r.records() == 1 ? " record)" : " records)") + " and the catalogue: "
            + r.epochs() + (r.epochs() == 1 ? " epoch" : " epochs") + ", " + r.listedEpochs() + " listed ("
            + r.labelledEpochs() + " labelled), " + r.names()
            + (r.names() == 1 ? " name of a region or object" : " names of regions and objects")
            + "; current epoch " + r.currentEpoch());
    out.println("tracked roots: " + (r.roots().isEmpty() ? "none recorded" : String.join(", ", r.roots())));
    out.flush();
    return Main.OK;
  }

  private PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
