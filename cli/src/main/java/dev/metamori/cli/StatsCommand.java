package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.StoreStats;
import dev.metamori.StoreStats.EpochStats;
import dev.metamori.StoreStats.FileStats;
import dev.metamori.StoreStats.StateStats;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code metamori stats}: where the store's bytes go. */
@Command(
    name = "stats",
    description =
        "Shows the store's size, per epoch (with the compression ratio), per file, and per"
            + " region and object (with what chunk dedupe saved).")
final class StatsCommand extends StoreCommand {
  @Option(
      names = "--top",
      paramLabel = "N",
      defaultValue = "10",
      description = "Files to list, the most costly first (default ${DEFAULT-VALUE}; --json lists all).")
  int top;

  @Override
  int run(Checkpointer cp) throws IOException {
    ProgressLine line = progress(cp, "stats");
    StoreStats stats;
    try {
      stats = cp.stats();
    } finally {
      finish(line);
    }
    if (json()) {
      json(stats);
    } else {
      text(stats);
    }
    return Main.OK;
  }

  private void json(StoreStats s) {
    JsonWriter w = new JsonWriter(out());
    w.beginObject()
        .name("store").value(store().toString())
        .name("totalBytes").value(s.totalBytes())
        .name("segmentBytes").value(s.segmentBytes())
        .name("indexBytes").value(s.indexBytes())
        .name("trashBytes").value(s.trashBytes())
        .name("payloadBytes").value(s.payloadBytes())
        .name("storedPayloadBytes").value(s.storedPayloadBytes())
        .name("compressionRatio").value(s.compressionRatio())
        .name("dedupeSavedBytes").value(s.dedupeSavedBytes());
    w.name("epochs").beginArray();
    for (EpochStats e : s.epochs()) {
      w.beginObject()
          .name("id").value(e.id())
          .name("bytesJournaled").value(e.bytesJournaled())
          .name("payloadBytes").value(e.payloadBytes())
          .name("storedPayloadBytes").value(e.storedPayloadBytes())
          .name("compressionRatio").value(e.compressionRatio())
          .name("trashBytes").value(e.trashBytes())
          .endObject();
    }
    w.endArray().name("files").beginArray();
    for (FileStats f : s.files()) {
      w.beginObject()
          .name("path").value(f.path())
          .name("bytes").value(f.bytes())
          .name("epochs").value(f.epochs())
          .endObject();
    }
    w.endArray().name("states").beginArray();
    for (StateStats st : s.states()) {
      w.beginObject()
          .name("name").value(st.name())
          .name("kind").value(st.kind().name().toLowerCase(Locale.ROOT))
          .name("bytesJournaled").value(st.bytesJournaled())
          .name("dedupeSavedBytes").value(st.dedupeSavedBytes())
          .endObject();
    }
    w.endArray().endObject().end();
  }

  private void text(StoreStats s) {
    PrintWriter out = out();
    out.println("store " + store() + ": " + ByteSize.of(s.totalBytes()) + " on disk");
    out.printf(Locale.ROOT, "  segments %12s%n", ByteSize.of(s.segmentBytes()));
    out.printf(Locale.ROOT, "  index    %12s%n", ByteSize.of(s.indexBytes()));
    out.printf(Locale.ROOT, "  trash    %12s%n", ByteSize.of(s.trashBytes()));
    out.printf(
        Locale.ROOT,
        "saved blocks, pages and chunks: %s, stored as %s (compression %.2fx)%n",
        ByteSize.of(s.payloadBytes()),
        ByteSize.of(s.storedPayloadBytes()),
        s.compressionRatio());
    out.println();
    out.printf(Locale.ROOT, "%8s %12s %12s %12s %7s %12s%n", "EPOCH", "JOURNALED", "PAYLOAD", "STORED", "RATIO", "TRASH");
    List<EpochStats> epochs = s.epochs();
    for (int i = epochs.size() - 1; i >= 0; i--) {
      EpochStats e = epochs.get(i);
      out.printf(
          Locale.ROOT,
          "%8d %12s %12s %12s %6.2fx %12s%n",
          e.id(),
          ByteSize.of(e.bytesJournaled()),
          ByteSize.of(e.payloadBytes()),
          ByteSize.of(e.storedPayloadBytes()),
          e.compressionRatio(),
          ByteSize.of(e.trashBytes()));
    }
    List<FileStats> files = s.files();
    if (!files.isEmpty()) {
      int shown = Math.min(Math.max(top, 0), files.size());
      out.println();
      out.println(
          "files: the " + shown + " most costly of " + files.size() + " (undo data and trashed copies)");
      for (FileStats f : files.subList(0, shown)) {
        out.printf(
            Locale.ROOT,
            "  %12s  %3d %s  %s%n",
            ByteSize.of(f.bytes()),
            f.epochs(),
            f.epochs() == 1 ? "epoch " : "epochs",
            f.path());
      }
    }
    if (!s.states().isEmpty()) {
      out.println();
      out.println("regions and objects:");
      for (StateStats st : s.states()) {
        out.printf(
            Locale.ROOT,
            "  %-6s %-20s %12s journaled%s%n",
            st.kind().name().toLowerCase(Locale.ROOT),
            st.name(),
            ByteSize.of(st.bytesJournaled()),
            st.kind() == StoreStats.StateKind.OBJECT
                ? ", " + ByteSize.of(st.dedupeSavedBytes()) + " saved by dedupe"
                : "");
      }
    }
    out.flush();
  }
}
