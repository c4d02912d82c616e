package dev.metamori.internal.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import dev.metamori.RepairResult;
import dev.metamori.RetentionPolicy;
import dev.metamori.testing.Blob;
import dev.metamori.testing.Seeds;
import dev.metamori.testing.StoreCopies;
import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The index is rebuilt exactly from the segments and the catalogue. Each trial grows a store
 * with a random history (files written, deleted and renamed; regions and objects named at
 * different epochs on different branches; labelled and empty commits; restores that make
 * branches; prunes that hide, archive and delete epochs; reopenings), keeps a pristine copy of
 * it, and then, by trial number, deletes {@code index.mv}, puts back an older copy of it
 * (taken at a random reopening of the history), or damages it at random (flipped bytes
 * anywhere or in its newest chunks, a truncation, a zeroed range). The damaged store is opened,
 * which rebuilds the index, and must then hold exactly what the pristine copy holds: every
 * epoch entry (pruned ones included: parents, times, labels, flags, sizes, segment nonces),
 * every name of a region or object, the tracked roots, the current and next epochs, and must
 * behave as the pristine copy does: the same epochs listed, and the same trees, regions and
 * objects after a restore to each listed epoch in turn.
 *
 * <p>Random damage the open cannot see (in the offsets of records or the state entries, which
 * are checked where they are used) may instead surface as a {@link CorruptStoreException}
 * naming {@code index.mv}; {@link Checkpointer#repair} must then rebuild it, after which the
 * same must hold. Nothing else is accepted: no other exception, and no difference.
 *
 * <p>Trials: {@code -Dmetamori.rebuild.trials} (default {@value #TRIALS}), from a fixed seed
 * ({@value #SEED}) unless {@code -Dmetamori.seed} says otherwise (see {@link Seeds}); a failure
 * names the trial, the seed and the command that replays it.
 */
class IndexRebuildProperties {
  static final long SEED = 5_021_776_310_448_219_347L;
  static final int TRIALS = 18;
  private static final String TEST = "IndexRebuildProperties.aLostStaleOrDamagedIndexIsRebuiltExactly";
  private static final List<String> FILES = List.of("a", "b", "c", "d/e");
  private static final Map<String, Long> REGIONS = Map.of("r", 3 * 4096L + 100, "s", 2 * 4096L);
  private static final List<String> OBJECTS = List.of("o", "p");

  @RegisterExtension final StoreExtension harness = StoreExtension.create().unopened();

  /** What the trials covered, printed at the end. */
  private static final Map<String, Integer> TALLY = new java.util.TreeMap<>();

  @org.junit.jupiter.api.AfterAll
  static void printTally() {
    System.out.println("IndexRebuildProperties: " + TALLY);
  }

  private static void count(String what, int n) {
    synchronized (TALLY) {
      TALLY.merge(what, n, Integer::sum);
    }
  }

  static Stream<Integer> trials() {
    return IntStream.range(0, Integer.getInteger("metamori.rebuild.trials", TRIALS)).boxed();
  }

  /** How the index is lost. */
  enum Loss {
    DELETED,
    OLDER_COPY,
    DAMAGED
  }

  @ParameterizedTest(name = "trial {0}")
  @MethodSource("trials")
  void aLostStaleOrDamagedIndexIsRebuiltExactly(int trial) {
    long seed = Seeds.seed(SEED);
    Loss loss = Loss.values()[trial % 3];
    Seeds.run(
        TEST + " trial " + trial + " (" + loss + ")",
        seed,
        () -> {
          try {
            trial(new Random(Seeds.trialSeed(seed, trial)), loss);
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        },
        "metamori.rebuild.trials=" + (trial + 1));
  }

  /** The regions and objects a history has named so far. */
  private final List<String> regions = new ArrayList<>();
  private final List<String> objects = new ArrayList<>();
  private byte[] olderIndex;
  private final List<String> history = new ArrayList<>();

  private void trial(Random random, Loss loss) throws IOException {
    Path store = harness.store();
    Path data = harness.root();
    grow(random);
    // the store's paths are in its records: the sound store is observed first at the same
    // paths, then put back as it was, and its index taken away
    Path keptStore = harness.dir().resolve("kept-store");
    Path keptData = harness.dir().resolve("kept-data");
    StoreCopies.copy(store, keptStore);
    StoreCopies.copy(data, keptData);
    IndexPicture expected = IndexPicture.of(store);
    Behaviour wanted = Behaviour.of(harness.builder(), data, this, expected.current);
    StoreCopies.replace(keptStore, store);
    StoreCopies.replace(keptData, data);
    String damage = lose(store, random, loss);
    String context = "history " + history + "; " + damage;

    Behaviour actual;
    boolean repaired = false;
    try {
      try (Checkpointer cp = harness.open()) {
        // the open rebuilt what it found lost, stale or damaged
      }
      assertEquals(expected, IndexPicture.of(store), context + ": the rebuilt index");
      actual = Behaviour.of(harness.builder(), data, this, expected.current);
    } catch (CorruptStoreException | AssertionError e) {
      if (loss != Loss.DAMAGED || (e instanceof CorruptStoreException c && !c.file().getFileName().toString().equals("index.mv"))) {
        throw new AssertionError(context + ": " + e, e);
      }
      // damage the open does not read, found where it is used: repaired on demand
      RepairResult result = Checkpointer.repair(store);
      repaired = true;
      assertEquals(expected, IndexPicture.of(store), context + ": the index after " + result);
      actual = Behaviour.of(harness.builder(), data, this, expected.current);
    }
    assertEquals(wanted, actual, context + (repaired ? " (repaired)" : "") + ": the store's behaviour");
    count("trials " + loss, 1);
    count("repaired after damage found in use", repaired ? 1 : 0);
    count("epochs", expected.epochs().size());
    count("epochs hidden by a prune", (int) expected.epochs().stream().filter(e -> !e.visible()).count());
    count("archives", (int) expected.epochs().stream().filter(e -> (e.flags() & EpochInfo.ARCHIVE) != 0).count());
    count("epochs without a segment", (int) expected.epochs().stream().filter(e -> e.segmentNonce() == 0).count());
    count("labelled epochs", (int) expected.epochs().stream().filter(e -> e.label() != null).count());
    count("namings", expected.names().size());
    count("restores compared", actual.restores().size());
  }

  /** A random history of 25 to 40 steps on the extension's store, ending with the store closed. */
  private void grow(Random random) throws IOException {
    int steps = 25 + random.nextInt(16);
    int copyAt = random.nextInt(steps);
    Checkpointer cp = harness.open();
    Map<String, MemoryRegion> open = new LinkedHashMap<>();
    Map<String, Blob> blobs = new LinkedHashMap<>();
    boolean changed = false;
    for (int step = 0; step < steps; step++) {
      int op = random.nextInt(20);
      if (step == copyAt) {
        op = 19;
      }
      if (op < 6) {
        writeFile(cp.fileSystem(), random);
        changed = true;
      } else if (op < 8) {
        removeOrRename(cp.fileSystem(), random);
        changed = true;
      } else if (op < 10) {
        String name = pick(random, regions, REGIONS.keySet().stream().sorted().toList());
        MemoryRegion r = open.computeIfAbsent(name, n -> region(harness.cp(), n));
        byte[] page = bytes(random, 1 + random.nextInt(4096));
        r.put(random.nextInt((int) (r.size() - page.length)), page, 0, page.length);
        changed = true;
        history.add("region " + name);
      } else if (op < 11) {
        String name = pick(random, objects, OBJECTS);
        Blob b = blobs.computeIfAbsent(name, n -> register(harness.cp(), n));
        b.bytes = bytes(random, random.nextInt(20_000));
        changed = true;
        history.add("object " + name);
      } else if (op < 15 || (op == 15 && !changed)) {
        String label = random.nextInt(3) == 0 ? "L" + step : null;
        long id = label == null ? cp.commit() : cp.commit(label);
        history.add((changed ? "commit " : "empty commit ") + id + (label == null ? "" : " " + label));
        changed = false;
      } else if (op < 17) {
        List<Epoch> epochs = cp.epochs();
        long target = epochs.get(random.nextInt(epochs.size())).id();
        cp.restore(target);
        changed = false;
        history.add("restore " + target);
      } else if (op < 19) {
        prune(cp, random);
        changed = false;
      } else {
        cp.close();
        if (op == 19 && olderIndex == null) {
          olderIndex = Files.readAllBytes(harness.store().resolve("index.mv"));
          history.add("reopen (index copied)");
        } else {
          history.add("reopen");
        }
        cp = harness.open();
        open.clear();
        blobs.clear();
        changed = false;
      }
    }
    cp.commit();
    history.add("commit");
    cp.close();
  }

  private void prune(Checkpointer cp, Random random) throws IOException {
    List<Epoch> epochs = cp.epochs();
    RetentionPolicy policy =
        switch (random.nextInt(3)) {
          case 0 -> RetentionPolicy.keepLast(2 + random.nextInt(4));
          case 1 -> RetentionPolicy.keepLabelled().or(RetentionPolicy.keepLast(1 + random.nextInt(2)));
          default -> RetentionPolicy.keepAll().dropBranch(epochs.get(random.nextInt(epochs.size())).id());
        };
    try {
      history.add("prune " + policy + ": removed " + cp.prune(policy).removedEpochs());
    } catch (IllegalArgumentException currentOnTheBranch) {
      history.add("prune " + policy + " refused");
    }
  }

  private static String pick(Random random, List<String> named, List<String> all) {
    if (named.isEmpty() || (named.size() < all.size() && random.nextInt(4) == 0)) {
      String name = all.get(named.size());
      named.add(name);
      return name;
    }
    return named.get(random.nextInt(named.size()));
  }

  private void writeFile(FileSystem fs, Random random) throws IOException {
    String name = FILES.get(random.nextInt(FILES.size()));
    Path file = fs.getPath(harness.root().resolve(name).toString());
    Files.createDirectories(file.getParent());
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(bytes(random, 1 + random.nextInt(6000))), random.nextInt(12_000));
    }
    history.add("write " + name);
  }

  private void removeOrRename(FileSystem fs, Random random) throws IOException {
    Path from = fs.getPath(harness.root().resolve(FILES.get(random.nextInt(FILES.size()))).toString());
    Path to = fs.getPath(harness.root().resolve(FILES.get(random.nextInt(FILES.size()))).toString());
    try {
      if (random.nextBoolean()) {
        Files.delete(from);
        history.add("delete " + from.getFileName());
      } else {
        Files.createDirectories(to.getParent());
        Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        history.add("rename " + from.getFileName() + " " + to.getFileName());
      }
    } catch (IOException notThere) {
      // the file is not there in this epoch
    }
  }

  private static MemoryRegion region(Checkpointer cp, String name) {
    try {
      return cp.region(name, REGIONS.get(name));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Blob register(Checkpointer cp, String name) {
    try {
      Blob b = new Blob();
      cp.register(name, b);
      return b;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (random.nextInt(3) == 0 ? random.nextInt() : i / 11);
    }
    return b;
  }

  /** Takes the index away as {@code loss} says; returns what was done. */
  private String lose(Path store, Random random, Loss loss) throws IOException {
    Path index = store.resolve("index.mv");
    switch (loss) {
      case DELETED -> {
        Files.delete(index);
        return "index.mv deleted";
      }
      case OLDER_COPY -> {
        Files.write(index, olderIndex);
        return "index.mv replaced by the copy taken at the reopening";
      }
      default -> {
        byte[] bytes = Files.readAllBytes(index);
        StringBuilder done = new StringBuilder("index.mv of " + bytes.length + " bytes");
        switch (random.nextInt(4)) {
          case 0 -> {
            for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
              int at = random.nextInt(bytes.length);
              bytes[at] ^= (byte) (1 + random.nextInt(255));
              done.append(", flipped at ").append(at);
            }
          }
          case 1 -> {
            int at = Math.max(0, bytes.length - 1 - random.nextInt(8192));
            bytes[at] ^= (byte) (1 + random.nextInt(255));
            done.append(", flipped at ").append(at).append(" (in its newest chunks)");
          }
          case 2 -> {
            int length = random.nextInt(bytes.length);
            bytes = Arrays.copyOf(bytes, length);
            done.append(", truncated to ").append(length);
          }
          default -> {
            int at = random.nextInt(bytes.length);
            Arrays.fill(bytes, at, Math.min(bytes.length, at + 4096), (byte) 0);
            done.append(", zeroed from ").append(at);
          }
        }
        Files.write(index, bytes);
        return done.toString();
      }
    }
  }

  /** What the index holds besides the positions of records and state entries. */
  record IndexPicture(
      List<EpochInfo> epochs,
      Map<String, NameEntry> names,
      List<String> roots,
      long current,
      long next,
      long nextItem,
      long root,
      long rollbackTarget,
      List<String> tombstones) {

    static IndexPicture of(Path store) throws IOException {
      try (MvStoreIndex index = new MvStoreIndex(store.resolve("index.mv"))) {
        return new IndexPicture(
            index.epochs(),
            index.names(),
            index.roots(),
            index.meta(JournalStore.META_CURRENT, -1),
            index.meta(JournalStore.META_NEXT, -1),
            index.meta(JournalStore.META_NEXT_ITEM, 0),
            index.meta(JournalStore.META_ROOT, -1),
            index.meta(JournalStore.META_ROLLBACK_TARGET, -1),
            index.metaKeys(JournalStore.META_PRUNED));
      }
    }
  }

  /** What a store holds at one epoch: its tree, and the bytes of each region and object named. */
  record Observation(long epoch, TreeSnapshot tree, Map<String, String> volatiles) {}

  /**
   * What a store shows through the API: the epochs listed and the current one, then, after a
   * restore to each listed epoch in turn (from a fresh open at {@code current}), the trees, and
   * the bytes of every region and object the history named.
   */
  record Behaviour(List<Epoch> epochs, long current, List<Observation> restores) {
    static Behaviour of(Checkpointer.Builder builder, Path data, IndexRebuildProperties t, long current)
        throws IOException {
      try (Checkpointer cp = builder.open()) {
        if (cp.currentEpoch() != current) {
          cp.restore(current); // the same start as the pristine copy's, after an attempt cut short
        }
      }
      try (Checkpointer cp = builder.open()) {
        Map<String, MemoryRegion> regions = new LinkedHashMap<>();
        for (String r : t.regions) {
          regions.put(r, cp.region(r, REGIONS.get(r)));
        }
        Map<String, Blob> blobs = new LinkedHashMap<>();
        for (String o : t.objects) {
          blobs.put(o, register(cp, o));
        }
        List<Epoch> epochs = cp.epochs();
        long at = cp.currentEpoch();
        List<Observation> restores = new ArrayList<>();
        for (Epoch e : epochs) {
          cp.restore(e.id());
          Map<String, String> volatiles = new LinkedHashMap<>();
          regions.forEach((name, r) -> volatiles.put("region " + name, TreeSnapshot.sha256Hex(contents(r))));
          blobs.forEach((name, b) -> volatiles.put("object " + name, TreeSnapshot.sha256Hex(b.bytes)));
          restores.add(new Observation(e.id(), TreeSnapshot.exact(data), volatiles));
        }
        return new Behaviour(epochs, at, restores);
      }
    }
  }

  private static byte[] contents(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return all;
  }
}
