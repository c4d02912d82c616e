package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.group.CheckpointGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Members of one group in this JVM, each with its own store and tracked directory holding one
 * file, {@code f}, on a ZooKeeper server the test started.
 */
final class GroupMembers implements AutoCloseable {
  final String connectString;
  final String group;
  final Set<String> roster;
  final Path dir;
  final Map<String, Checkpointer> cps = new TreeMap<>();
  final Map<String, CheckpointGroup> groups = new TreeMap<>();

  GroupMembers(Path dir, String connectString, String group, String... ids) {
    this.dir = dir;
    this.connectString = connectString;
    this.group = group;
    this.roster = Set.of(ids);
  }

  Path data(String id) {
    return dir.resolve(id).resolve("data");
  }

  Path store(String id) {
    return dir.resolve(id).resolve("store");
  }

  /** Opens every store and joins every member at once (join waits for the whole roster). */
  GroupMembers start() throws Exception {
    for (String id : roster) {
      Files.createDirectories(data(id));
      cps.put(id, Checkpointer.builder(store(id)).track(data(id)).open());
    }
    ExecutorService pool = Executors.newFixedThreadPool(roster.size());
    try {
      Map<String, Future<CheckpointGroup>> joins = new TreeMap<>();
      for (String id : roster) {
        CheckpointGroup.Builder b = CheckpointGroup.builder(cps.get(id)).zookeeper(connectString).group(group)
            .member(id).roster(roster).sessionTimeout(Duration.ofSeconds(4)).timeout(Duration.ofSeconds(30));
        joins.put(id, pool.submit(b::join));
      }
      for (Map.Entry<String, Future<CheckpointGroup>> j : joins.entrySet()) {
        groups.put(j.getKey(), j.getValue().get());
      }
    } finally {
      pool.shutdownNow();
    }
    return this;
  }

  /** Every member writes {@code text + " " + id} into its file f. */
  void writeAll(String text) throws IOException {
    for (Map.Entry<String, Checkpointer> e : cps.entrySet()) {
      Files.writeString(e.getValue().fileSystem().getPath(data(e.getKey()).resolve("f").toString()), text + " " + e.getKey());
    }
  }

  /** What member {@code id}'s file f holds on disk. */
  String read(String id) throws IOException {
    return Files.readString(data(id).resolve("f"));
  }

  /** Leaves the group and closes every store, as processes that end. */
  void stop() throws IOException {
    List<IOException> failures = new ArrayList<>();
    for (CheckpointGroup g : groups.values()) {
      try {
        g.close();
      } catch (IOException e) {
        failures.add(e);
      }
    }
    groups.clear();
    for (Checkpointer cp : cps.values()) {
      try {
        cp.close();
      } catch (IOException e) {
        failures.add(e);
      }
    }
    cps.clear();
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  @Override
  public void close() throws IOException {
    stop();
  }
}
