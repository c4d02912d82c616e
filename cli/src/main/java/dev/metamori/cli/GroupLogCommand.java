package dev.metamori.cli;

import dev.metamori.group.CheckpointGroup;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;

/**
 * {@code metamori group log}: the group's global epochs, newest first, each with its members'
 * local epochs, the current one marked; read without joining the group.
 */
@Command(
    name = "log",
    description =
        "Shows the group's global epochs, newest first, with each member's local epoch; the current"
            + " one is marked. Reads ZooKeeper only: the group is not affected.")
final class GroupLogCommand extends GroupClientCommand {
  @Override
  int run(CuratorFramework client) throws IOException {
    GroupLog log = CheckpointGroup.log(client, group);
    List<GlobalEpoch> newestFirst = new ArrayList<>(log.epochs());
    Collections.reverse(newestFirst);
    if (json) {
      json(log, newestFirst);
      return Main.OK;
    }
    PrintWriter out = out();
    out.println(header(log));
    for (GlobalEpoch e : newestFirst) {
      out.println("global epoch " + e.id() + (e.id() == log.current() ? " (current)" : "")
          + (e.label() == null ? "" : " \"" + e.label() + "\""));
      out.println("  " + (e.parent() == 0 ? "root" : "parent " + e.parent()) + "; local epochs " + locals(e));
    }
    out.flush();
    return Main.OK;
  }

  private static String header(GroupLog log) {
    String at = log.current() == 0 ? "no global epoch yet" : "at global epoch " + log.current();
    String connected = log.connected().isEmpty() ? "no member connected" : "connected: " + String.join(", ", log.connected());
    String pending = log.pending() ? "; a rollback to it is owed and runs once every member is connected" : "";
    return "group " + log.group() + ": " + at + ", " + connected + pending;
  }

  /** {@code a=4 b=4 c=5}. */
  static String locals(GlobalEpoch e) {
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Long> m : e.localEpochs().entrySet()) {
      b.append(b.length() == 0 ? "" : " ").append(m.getKey()).append('=').append(m.getValue());
    }
    return b.toString();
  }

  private void json(GroupLog log, List<GlobalEpoch> newestFirst) {
    JsonWriter w = new JsonWriter(out());
    w.beginObject()
        .name("group").value(log.group())
        .name("current").value(log.current())
        .name("pending").value(log.pending())
        .name("connected").beginArray();
    for (String m : log.connected()) {
      w.value(m);
    }
    w.endArray().name("globalEpochs").beginArray();
    for (GlobalEpoch e : newestFirst) {
      w.beginObject()
          .name("id").value(e.id())
          .name("parent").value(e.parent())
          .name("label").value(e.label())
          .name("current").value(e.id() == log.current())
          .name("localEpochs");
      localEpochs(w, e);
      w.endObject();
    }
    w.endArray().endObject().end();
  }

  static void localEpochs(JsonWriter w, GlobalEpoch e) {
    w.beginObject();
    for (Map.Entry<String, Long> m : e.localEpochs().entrySet()) {
      w.name(m.getKey()).value(m.getValue());
    }
    w.endObject();
  }
}
