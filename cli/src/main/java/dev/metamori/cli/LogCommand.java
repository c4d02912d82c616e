package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code metamori log}: every epoch of the tree, newest first, drawn like {@code git log --graph
 * --all}, with the current epoch's line in the first column.
 */
@Command(
    name = "log",
    description =
        "Shows every epoch, newest first, as a tree like git log --graph --all. The current"
            + " epoch is marked; it and its ancestors are in the first column.")
final class LogCommand extends StoreCommand {
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  @Override
  int run(Checkpointer cp) throws IOException {
    EpochTree tree = new EpochTree(cp.epochs(), cp.currentEpoch());
    if (json()) {
      json(tree);
      return Main.OK;
    }
    PrintWriter out = out();
    for (String line : TreeGraph.draw(tree, e -> text(tree, e))) {
      out.println(line);
    }
    out.flush();
    return Main.OK;
  }

  /** What log says of epoch {@code e}: a title line, then its details. */
  private static List<String> text(EpochTree tree, Epoch e) {
    String title =
        "epoch " + e.id()
            + (e.id() == tree.current() ? " (current)" : "")
            + (e.label() == null ? "" : " \"" + e.label() + "\"");
    String origin =
        (e.parent() < 0 ? "root" : "parent " + e.parent())
            + ", committed " + TIME.format(e.committedAt());
    String cost =
        ByteSize.of(e.bytesJournaled()) + " journaled, "
            + count(e.filesChanged(), "file") + " changed, "
            + count(e.blocksJournaled(), "block") + " saved";
    return List.of(title, origin, cost);
  }

  private static String count(long n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private void json(EpochTree tree) {
    JsonWriter w = new JsonWriter(out());
    w.beginObject()
        .name("store").value(store().toString())
        .name("current").value(tree.current())
        .name("epochs").beginArray();
    for (Epoch e : tree.newestFirst()) {
      w.beginObject()
          .name("id").value(e.id())
          .name("parent").value(e.parent())
          .name("committedAt").value(e.committedAt().toString())
          .name("label").value(e.label())
          .name("bytesJournaled").value(e.bytesJournaled())
          .name("blocksJournaled").value(e.blocksJournaled())
          .name("filesChanged").value(e.filesChanged())
          .name("current").value(e.id() == tree.current())
          .name("onCurrentLine").value(tree.onCurrentLine(e.id()))
          .name("children").beginArray();
      for (long child : tree.children(e.id())) {
        w.value(child);
      }
      w.endArray().endObject();
    }
    w.endArray().endObject().end();
  }
}
