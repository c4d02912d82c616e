package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.group.CheckpointGroup;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori group restore G}: the whole group back (or forward) to global epoch G. While
 * every member runs, the running group rolls back; while none does, {@code --store id=DIR} for
 * each member restores the stores and moves the group's head, so members join there.
 */
@Command(
    name = "restore",
    description = {
      "Restores the whole group to global epoch G, older or newer, on any branch.",
      "While every member runs: the group rolls back to G as if a member had called restore(G);"
          + " waits until it has.",
      "While no member runs: give every member's store with --store id=DIR; each is restored to its"
          + " local epoch of G, then the group moves to G, so members that join start there."
    })
final class GroupRestoreCommand extends GroupClientCommand {
  @Parameters(index = "0", paramLabel = "G", description = "The global epoch's id (see metamori group log).")
  long target;

  @Option(
      names = {"-s", "--store"},
      paramLabel = "ID=DIR",
      description = "A stopped member's id and its store directory; once for every member.")
  Map<String, Path> stores = new TreeMap<>();

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "60s",
      description = "How long to wait for the running group to roll back (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  int run(CuratorFramework client) throws IOException {
    GroupLog log = CheckpointGroup.log(client, group);
    GlobalEpoch to = log.epoch(target);
    if (to == null) {
      return fail(Main.NO_SUCH_EPOCH, "no global epoch " + target + " in group '" + group + "'"
          + (log.epochs().isEmpty() ? ", which has none yet" : "; metamori group log lists them"));
    }
    Set<String> members = to.localEpochs().keySet();
    Set<String> running = new TreeSet<>(members);
    running.retainAll(log.connected());
    Set<String> stopped = new TreeSet<>(members);
    stopped.removeAll(running);
    if (stores.isEmpty()) {
      if (!stopped.isEmpty()) {
        return fail(Main.REFUSED, "members " + stopped + " of group '" + group + "' are not running"
            + (running.isEmpty() ? "" : " (running: " + running + ")")
            + ": a running group rolls back only with all its members. Start them (they join at the group's"
            + " global epoch) and restore again, or stop every member and give each one's store with --store ID=DIR");
      }
      return restoreRunning(client, log, to);
    }
    if (!running.isEmpty()) {
      return fail(Main.REFUSED, "members " + running + " of group '" + group + "' are running, so their stores"
          + " are in use: stop every member before restoring their stores, or restore without --store and the"
          + " running group rolls back");
    }
    if (!stores.keySet().equals(members)) {
      Set<String> lacking = new TreeSet<>(members);
      lacking.removeAll(stores.keySet());
      Set<String> extra = new TreeSet<>(stores.keySet());
      extra.removeAll(members);
      return fail(Main.USAGE, "global epoch " + target + " of group '" + group + "' has members " + members
          + (lacking.isEmpty() ? "" : "; give --store ID=DIR for " + lacking)
          + (extra.isEmpty() ? "" : "; " + extra + " are not members of it"));
    }
    for (Map.Entry<String, Path> s : stores.entrySet()) {
      if (!StoreCommand.isStore(s.getValue())) {
        return fail(Main.USAGE, "member '" + s.getKey() + "': " + StoreCommand.notAStore(s.getValue()));
      }
    }
    return restoreStores(client, log, to);
  }

  private int restoreRunning(CuratorFramework client, GroupLog log, GlobalEpoch to) throws IOException {
    CheckpointGroup.restore(client, group, to.id(), Map.of(), timeout);
    if (json) {
      json(log, to, "running", Map.of());
    } else {
      out().println("group " + group + " rolled back to " + describe(to) + " (it was at global epoch " + log.current()
          + "); its running members are at local epochs " + GroupLogCommand.locals(to));
      out().flush();
    }
    return Main.OK;
  }

  private int restoreStores(CuratorFramework client, GroupLog log, GlobalEpoch to) throws IOException {
    List<Checkpointer> open = new ArrayList<>();
    try {
      Map<String, Checkpointer> cps = new TreeMap<>();
      Map<String, Long> before = new LinkedHashMap<>();
      for (Map.Entry<String, Path> s : stores.entrySet()) {
        Checkpointer cp = Checkpointer.builder(s.getValue()).open();
        open.add(cp);
        cps.put(s.getKey(), cp);
        before.put(s.getKey(), cp.currentEpoch());
      }
      CheckpointGroup.restore(client, group, to.id(), cps, timeout);
      if (json) {
        json(log, to, "stores", before);
      } else {
        PrintWriter out = out();
        for (Map.Entry<String, Long> b : before.entrySet()) {
          out.println("member " + b.getKey() + ": store " + stores.get(b.getKey()) + " restored to epoch "
              + to.localEpoch(b.getKey()) + " (was at epoch " + b.getValue() + ")");
        }
        out.println("group " + group + " is at " + describe(to) + " (it was at global epoch " + log.current()
            + "); members that join start there");
        out.flush();
      }
      return Main.OK;
    } finally {
      for (Checkpointer cp : open) {
        cp.close();
      }
    }
  }

  private static String describe(GlobalEpoch e) {
    return "global epoch " + e.id() + (e.label() == null ? "" : " \"" + e.label() + "\"");
  }

  private void json(GroupLog log, GlobalEpoch to, String how, Map<String, Long> before) {
    JsonWriter w = new JsonWriter(out());
    w.beginObject()
        .name("group").value(group)
        .name("from").value(log.current())
        .name("to").value(to.id())
        .name("label").value(to.label())
        .name("members").value(how)
        .name("localEpochs");
    GroupLogCommand.localEpochs(w, to);
    if (!before.isEmpty()) {
      w.name("storesWereAt").beginObject();
      before.forEach((id, e) -> w.name(id).value(e));
      w.endObject();
    }
    w.endObject().end();
  }
}
