package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.PruneResult;
import dev.metamori.RetentionPolicy;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/**
 * {@code metamori prune}: removes the epochs a retention policy built from the options does not
 * keep ({@link Checkpointer#prune}), or with {@code --dry-run} only lists them.
 */
@Command(
    name = "prune",
    description =
        "Removes the epochs the options do not keep and reclaims their space. An epoch is kept"
            + " if any --keep option keeps it; --drop-branch then removes a whole branch. With"
            + " only --drop-branch, every other epoch is kept. The current epoch is always kept."
            + " Restores of the kept epochs stay exact.")
final class PruneCommand extends StoreCommand {
  @Option(names = "--keep-last", paramLabel = "N", description = "Keep the N newest epochs, on any branch.")
  Integer keepLast;

  @Option(names = "--keep-labelled", description = "Keep every epoch that has a label.")
  boolean keepLabelled;

  @Option(
      names = "--keep-one-per",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description =
          "Keep the newest epoch of every DURATION of commit time (30m, 1h, 2d, 1h30m or"
              + " ISO-8601 PT1H; hours start on the hour, days at midnight UTC).")
  Duration keepOnePer;

  @Option(
      names = "--drop-branch",
      paramLabel = "EPOCH",
      description =
          "Remove this epoch (an id or a label) and every epoch committed on top of it, whatever"
              + " the --keep options say. Repeatable. Refused while the current epoch is on it.")
  List<String> dropBranches = new ArrayList<>();

  @Option(names = "--dry-run", description = "List what would be removed; change nothing.")
  boolean dryRun;

  @Override
  void checkOptions() {
    if (keepLast == null && !keepLabelled && keepOnePer == null && dropBranches.isEmpty()) {
      throw new ParameterException(
          spec.commandLine(),
          "prune needs at least one of --keep-last N, --keep-labelled, --keep-one-per DURATION,"
              + " --drop-branch EPOCH (see metamori help prune)");
    }
    if (keepLast != null && keepLast < 0) {
      throw new ParameterException(
          spec.commandLine(), "--keep-last " + keepLast + ": the number of epochs to keep is negative");
    }
  }

  @Override
  int run(Checkpointer cp) throws IOException {
    List<Epoch> before = cp.epochs();
    long current = cp.currentEpoch();
    RetentionPolicy policy = keepRules();
    for (String target : dropBranches) {
      Epoch root = resolve(cp, target);
      if (RetentionPolicy.keepAll().dropBranch(root.id()).dropped(before).contains(current)) {
        spec.commandLine().getErr().println(
            "metamori: --drop-branch " + target + " would drop the current epoch " + current
                + (root.id() == current ? "" : ", which descends from epoch " + root.id())
                + ": restore an epoch outside that branch first");
        spec.commandLine().getErr().flush();
        return Main.REFUSED;
      }
      policy = policy.dropBranch(root.id());
    }
    Set<Long> kept = policy.kept(before);
    List<Epoch> removed = new ArrayList<>();
    List<Epoch> remaining = new ArrayList<>();
    for (Epoch e : before) {
      (kept.contains(e.id()) || e.id() == current ? remaining : removed).add(e);
    }
    PruneResult result = null;
    if (!dryRun) {
      result = cp.prune(policy);
      // what the store says now, in case it kept more than the policy asked
      remaining = cp.epochs();
      Set<Long> gone = Set.copyOf(result.removedEpochs());
      removed.clear();
      for (Epoch e : before) {
        if (gone.contains(e.id())) {
          removed.add(e);
        }
      }
    }
    Comparator<Epoch> newestFirst = Comparator.comparingLong(Epoch::id).reversed();
    removed.sort(newestFirst);
    remaining = new ArrayList<>(remaining);
    remaining.sort(newestFirst);
    if (json()) {
      json(current, removed, remaining, result);
    } else {
      text(current, removed, remaining, result);
    }
    return Main.OK;
  }

  /** The {@code or} of the keep options; with none (only drops), everything. */
  private RetentionPolicy keepRules() {
    RetentionPolicy keep = null;
    if (keepLast != null) {
      keep = RetentionPolicy.keepLast(keepLast);
    }
    if (keepLabelled) {
      keep = or(keep, RetentionPolicy.keepLabelled());
    }
    if (keepOnePer != null) {
      keep = or(keep, RetentionPolicy.keepOnePer(keepOnePer));
    }
    return keep == null ? RetentionPolicy.keepAll() : keep;
  }

  private static RetentionPolicy or(RetentionPolicy a, RetentionPolicy b) {
    return a == null ? b : a.or(b);
  }

  private void text(long current, List<Epoch> removed, List<Epoch> remaining, PruneResult result) {
    PrintWriter out = out();
    String verb = dryRun ? "would remove" : "removed";
    for (Epoch e : removed) {
      out.println(verb + " epoch " + e.id() + label(e));
    }
    List<String> names = new ArrayList<>();
    for (Epoch e : remaining) {
      names.add(e.id() + label(e) + (e.id() == current ? " (current)" : ""));
    }
    out.println(
        (dryRun ? "would keep " : "kept ") + count(remaining.size()) + ": " + String.join(", ", names));
    if (result == null) {
      out.println("dry run: " + count(removed.size()) + " would be removed; nothing changed");
    } else {
      out.println(
          "removed " + count(removed.size()) + ", reclaimed " + ByteSize.of(result.reclaimedBytes())
              + " (store " + ByteSize.of(result.storeBytesBefore()) + " -> "
              + ByteSize.of(result.storeBytesAfter()) + ")");
    }
    out.flush();
  }

  private static String label(Epoch e) {
    return e.label() == null ? "" : " \"" + e.label() + "\"";
  }

  private static String count(int epochs) {
    return epochs + (epochs == 1 ? " epoch" : " epochs");
  }

  private void json(long current, List<Epoch> removed, List<Epoch> remaining, PruneResult result) {
    JsonWriter w = new JsonWriter(out());
    w.beginObject()
        .name("store").value(store().toString())
        .name("dryRun").value(dryRun)
        .name("current").value(current)
        .name("removed");
    epochs(w, removed);
    w.name("kept");
    epochs(w, remaining);
    if (result == null) {
      w.name("storeBytesBefore").value((String) null)
          .name("storeBytesAfter").value((String) null)
          .name("reclaimedBytes").value((String) null);
    } else {
      w.name("storeBytesBefore").value(result.storeBytesBefore())
          .name("storeBytesAfter").value(result.storeBytesAfter())
          .name("reclaimedBytes").value(result.reclaimedBytes());
    }
    w.endObject().end();
  }

  private static void epochs(JsonWriter w, List<Epoch> epochs) {
    w.beginArray();
    for (Epoch e : epochs) {
      w.beginObject().name("id").value(e.id()).name("label").value(e.label()).endObject();
    }
    w.endArray();
  }
}
