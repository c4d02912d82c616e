package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code metamori verify}: scrubs the journal and the trash and lists every damaged record or entry. */
@Command(
    name = "verify",
    description =
        "Reads the whole journal and checks the trash, and lists every damaged record and trash entry;"
            + " exit code 1 if any.")
final class VerifyCommand extends StoreCommand {

  @Override
  int run(Checkpointer cp) throws IOException {
    ProgressLine line = progress(cp, "verify");
    List<CorruptStoreException> damage;
    try {
      damage = cp.verify();
    } finally {
      finish(line);
    }
    int epochs = cp.epochs().size();
    Path store = store();
    if (json()) {
      JsonWriter w = new JsonWriter(out());
      w.beginObject()
          .name("store").value(store.toString())
          .name("epochs").value(epochs)
          .name("ok").value(damage.isEmpty())
          .name("damage").beginArray();
      for (CorruptStoreException d : damage) {
        w.beginObject()
            .name("file").value(storeRelative(store, d.file()))
            .name("offset").value(d.offset())
            .name("epoch").value(d.epoch())
            .name("message").value(d.detail())
            .endObject();
      }
      w.endArray().endObject().end();
    } else {
      PrintWriter out = out();
      for (CorruptStoreException d : damage) {
        out.println(
            "damage: "
                + storeRelative(store, d.file())
                + (d.offset() >= 0 ? " at offset " + d.offset() : "")
                + (d.epoch() >= 0 ? " (epoch " + d.epoch() + ")" : "")
                + ": "
                + d.detail());
      }
      long entries =
          damage.stream()
              .filter(d -> d.file() != null && Path.of(storeRelative(store, d.file())).startsWith("trash"))
              .count();
      long records = damage.size() - entries;
      String found =
          (records == 0 ? "" : records + (records == 1 ? " damaged record" : " damaged records"))
              + (records > 0 && entries > 0 ? " and " : "")
              + (entries == 0 ? "" : entries + (entries == 1 ? " damaged trash entry" : " damaged trash entries"));
      out.println(
          damage.isEmpty()
              ? epochs + (epochs == 1 ? " epoch" : " epochs") + " verified: no damage"
              : found + " found in " + epochs + (epochs == 1 ? " epoch" : " epochs")
                  + (onlyTheIndex(damage)
                      ? "; rebuild the index from the segments with metamori repair"
                      : "; restore the store directory from a backup"));
      out.flush();
    }
    return damage.isEmpty() ? Main.OK : Main.DAMAGE;
  }

  /** Whether all the damage is in the index, which {@code metamori repair} rebuilds. */
  private static boolean onlyTheIndex(List<CorruptStoreException> damage) {
    return damage.stream()
        .allMatch(d -> d.file() != null && d.file().getFileName() != null
            && d.file().getFileName().toString().equals("index.mv"));
  }
}
