package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code metamori log}: the epochs, newest first, as a graph like {@code git log --graph}. */
@Command(name = "log", description = "Lists the epochs, newest first, and marks the current one.")
final class LogCommand extends StoreCommand {
  static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

  @Override
  int run(Checkpointer cp) throws IOException {
    List<Epoch> epochs = new ArrayList<>(cp.epochs());
    java.util.Collections.reverse(epochs);
    long current = cp.currentEpoch();
    if (json()) {
      JsonWriter w = new JsonWriter(out());
      w.beginObject().name("store").value(store().toString()).name("current").value(current);
      w.name("epochs").beginArray();
      for (Epoch e : epochs) {
        w.beginObject()
            .name("id").value(e.id())
            .name("parent").value(e.parent())
            .name("committedAt").value(e.committedAt().toString())
            .name("label").value(e.label())
            .name("bytesJournaled").value(e.bytesJournaled())
            .name("blocksJournaled").value(e.blocksJournaled())
            .name("filesChanged").value(e.filesChanged())
            .name("current").value(e.id() == current)
            .endObject();
      }
      w.endArray().endObject().end();
      return Main.OK;
    }
    PrintWriter out = out();
    for (int i = 0; i < epochs.size(); i++) {
      Epoch e = epochs.get(i);
      out.println(
          "* epoch " + e.id()
              + (e.id() == current ? " (current)" : "")
              + (e.label() == null ? "" : " \"" + e.label() + "\""));
      out.println(
          "|   "
              + (e.parent() < 0 ? "root" : "parent " + e.parent())
              + ", committed "
              + TIME.format(e.committedAt()));
      out.println(
          "|   "
              + ByteSize.of(e.bytesJournaled())
              + " journaled, "
              + e.filesChanged()
              + (e.filesChanged() == 1 ? " file" : " files")
              + " changed, "
              + e.blocksJournaled()
              + (e.blocksJournaled() == 1 ? " block" : " blocks")
              + " saved");
      if (i + 1 < epochs.size()) {
        out.println("|");
      }
    }
    out.flush();
    return Main.OK;
  }
}
