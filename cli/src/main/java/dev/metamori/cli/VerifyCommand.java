package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.OutsideChange;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code metamori verify}: scrubs the journal and the trash and lists every damaged record or
 * entry, then lists the tracked entries changed outside the checkpointer (as {@code status}
 * does): both would make a restore refuse or go wrong.
 */
@Command(
    name = "verify",
    description =
        "Reads the whole journal and checks the trash, and lists every damaged record and trash entry"
            + " (exit code 1 if any); then lists the tracked entries changed outside the checkpointer"
            + " since the current epoch, as status does (exit code 7 if any and no damage).")
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
    List<OutsideChange> changes = cp.status();
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
      w.endArray().name("outsideChanges");
      StatusCommand.writeChanges(w, changes);
      w.endObject().end();
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
      for (OutsideChange c : changes) {
        out.println("changed outside the checkpointer: " + c);
      }
      if (!changes.isEmpty()) {
        out.println(
            changes.size() + (changes.size() == 1 ? " tracked entry" : " tracked entries")
                + " changed outside the checkpointer since epoch " + cp.currentEpoch()
                + ": restores refuse until `status --adopt` commits them or `restore --overwrite` restores over them");
      }
      out.flush();
    }
    return !damage.isEmpty() ? Main.DAMAGE : changes.isEmpty() ? Main.OK : Main.CHANGED;
  }

  /** Whether all the damage is in the index, which {@code metamori repair} rebuilds. */
  private static boolean onlyTheIndex(List<CorruptStoreException> damage) {
    return damage.stream()
        .allMatch(d -> d.file() != null && d.file().getFileName() != null
            && d.file().getFileName().toString().equals("index.mv"));
  }
}
