package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.OutsideChange;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code metamori status}: like {@code git status}, lists every tracked file, directory and link
 * changed behind the checkpointer's back since the current epoch; with {@code --adopt}, commits
 * them into a new epoch.
 */
@Command(
    name = "status",
    description =
        "Lists every tracked entry changed outside the checkpointer since the current epoch"
            + " (created, deleted, replaced, modified, attributes); exit code 7 if any. A restore"
            + " refuses while there are some.")
final class StatusCommand extends StoreCommand {
  @Option(
      names = "--adopt",
      description = "Commit the changes listed into a new epoch, so that nothing is lost and restores go on.")
  boolean adopt;

  @Override
  int run(Checkpointer cp) throws IOException {
    List<OutsideChange> changes = cp.status();
    long adoptedInto = adopt && !changes.isEmpty() ? cp.adoptOutsideChanges() : -1;
    if (json()) {
      JsonWriter w = new JsonWriter(out());
      w.beginObject()
          .name("store").value(store().toString())
          .name("epoch").value(cp.currentEpoch())
          .name("clean").value(changes.isEmpty())
          .name("adoptedInto").value(adoptedInto)
          .name("exclusions").beginArray();
      for (String g : cp.exclusions()) {
        w.value(g);
      }
      w.endArray().name("changes");
      writeChanges(w, changes);
      w.endObject().end();
    } else {
      PrintWriter out = out();
      for (OutsideChange c : changes) {
        out.println(c);
      }
      if (!cp.exclusions().isEmpty()) {
        out.println("not tracked (excluded): " + String.join(", ", cp.exclusions()));
      }
      if (changes.isEmpty()) {
        out.println("at epoch " + cp.currentEpoch() + ": no change outside the checkpointer");
      } else if (adoptedInto >= 0) {
        out.println(
            changes.size() + (changes.size() == 1 ? " outside change" : " outside changes")
                + " adopted into epoch " + adoptedInto);
      } else {
        out.println(
            changes.size() + (changes.size() == 1 ? " entry" : " entries")
                + " changed outside the checkpointer since epoch " + cp.currentEpoch()
                + ": `status --adopt` commits them into a new epoch; `restore --overwrite` restores over them");
      }
      out.flush();
    }
    return changes.isEmpty() || adoptedInto >= 0 ? Main.OK : Main.CHANGED;
  }

  /** {@code changes} as a JSON array of {@code path} and {@code kind} (as {@code status} and {@code verify} print them). */
  static void writeChanges(JsonWriter w, List<OutsideChange> changes) {
    w.beginArray();
    for (OutsideChange c : changes) {
      w.beginObject()
          .name("path").value(c.path().toString())
          .name("kind").value(c.kind().name().toLowerCase(java.util.Locale.ROOT))
          .endObject();
    }
    w.endArray();
  }
}
