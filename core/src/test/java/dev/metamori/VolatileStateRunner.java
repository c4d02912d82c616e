package dev.metamori;

import dev.metamori.testing.Blob;
import dev.metamori.VolatileStateModel.Numbers;
import dev.metamori.VolatileStateModel.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * The store under test in a {@link VolatileStateProperties} run, and the model's view of it:
 * live files, region bytes and object states, and a {@link Snapshot} of every valid epoch.
 */
final class VolatileStateRunner {
  final Path data;
  final Path store;
  Checkpointer cp;

  Map<String, byte[]> files = new TreeMap<>();
  final Map<String, MemoryRegion> regions = new LinkedHashMap<>();
  final Map<String, byte[]> regionBytes = new LinkedHashMap<>();
  Blob blob = new Blob();
  byte[] blobModel = new byte[0];
  Numbers list = new Numbers();
  List<Long> listModel = new ArrayList<>();
  boolean listRegistered;
  boolean listEverRegistered;
  boolean lateEverAsked;
  /**
   * The newest state captured (committed or in flight), or the one rolled back or reopened
   * to: what the store holds for the regions and objects this process has not asked for.
   */
  Snapshot base;

  final TreeMap<Long, Snapshot> epochs = new TreeMap<>();
  long current;
  /** Commits started and not joined yet, in order, with what they captured. */
  final Map<CompletableFuture<Long>, Snapshot> pending = new LinkedHashMap<>();

  VolatileStateRunner(Path dir) {
    this.data = dir.resolve("data");
    this.store = dir.resolve("store");
  }

  Path tracked(String name) {
    return cp.fileSystem().getPath(data.resolve(name).toString());
  }

  /** Opens (or reopens) the store, asks for the regions and registers the objects. */
  void open(boolean askLate, boolean registerList, Durability durability) throws IOException {
    boolean fresh = !Files.exists(store);
    if (fresh) {
      Files.createDirectories(data);
    }
    cp = Checkpointer.builder(store).track(data).durability(durability).open();
    if (fresh) {
      epochs.put(0L, new Snapshot(Map.of(), Map.of(), null, null));
      current = 0;
    }
    if (cp.currentEpoch() != current) {
      throw new AssertionError("opened at epoch " + cp.currentEpoch() + ", expected " + current);
    }
    Snapshot s = epochs.get(current);
    base = s;
    files = new TreeMap<>(s.files());
    regions.clear();
    regionBytes.clear();
    openRegion("small", s);
    openRegion("big", s);
    if (askLate && lateEverAsked) {
      openRegion("late", s);
    }
    blob = new Blob();
    cp.register("blob", blob);
    blobModel = s.blob() == null ? new byte[0] : s.blob().clone();
    list = new Numbers();
    listModel = new ArrayList<>();
    listRegistered = registerList && listEverRegistered;
    if (listRegistered) {
      cp.register("list", list);
      if (s.list() != null) {
        listModel = new ArrayList<>(s.list());
      }
    }
  }

  /** Asks for a region; {@code at} is the epoch it should come back at (null: a new one). */
  void openRegion(String name, Snapshot at) throws IOException {
    regions.put(name, cp.region(name, VolatileStateModel.SIZES.get(name)));
    lateEverAsked |= name.equals("late");
    byte[] bytes = at == null ? null : at.regions().get(name);
    regionBytes.put(name, bytes == null ? new byte[VolatileStateModel.SIZES.get(name).intValue()] : bytes.clone());
  }

  Snapshot snapshot() {
    Map<String, byte[]> f = new TreeMap<>();
    files.forEach((k, v) -> f.put(k, v.clone()));
    // what this process has not asked for stays as the store holds it (snapshots are never mutated)
    Map<String, byte[]> g = new LinkedHashMap<>(base.regions());
    regionBytes.forEach((k, v) -> g.put(k, v.clone()));
    return new Snapshot(f, g, blobModel.clone(), listRegistered ? new ArrayList<>(listModel) : base.list());
  }

  void committed(long id, Snapshot s) {
    if (!epochs.isEmpty() && id <= epochs.lastKey()) {
      throw new AssertionError("commit returned epoch " + id + " after epoch " + epochs.lastKey());
    }
    epochs.put(id, s);
    current = id;
  }

  /** Joins the commits in flight (they must all succeed) and records their epochs. */
  void settlePending() {
    for (Map.Entry<CompletableFuture<Long>, Snapshot> e : pending.entrySet()) {
      committed(e.getKey().join(), e.getValue());
    }
    pending.clear();
  }

  /** Compares files, regions, objects and epochs with the model. */
  void check(String when) throws IOException {
    List<String> diff = new ArrayList<>();
    Map<String, byte[]> actual = new TreeMap<>();
    try (Stream<Path> s = Files.list(data)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        actual.put(p.getFileName().toString(), Files.readAllBytes(p));
      }
    }
    if (!actual.keySet().equals(files.keySet())) {
      diff.add("files " + actual.keySet() + ", expected " + files.keySet());
    }
    for (String name : files.keySet()) {
      byte[] a = actual.get(name);
      if (a != null && !Arrays.equals(a, files.get(name))) {
        diff.add("file " + name + ": " + describe(a, files.get(name)));
      }
    }
    for (Map.Entry<String, MemoryRegion> e : regions.entrySet()) {
      byte[] a = new byte[(int) e.getValue().size()];
      e.getValue().get(0, a, 0, a.length);
      if (!Arrays.equals(a, regionBytes.get(e.getKey()))) {
        diff.add("region " + e.getKey() + ": " + describe(a, regionBytes.get(e.getKey())));
      }
    }
    if (!Arrays.equals(blob.bytes, blobModel)) {
      diff.add("object blob: " + describe(blob.bytes, blobModel));
    }
    if (!list.values.equals(listModel)) {
      diff.add("object list: " + list.values.size() + " elements, expected " + listModel.size());
    }
    if (pending.isEmpty()) {
      if (cp.currentEpoch() != current) {
        diff.add("current epoch " + cp.currentEpoch() + ", expected " + current);
      }
      List<Long> ids = new ArrayList<>();
      for (Epoch e : cp.epochs()) {
        ids.add(e.id());
      }
      if (!ids.equals(new ArrayList<>(epochs.keySet()))) {
        diff.add("epochs " + ids + ", expected " + epochs.keySet());
      }
    }
    if (!diff.isEmpty()) {
      throw new AssertionError(when + ":\n  " + String.join("\n  ", diff) + "\n  " + whichEpoch(actual));
    }
  }

  /** Which committed epochs each part of the state matches: tells a mixed epoch at a glance. */
  private String whichEpoch(Map<String, byte[]> actual) {
    StringBuilder b = new StringBuilder("matching epochs:");
    List<Long> f = new ArrayList<>();
    Map<String, List<Long>> g = new LinkedHashMap<>();
    List<Long> o = new ArrayList<>();
    for (Map.Entry<Long, Snapshot> e : epochs.entrySet()) {
      Snapshot s = e.getValue();
      if (s.files().keySet().equals(actual.keySet())
          && s.files().keySet().stream().allMatch(k -> Arrays.equals(s.files().get(k), actual.get(k)))) {
        f.add(e.getKey());
      }
      for (Map.Entry<String, MemoryRegion> r : regions.entrySet()) {
        byte[] a = new byte[(int) r.getValue().size()];
        r.getValue().get(0, a, 0, a.length);
        byte[] at = s.regions().get(r.getKey());
        if (Arrays.equals(a, at == null ? new byte[a.length] : at)) {
          g.computeIfAbsent(r.getKey(), k -> new ArrayList<>()).add(e.getKey());
        }
      }
      if (Arrays.equals(blob.bytes, s.blob())) {
        o.add(e.getKey());
      }
    }
    return b.append(" files ").append(f).append(", regions ").append(g).append(", blob ").append(o).toString();
  }

  private static String describe(byte[] actual, byte[] expected) {
    int at = Arrays.mismatch(actual, expected);
    return actual.length + " bytes, expected " + expected.length + "; first difference at " + at
        + " (page " + at / 4096 + ")";
  }
}
