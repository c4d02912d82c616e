package dev.metamori;

import dev.metamori.testing.Blob;
import dev.metamori.testing.Seeds;
import dev.metamori.testing.StoreCopies;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import net.jpountz.xxhash.XXHashFactory;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Damaged stores: a random byte flip or truncation in any store file (segment headers, frame
 * headers, bodies, checksums, commit records, {@code index.mv}, the catalogue, {@code
 * undo.progress}, the {@code witness} of outside changes), an
 * unknown format version, or a flip, truncation or deletion of a file in the trash (a file or
 * directory an epoch removed, or a creation the undo of an epoch kept; the uncommitted epoch's
 * trash, which carries no checksums, is left alone). The stores hold a memory region and a
 * registered object besides the files, so state records (pages, chunks, manifests) are damaged
 * too. Opening (and asking for the region and the object), restoring and reopening must then
 * give exactly the committed state of files, region and object (a damaged {@code index.mv} is
 * rebuilt, and a damaged catalogue rewritten, where the open finds them), or fail with {@link
 * CorruptStoreException} naming the damaged file (or, for an unknown version, a {@link
 * CheckpointException} naming both versions); never wrong trees, never another exception. {@link Checkpointer#verify()} must report damage in a committed
 * segment and in the trash (naming the trash entry).
 *
 * <p>The default run is fixed: {@code metamori.corruption.trials} trials (default {@value
 * #TRIALS}) drawn from seed {@value #SEED}, no time limit; it must damage every kind of store
 * file in every way that applies to it (committed and working segments, redo files, the
 * catalogue, {@code index.mv}: flips, truncations, unknown versions; {@code undo.progress} and
 * the {@code witness}: flips, truncations; the trash: flips, truncations, deletions). Trial {@code i} depends only on the seed and {@code
 * i}, not on how many trials run. It prints the count of each outcome for each kind of store
 * file, and of each damage kind. A failing trial is reported with its number, the damage and
 * the command that replays it ({@code -Dmetamori.seed=<seed>
 * -Dmetamori.corruption.trials=<n>}, see {@link Seeds}); {@code
 * -Dmetamori.corruption.verbose=true} prints every trial's damage and outcome.
 *
 * <p>The stores are built with a fixed commit clock and fixed times on the first files, and
 * damage places are scaled to the file's length, so a seed damages the same places of the same
 * files every run. The stores still hold a few times the test cannot fix (the times the file
 * system gives files written during the build, the times MVStore puts in {@code index.mv}): a
 * few flips, mostly in {@code index.mv}, may be refused in one run and read back exactly in
 * another (both are allowed outcomes).
 *
 * <p>{@code -Dmetamori.seed=random} draws a fresh seed; {@code -Dmetamori.corruption.seconds=S}
 * (default 0: none) stops the trials after S seconds. The {@code explore} Maven profile sets
 * both, with a large trial count: {@code mvn -Pexplore -pl core test -Dtest=CorruptionProperties}.
 */
class CorruptionProperties {
  /** The default seed of the trials; {@code -Dmetamori.seed} overrides it. */
  static final long SEED = 7880931241643235210L;
  /** Trials of the default run. */
  static final int TRIALS = 1200;
  /** Fewer trials than this need not damage every kind of file in every way. */
  static final int COVERAGE_TRIALS = 500;
  private static final int MAX_TRIALS = Integer.getInteger("metamori.corruption.trials", TRIALS);
  /** Whether to print every trial's damage and outcome ({@code -Dmetamori.corruption.verbose=true}). */
  private static final boolean VERBOSE = Boolean.getBoolean("metamori.corruption.verbose");
  /** A time box for exploring (0: none, the default). */
  private static final long SECONDS = Long.getLong("metamori.corruption.seconds", 0);

  /** Every kind of damage a run of at least {@link #COVERAGE_TRIALS} trials must include. */
  static final Set<String> DAMAGE_KINDS =
      Set.of(
          "committed segment flip", "committed segment truncate", "committed segment version",
          "working segment flip", "working segment truncate", "working segment version",
          "redo file flip", "redo file truncate", "redo file version",
          "index.mv flip", "index.mv truncate", "index.mv version",
          "catalogue flip", "catalogue truncate", "catalogue version",
          "undo.progress flip", "undo.progress truncate",
          "witness flip", "witness truncate",
          "trash flip", "trash truncate", "trash delete");

  @TempDir static Path tmp;

  /** One store built once, copied for every trial. */
  static final class Base {
    final String name;
    final Path pristineStore;
    final Path pristineTree;
    final Map<Long, TreeSnapshot> snapshots = new TreeMap<>();
    /** Bytes of region "r" and of object "o" at each epoch. */
    final Map<Long, byte[]> region = new TreeMap<>();
    final Map<Long, byte[]> object = new TreeMap<>();
    long current;
    /** The segment of the uncommitted work left by close(), or null. */
    String workingSegment;
    /** The trash directory of the uncommitted work ({@code trash/<epoch>}), or null. */
    String workingTrash;

    Base(String name) {
      this.name = name;
      this.pristineStore = tmp.resolve("pristine-" + name + "-store");
      this.pristineTree = tmp.resolve("pristine-" + name + "-data");
    }
  }

  enum Outcome {
    EXACT,
    REFUSED_AT_OPEN,
    REFUSED_AT_ROLLBACK,
    REFUSED_AT_CLOSE,
    REFUSED_AT_REOPEN,
    VERSION_REFUSED,
    TORN_TAIL_ACCEPTED,
    FAILED
  }

  static final int REGION_SIZE = 3 * 4096 + 100;


  private static byte[] contents(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return all;
  }

  /** Changes a few places of the region and the object's bytes. */
  private static void changeVolatile(MemoryRegion r, Blob blob, Random random) {
    for (int i = 0; i < 1 + random.nextInt(3); i++) {
      byte[] b = bytes(random, 1 + random.nextInt(600));
      r.put(random.nextInt(REGION_SIZE - b.length), b, 0, b.length);
    }
    if (random.nextBoolean() || blob.bytes.length == 0) {
      byte[] grown = java.util.Arrays.copyOf(blob.bytes, blob.bytes.length + random.nextInt(40_000));
      byte[] tail = bytes(random, grown.length - blob.bytes.length);
      System.arraycopy(tail, 0, grown, blob.bytes.length, tail.length);
      blob.bytes = grown;
    }
    if (blob.bytes.length > 0) {
      blob.bytes = blob.bytes.clone();
      blob.bytes[random.nextInt(blob.bytes.length)] ^= 1;
    }
  }

  static Path store;
  static Path data;
  static final List<Base> bases = new ArrayList<>();
  static final Map<Outcome, Integer> outcomes = new EnumMap<>(Outcome.class);
  static final Map<String, Integer> byFile = new TreeMap<>();
  /** Outcomes by kind of store file damaged. */
  static final Map<String, Map<Outcome, Integer>> outcomesByFile = new TreeMap<>();
  static int verifyReported;
  static int verifyChecked;
  static int verifyReportedTrash;
  static int verifyCheckedTrash;
  static final List<String> failures = new ArrayList<>();
  static long seed;
  static int trialsRun;
  static int firstFailedTrial = -1;

  @BeforeAll
  static void buildStores() throws IOException {
    store = tmp.resolve("store");
    data = tmp.resolve("data");
    bases.add(build("uncommitted-512", 512, true, 11));
    bases.add(build("clean-4096", 4096, false, 12));
    bases.add(build("uncommitted-1024", 1024, true, 13));
  }

  private static Base build(String name, int blockSize, boolean leaveUncommitted, long seed)
      throws IOException {
    Base base = new Base(name);
    Files.createDirectories(tmp.resolve("empty"));
    StoreCopies.replace(tmp.resolve("empty"), data);
    deleteTree(store);
    Random random = new Random(seed);
    Files.write(data.resolve("big"), bytes(random, 6 * blockSize + 100));
    Files.write(data.resolve("small"), bytes(random, 10));
    Files.createDirectories(data.resolve("dir/sub"));
    Files.write(data.resolve("dir/sub/leaf"), bytes(random, 3 * blockSize));
    Files.createSymbolicLink(data.resolve("link"), data.resolve("small").getFileName());
    // a time the copies can keep exactly (links' times are set to the microsecond only)
    Files.getFileAttributeView(data.resolve("link"), java.nio.file.attribute.BasicFileAttributeView.class, java.nio.file.LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.fromMillis(1_500_000_000_000L), null, null);
    // fixed times where the test can set them, so that the stores vary little from run to run
    for (String p : List.of("big", "small", "dir/sub/leaf", "dir/sub", "dir")) {
      Files.setLastModifiedTime(data.resolve(p), FileTime.fromMillis(1_400_000_000_000L));
    }
    Clock clock = Clock.fixed(Instant.ofEpochMilli(1_600_000_000_000L + seed), ZoneOffset.UTC);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).blockSize(blockSize).clock(clock).open()) {
      MemoryRegion region = cp.region("r", REGION_SIZE);
      Blob blob = new Blob();
      cp.register("o", blob);
      base.snapshots.put(0L, TreeSnapshot.exact(data));
      base.region.put(0L, contents(region));
      base.object.put(0L, blob.bytes);
      FileSystem fs = cp.fileSystem();
      Random fixed = new Random(seed + 1000);
      int epochsToCommit = 5;
      for (int e = 1; e <= epochsToCommit; e++) {
        if (e == 1) {
          // a directory with files, moved out of the tree in epoch 4: a trashed directory
          Files.createDirectories(fs.getPath(data.resolve("gone/inner").toString()));
          Files.write(fs.getPath(data.resolve("gone/a").toString()), bytes(fixed, 2 * blockSize + 7));
          Files.write(fs.getPath(data.resolve("gone/inner/b").toString()), bytes(fixed, 300));
        } else if (e == 3) {
          // created in the epoch that is rolled back: its undo keeps it (trash/3/c...)
          Files.write(fs.getPath(data.resolve("made-in-3").toString()), bytes(fixed, blockSize + 1));
        } else if (e == 4) {
          Path outside = tmp.resolve("outside-" + name);
          deleteTree(outside);
          Files.move(fs.getPath(data.resolve("gone").toString()), fs.getPath(outside.toString()));
        }
        for (int op = 0; op < 6 + random.nextInt(6); op++) {
          operate(fs, random, blockSize);
        }
        if (e != 2) { // epoch 2 leaves regions and objects as they were
          changeVolatile(region, blob, random);
        }
        long id = cp.commit();
        base.snapshots.put(id, TreeSnapshot.exact(data));
        base.region.put(id, contents(region));
        base.object.put(id, blob.bytes);
        if (e == 3) {
          // a rollback in the history: fills undo.progress, leaves epoch 3 on a branch with
          // its redo file and the creations its undo kept (a restore to 3 redoes it)
          cp.rollback(id - 1);
        }
      }
      base.current = cp.currentEpoch();
      if (leaveUncommitted) {
        changeVolatile(region, blob, random);
        for (int op = 0; op < 8; op++) {
          operate(fs, random, blockSize);
        }
        base.workingSegment = String.format("%020d.seg", base.current + 1);
        base.workingTrash = "trash/" + (base.current + 1);
      }
    }
    if (leaveUncommitted && !Files.exists(store.resolve("segments").resolve(base.workingSegment))) {
      throw new AssertionError("the uncommitted work left no segment");
    }
    StoreCopies.copy(store, base.pristineStore, true);
    // moved, not copied: the pristine tree keeps the inodes the witness names, so a trial's copy
    // can never be given one of them again (a copy on a reused inode number with a new change
    // time would be an outside change, as for a real tree)
    Files.move(data, base.pristineTree);
    return base;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      StoreCopies.replace(tmp.resolve("empty"), dir);
      Files.delete(dir);
    }
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (random.nextInt(4) == 0 ? random.nextInt() : i / 7);
    }
    return b;
  }

  private static final String[] NAMES = {"big", "small", "new1", "new2", "dir/sub/leaf", "dir/x", "d2/y"};
  private static final String[] DIRS = {"dir", "dir/sub", "d2", "d3"};

  /** One random change through the journaling file system; failures (no such file...) are fine. */
  private static void operate(FileSystem fs, Random random, int blockSize) throws IOException {
    Path file = fs.getPath(data.resolve(NAMES[random.nextInt(NAMES.length)]).toString());
    Path dir = fs.getPath(data.resolve(DIRS[random.nextInt(DIRS.length)]).toString());
    try {
      switch (random.nextInt(10)) {
        case 0, 1 -> {
          try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.CREATE)) {
            long at = random.nextInt(8 * blockSize);
            c.write(ByteBuffer.wrap(bytes(random, 1 + random.nextInt(2 * blockSize))), at);
          }
        }
        case 2 -> Files.write(file, bytes(random, 1 + random.nextInt(blockSize)), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        case 3 -> {
          try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.truncate(random.nextInt(4 * blockSize));
          }
        }
        case 4 -> Files.write(file, bytes(random, random.nextInt(3 * blockSize)));
        case 5 -> Files.delete(file);
        case 6 -> Files.move(
            file,
            fs.getPath(data.resolve(NAMES[random.nextInt(NAMES.length)]).toString()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        case 7 -> {
          if (random.nextBoolean()) {
            Files.createDirectories(dir);
          } else {
            Files.delete(dir);
          }
        }
        case 8 -> Files.move(dir, fs.getPath(data.resolve(DIRS[random.nextInt(DIRS.length)]).toString()));
        default -> {
          if (random.nextBoolean()) {
            Files.setLastModifiedTime(file, FileTime.fromMillis(1_000_000_000L * (1 + random.nextInt(1000))));
          } else {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(random.nextBoolean() ? "rw-r-----" : "rwxr-xr-x"));
          }
        }
      }
    } catch (IOException expected) {
      // the operation was not possible in the tree's current shape
    }
  }

  /** What a trial did to the store. */
  record Damage(String file, String kind, long offset, int mask, long length, int version) {
    /** Whether the damage is in the trash. */
    boolean inTrash() {
      return file.startsWith("trash/");
    }

    /** The trash entry ({@code trash/<epoch>/<name>}) that holds the damaged file. */
    Path trashEntry() {
      Path p = Path.of(file);
      return p.subpath(0, Math.min(3, p.getNameCount()));
    }

    @Override
    public String toString() {
      switch (kind) {
        case "flip":
          return "flip " + file + " at " + offset + " with mask 0x" + Integer.toHexString(mask);
        case "truncate":
          return "truncate " + file + " to " + length + " bytes";
        case "delete":
          return "delete " + file;
        default:
          return "set the format version of " + file + " to " + version;
      }
    }
  }

  @Test
  void damagedStoresGiveTheCommittedStateOrAreRefused() throws IOException {
    seed = Seeds.seed(SEED);
    String test = "CorruptionProperties.damagedStoresGiveTheCommittedStateOrAreRefused";
    System.out.println(
        test + ": seed " + seed + ", at most " + MAX_TRIALS + " trials"
            + (SECONDS > 0 ? " or " + SECONDS + " s" : ""));
    long deadline = SECONDS > 0 ? System.nanoTime() + SECONDS * 1_000_000_000L : Long.MAX_VALUE;
    for (int i = 0; i < MAX_TRIALS && (SECONDS <= 0 || System.nanoTime() < deadline); i++) {
      Random random = new Random(Seeds.trialSeed(seed, i));
      int where = random.nextInt(1_000_001);
      int placement = random.nextInt(1_000_001);
      int offset = random.nextInt(Integer.MAX_VALUE);
      int other = random.nextInt(Integer.MAX_VALUE);
      trialsRun = i + 1;
      try {
        trial(i, where, placement, offset, other);
      } catch (IOException | RuntimeException e) {
        throw new AssertionError(
            Seeds.failed(test, seed, "CorruptionProperties", "metamori.corruption.trials=" + (i + 1))
                + "\ntrial " + i + " could not be set up: " + stackOf(e), e);
      }
    }
    if (!failures.isEmpty()) {
      String head =
          Seeds.failed(test, seed, "CorruptionProperties", "metamori.corruption.trials=" + (firstFailedTrial + 1));
      System.out.println(head);
      throw new AssertionError(
          head + "\n" + failures.size()
              + " damaged stores gave wrong trees or unexpected exceptions; the first:\n\n"
              + String.join("\n\n", failures.subList(0, Math.min(8, failures.size()))));
    }
    if (trialsRun >= COVERAGE_TRIALS) {
      Set<String> missed = new TreeSet<>(DAMAGE_KINDS);
      missed.removeAll(byFile.keySet());
      if (!missed.isEmpty()) {
        throw new AssertionError(
            Seeds.failed(test, seed, "CorruptionProperties", "metamori.corruption.trials=" + trialsRun)
                + "\n" + trialsRun + " trials damaged no " + missed + "; damaged " + byFile);
      }
    }
  }

  @AfterAll
  static void printCounts() {
    int total = outcomes.values().stream().mapToInt(Integer::intValue).sum();
    System.out.println(
        "Corruption trials (seed "
            + seed
            + "): "
            + total
            + " "
            + outcomes
            + "; by file "
            + byFile
            + "; verify reported "
            + verifyReported
            + " of "
            + verifyChecked
            + " damaged committed segments and "
            + verifyReportedTrash
            + " of "
            + verifyCheckedTrash
            + " damaged trash entries");
    outcomesByFile.forEach((file, counts) -> System.out.println("  " + file + ": " + counts));
    failures.stream().map(f -> f.lines().findFirst().orElse(f)).sorted().forEach(f -> System.out.println("  failed: " + f));
  }

  private static List<Long> frameStarts(byte[] segment) {
    List<Long> starts = new ArrayList<>();
    int pos = 40;
    while (pos + 4 <= segment.length) {
      int length = ByteBuffer.wrap(segment).getInt(pos);
      if (length < 20 || pos + (long) length > segment.length) {
        break;
      }
      starts.add((long) pos);
      pos += length;
    }
    starts.add((long) pos); // the end
    return starts;
  }

  private static void trial(int number, int where, int placement, int offsetChoice, int other) throws IOException {
    Base base = bases.get(where % bases.size());
    StoreCopies.replace(base.pristineStore, store, true);
    StoreCopies.replace(base.pristineTree, data);
    Damage damage = damage(base, where / bases.size(), placement, offsetChoice, other);
    if (damage == null) {
      return;
    }
    apply(damage);
    Outcome outcome;
    String context = "trial " + number + ", store " + base.name + ": " + damage;
    try {
      outcome = check(base, damage, other, context);
    } catch (AssertionError e) {
      outcome = Outcome.FAILED;
      if (firstFailedTrial < 0) {
        firstFailedTrial = number;
      }
      failures.add(e.getMessage() != null ? e.getMessage() : context + ": " + stackOf(e));
    }
    outcomes.merge(outcome, 1, Integer::sum);
    if (VERBOSE) {
      System.out.println("  trial " + number + ", store " + base.name + ": " + damage + ": " + outcome);
    }
    String kindOfFile =
        damage.file.equals("index.mv") || damage.file.equals("undo.progress") || damage.file.equals("witness")
            ? damage.file
            : damage.file.equals(CATALOGUE)
                ? "catalogue"
                : damage.inTrash()
                    ? "trash"
                    : damage.file.equals(base.workingSegment)
                        ? "working segment"
                        : damage.file.endsWith(".redo") ? "redo file" : "committed segment";
    byFile.merge(kindOfFile + " " + damage.kind, 1, Integer::sum);
    outcomesByFile.computeIfAbsent(kindOfFile, k -> new EnumMap<>(Outcome.class)).merge(outcome, 1, Integer::sum);
  }

  /**
   * {@code choice} (in [0, Integer.MAX_VALUE)) scaled to [0, n): a store a few bytes longer or
   * shorter (file times differ from run to run) moves the chosen place by a few bytes only.
   */
  private static long scaled(int choice, long n) {
    return n <= 0 ? 0 : Math.min(n - 1, (long) ((double) choice / Integer.MAX_VALUE * n));
  }

  private static Damage damage(Base base, int where, int placement, int offsetChoice, int other)
      throws IOException {
    List<String> segments;
    try (Stream<Path> s = Files.list(store.resolve("segments"))) {
      segments = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    int category = where % 13;
    String file;
    if (category == 12) {
      file = "witness";
    } else if (category < 5) {
      file = segments.get((where / 12) % segments.size());
    } else if (category < 7) {
      file = "index.mv";
    } else if (category < 8) {
      file = CATALOGUE;
    } else if (category < 10) {
      file = "undo.progress";
    } else {
      List<String> trash = trashFiles(base);
      if (trash.isEmpty()) {
        throw new AssertionError("store " + base.name + " has nothing in its trash to damage");
      }
      file = trash.get((where / 12) % trash.size());
    }
    Path path = pathOf(file);
    int mask = 1 + (other % 255);
    int kind = placement % 9;
    if (file.startsWith("trash/")) {
      boolean contents = Files.isRegularFile(path, java.nio.file.LinkOption.NOFOLLOW_LINKS) && Files.size(path) > 0;
      long size = contents ? Files.size(path) : 0;
      if (!contents || kind >= 6) {
        return new Damage(file, "delete", -1, 0, -1, 0);
      }
      return kind < 4
          ? flip(file, scaled(offsetChoice, size), mask)
          : new Damage(file, "truncate", -1, 0, scaled(offsetChoice, size), 0);
    }
    long size = Files.size(path);
    if (size == 0) {
      return null;
    }
    if (segmentLike(file)) {
      byte[] bytes = Files.readAllBytes(path);
      List<Long> starts = frameStarts(bytes);
      int frames = starts.size() - 1;
      long end = starts.get(frames);
      int pick = (int) scaled(offsetChoice, Math.max(1, frames));
      long start = frames == 0 ? 40 : starts.get(pick);
      long frameEnd = frames == 0 ? end : starts.get(pick + 1);
      long lastStart = frames == 0 ? 40 : starts.get(frames - 1);
      switch (kind) {
        case 0:
          return flip(file, scaled(offsetChoice, size), mask);
        case 1:
          return flip(file, offsetChoice % 40, mask);
        case 2:
          return flip(file, start + offsetChoice % 16, mask);
        case 3:
          return flip(file, frameEnd - 1 - offsetChoice % 4, mask);
        case 4:
          return flip(file, lastStart + scaled(offsetChoice, end - lastStart), mask);
        case 5:
          return flip(file, start + offsetChoice % 4, mask);
        case 6:
          return new Damage(file, "truncate", -1, 0, scaled(offsetChoice, size), 0);
        case 7:
          return new Damage(file, "truncate", -1, 0, offsetChoice % 2 == 0 ? start : lastStart + scaled(offsetChoice, end - lastStart), 0);
        default:
          return new Damage(file, "version", -1, 0, -1, 3 + other % 1000); // 1 and 2 are read
      }
    }
    if (file.equals("index.mv")) {
      switch (kind) {
        case 0: case 1: case 2:
          return flip(file, scaled(offsetChoice, size), mask);
        case 3: case 4: case 5:
          return flip(file, Math.max(0, size - 1 - offsetChoice % 8192), mask);
        case 6: case 7:
          return new Damage(file, "truncate", -1, 0, scaled(offsetChoice, size), 0);
        default:
          return new Damage(file, "version", -1, 0, -1, 2 + other % 1000);
      }
    }
    return kind < 6
        ? flip(file, scaled(offsetChoice, size), mask)
        : new Damage(file, "truncate", -1, 0, scaled(offsetChoice, size), 0);
  }

  /**
   * The files, links and empty directories in the trash (entries of committed epochs and what
   * they hold), as paths relative to the store, in order; the uncommitted epoch's are left out.
   */
  private static List<String> trashFiles(Base base) throws IOException {
    Path trash = store.resolve("trash");
    try (Stream<Path> s = Files.walk(trash)) {
      return s.filter(p -> p.getNameCount() - trash.getNameCount() >= 2)
          .filter(p -> {
            try {
              return !Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) || isEmptyDirectory(p);
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          })
          .map(p -> "trash/" + trash.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
          .filter(f -> base.workingTrash == null || !(f + "/").startsWith(base.workingTrash + "/"))
          .sorted()
          .toList();
    }
  }

  private static boolean isEmptyDirectory(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.findAny().isEmpty();
    }
  }

  private static Damage flip(String file, long offset, int mask) {
    return new Damage(file, "flip", offset, mask, -1, 0);
  }

  private static Path pathOf(String file) {
    return segmentLike(file) && !file.equals(CATALOGUE) ? store.resolve("segments").resolve(file) : store.resolve(file);
  }

  /** The store's catalogue, beside index.mv. */
  static final String CATALOGUE = "catalogue.seg";

  /** Segments, redo files and the catalogue share the header and frame format. */
  private static boolean segmentLike(String file) {
    return file.endsWith(".seg") || file.endsWith(".redo");
  }

  private static void apply(Damage damage) throws IOException {
    Path path = pathOf(damage.file);
    switch (damage.kind) {
      case "flip" -> {
        try (FileChannel c = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
          ByteBuffer b = ByteBuffer.allocate(1);
          c.read(b, damage.offset);
          b.put(0, (byte) (b.get(0) ^ damage.mask));
          c.write(b.flip(), damage.offset);
        }
      }
      case "truncate" -> {
        try (FileChannel c = FileChannel.open(path, StandardOpenOption.WRITE)) {
          c.truncate(damage.length);
        }
      }
      case "delete" -> Files.delete(path);
      default -> {
        if (segmentLike(damage.file)) {
          try (FileChannel c = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(40);
            c.read(header, 0);
            header.putInt(8, damage.version);
            header.putInt(
                36,
                XXHashFactory.fastestInstance().hash32().hash(header.array(), 0, 36, 0x4d544d52));
            c.write(header.flip(), 0);
          }
        } else {
          MVStore mv = new MVStore.Builder().fileName(path.toString()).open();
          try {
            MVMap<String, Long> meta =
                mv.openMap(
                    "meta",
                    new MVMap.Builder<String, Long>()
                        .keyType(StringDataType.INSTANCE)
                        .valueType(LongDataType.INSTANCE));
            meta.put("format", (long) damage.version);
            mv.commit();
          } finally {
            mv.close();
          }
        }
      }
    }
  }

  /** Whether recovery may legitimately read the damage as a torn final append. */
  private static boolean mayLookTorn(Base base, Damage damage) throws IOException {
    if (!damage.file.equals(base.workingSegment)) {
      return false;
    }
    if (damage.kind.equals("truncate")) {
      return true; // a crash cuts appends short; the lost records cannot be told from unwritten ones
    }
    if (!damage.kind.equals("flip")) {
      return false;
    }
    byte[] pristine = Files.readAllBytes(base.pristineStore.resolve("segments").resolve(damage.file));
    List<Long> starts = frameStarts(pristine);
    return starts.size() >= 2 && damage.offset >= starts.get(starts.size() - 2);
  }

  private static boolean names(CorruptStoreException e, Damage damage) {
    if (e.file() == null) {
      return false;
    }
    return damage.inTrash()
        ? e.file().endsWith(damage.trashEntry())
        : e.file().getFileName().toString().equals(damage.file);
  }

  private static void expectNamed(CheckpointException e, Damage damage, String context, String step) {
    if (damage.kind.equals("version")) {
      String m = String.valueOf(e.getMessage());
      // segments, redo files and the catalogue are read at versions 1 and 2, the index at format 5
      String supported = segmentLike(damage.file) ? "supports 1 to 2)" : "(format 5)";
      if (!m.contains("version " + damage.version) || !m.contains(supported)) {
        throw new AssertionError(context + ": " + step + " refused with a message that does not name both versions: " + m, e);
      }
      return;
    }
    if (!(e instanceof CorruptStoreException c) || !names(c, damage)) {
      throw new AssertionError(
          context + ": " + step + " failed with " + e + " which does not name " + damage.file, e);
    }
  }

  private static Outcome check(Base base, Damage damage, int choice, String context) throws IOException {
    boolean torn = mayLookTorn(base, damage);
    Checkpointer cp;
    try {
      cp = Checkpointer.builder(store).track(data).open();
    } catch (CheckpointException e) {
      expectNamed(e, damage, context, "open");
      refusedBecause(e);
      return damage.kind.equals("version") ? Outcome.VERSION_REFUSED : Outcome.REFUSED_AT_OPEN;
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(context + ": open failed with " + stackOf(e));
    }
    long target;
    try {
      MemoryRegion region;
      Blob blob = new Blob();
      try {
        region = cp.region("r", REGION_SIZE);
        cp.register("o", blob);
      } catch (CheckpointException e) {
        cp.close();
        expectNamed(e, damage, context, "loading the region and the object");
        refusedBecause(e);
        return Outcome.REFUSED_AT_OPEN;
      } catch (IOException | RuntimeException | Error e) {
        cp.close();
        throw new AssertionError(context + ": loading the region and the object failed with " + stackOf(e));
      }
      try {
        // (an index that lost its last commit, as when MVStore falls back to the chunk before a
        // damaged newest one, is brought up to it from the segments: no commit may be lost)
        if (cp.currentEpoch() != base.current) {
          throw new AssertionError(
              context + ": opened at epoch " + cp.currentEpoch() + ", not " + base.current);
        }
        if (!torn) {
          base.snapshots.get(base.current).assertSameAs(TreeSnapshot.exact(data), context + ", after open");
        }
        assertVolatile(base, base.current, region, blob, context + ", after open");
        checkVerify(cp, base, damage, context);
        List<Long> ids = new ArrayList<>(base.snapshots.keySet());
        target = ids.get(choice % ids.size());
        base.object.put(0L, new byte[0]);
        try {
          cp.rollback(target);
        } catch (CheckpointException e) {
          if (torn) {
            return Outcome.TORN_TAIL_ACCEPTED; // the lost uncommitted records left changes unjournaled
          }
          expectNamed(e, damage, context, "rollback to " + target);
          if (!torn) {
            base.snapshots.get(base.current).assertSameAs(
                TreeSnapshot.exact(data), context + ", after a rollback to " + target + " refused with " + e);
          }
          assertVolatile(base, base.current, region, blob, context + ", after a refused rollback to " + target);
          return damage.kind.equals("version") ? Outcome.VERSION_REFUSED : Outcome.REFUSED_AT_ROLLBACK;
        }
        if (!torn) {
          base.snapshots.get(target).assertSameAs(TreeSnapshot.exact(data), context + ", after rollback to " + target);
        }
        if (target == 0) {
          // the object was first committed in epoch 1: a rollback before it leaves it alone
          base.object.put(0L, base.object.get(base.current));
        }
        assertVolatile(base, target, region, blob, context + ", after rollback to " + target);
        if (cp.currentEpoch() != target) {
          throw new AssertionError(context + ": at epoch " + cp.currentEpoch() + " after rollback to " + target);
        }
      } finally {
        cp.close();
      }
    } catch (CorruptStoreException e) {
      if (!names(e, damage)) {
        throw new AssertionError(context + ": failed with " + stackOf(e));
      }
      return Outcome.REFUSED_AT_CLOSE; // close() re-reads the damaged index
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(context + ": failed with " + stackOf(e));
    }
    try (Checkpointer again = Checkpointer.builder(store).track(data).open()) {
      if (again.currentEpoch() != target) {
        throw new AssertionError(context + ": reopened at epoch " + again.currentEpoch() + ", not " + target);
      }
      if (!torn) {
        base.snapshots.get(target).assertSameAs(TreeSnapshot.exact(data), context + ", after reopening");
      }
      Blob blob = new Blob();
      MemoryRegion region = again.region("r", REGION_SIZE);
      again.register("o", blob);
      base.object.put(0L, new byte[0]); // a new process has no state for it before epoch 1
      assertVolatile(base, target, region, blob, context + ", after reopening");
    } catch (CheckpointException e) {
      if (torn) {
        return Outcome.TORN_TAIL_ACCEPTED;
      }
      expectNamed(e, damage, context, "reopen after rollback to " + target);
      return Outcome.REFUSED_AT_REOPEN;
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(context + ": reopen failed with " + stackOf(e));
    }
    return torn ? Outcome.TORN_TAIL_ACCEPTED : Outcome.EXACT;
  }

  /** With -Dmetamori.corruption.verbose=true, why a trial was refused. */
  private static void refusedBecause(CheckpointException e) {
    if (VERBOSE) {
      System.out.println("    refused: " + e.getMessage());
    }
  }

  private static void assertVolatile(Base base, long epoch, MemoryRegion region, Blob blob, String context) {
    if (!java.util.Arrays.equals(base.region.get(epoch), contents(region))) {
      throw new AssertionError(context + ": region r is not as at epoch " + epoch);
    }
    if (!java.util.Arrays.equals(base.object.get(epoch), blob.bytes)) {
      throw new AssertionError(context + ": object o is not as at epoch " + epoch);
    }
  }

  /** Damage in a committed segment or in the trash must be in what verify() reports. */
  private static void checkVerify(Checkpointer cp, Base base, Damage damage, String context) throws IOException {
    List<CorruptStoreException> found = cp.verify();
    if (damage.inTrash()) {
      verifyCheckedTrash++;
      if (found.stream().noneMatch(e -> names(e, damage))) {
        throw new AssertionError(context + ": verify() did not report the damaged trash entry; it found " + found);
      }
      verifyReportedTrash++;
      return;
    }
    boolean committedSegment =
        segmentLike(damage.file) && !damage.file.equals(base.workingSegment) && !damage.file.equals(CATALOGUE);
    if (committedSegment) {
      verifyChecked++;
      if (found.stream().noneMatch(e -> names(e, damage))) {
        throw new AssertionError(context + ": verify() did not report the damage; it found " + found);
      }
      verifyReported++;
    }
  }

  private static String stackOf(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    String s = w.toString();
    return s.length() > 3000 ? s.substring(0, 3000) : s;
  }
}
