package dev.metamori.cli;

import dev.metamori.Change;
import dev.metamori.Checkpointer;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Iterator;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori diff A B}: what differs between the states at two epochs, one line per
 * change.
 */
@Command(
    name = "diff",
    description =
        "Lists what differs between two epochs (ids or labels): files created, deleted, moved and"
            + " changed (with the byte ranges), regions and objects changed.")
final class DiffCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "FROM", description = "The first epoch (an id or a label).")
  String from;

  @Parameters(index = "1", paramLabel = "TO", description = "The second epoch (an id or a label).")
  String to;

  @Override
  int run(Checkpointer cp) throws IOException {
    long a = resolve(cp, from).id();
    long b = resolve(cp, to).id();
    PrintWriter out = out();
    try (Stream<Change> changes = cp.diff(a, b)) {
      Iterator<Change> it = changes.iterator();
      if (json()) {
        JsonWriter w = new JsonWriter(out).beginObject();
        w.name("from").value(a).name("to").value(b).name("changes").beginArray();
        while (it.hasNext()) {
          Change c = it.next();
          w.beginObject()
              .name("kind").value(c.kind().name())
              .name("path").value(c.path())
              .name("previousPath").value(c.previousPath())
              .name("sizeBefore").value(c.sizeBefore())
              .name("sizeAfter").value(c.sizeAfter())
              .name("ranges").beginArray();
          for (Change.Range r : c.ranges()) {
            w.beginObject().name("offset").value(r.offset()).name("length").value(r.length()).endObject();
          }
          w.endArray().endObject();
        }
        w.endArray().endObject().end();
        return Main.OK;
      }
      int n = 0;
      while (it.hasNext()) {
        out.println(line(it.next()));
        n++;
      }
      out.println(n + (n == 1 ? " change" : " changes") + " from epoch " + a + " to epoch " + b);
      out.flush();
    }
    return Main.OK;
  }

  /** One change as a line: a letter for its kind, the path, then what changed. */
  static String line(Change c) {
    StringBuilder s = new StringBuilder();
    switch (c.kind()) {
      case CREATED:
        s.append("A  ").append(c.path());
        break;
      case DELETED:
        s.append("D  ").append(c.path());
        break;
      case MOVED:
        s.append("R  ").append(c.previousPath()).append(" -> ").append(c.path());
        break;
      case CHANGED:
        s.append("M  ").append(c.path());
        break;
      case REGION_CHANGED:
        s.append("M  region ").append(c.path());
        break;
      default:
        s.append("M  object ").append(c.path());
        break;
    }
    if (c.sizeBefore() >= 0 && c.sizeAfter() >= 0 && c.sizeBefore() != c.sizeAfter()) {
      s.append("  size ").append(c.sizeBefore()).append(" -> ").append(c.sizeAfter());
    } else if (c.kind() == Change.Kind.CREATED && c.sizeAfter() >= 0) {
      s.append("  ").append(c.sizeAfter()).append(" bytes");
    }
    if (!c.ranges().isEmpty()) {
      long bytes = c.ranges().stream().mapToLong(Change.Range::length).sum();
      s.append("  ").append(bytes).append(" bytes in ").append(c.ranges().size())
          .append(c.ranges().size() == 1 ? " range" : " ranges").append(':');
      int shown = 0;
      for (Change.Range r : c.ranges()) {
        if (shown++ == 4) {
          s.append(" ...");
          break;
        }
        s.append(' ').append(r.offset()).append('+').append(r.length());
      }
    }
    return s.toString();
  }
}
