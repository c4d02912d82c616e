package dev.metamori;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.Blob;
import dev.metamori.testing.Seeds;
import dev.metamori.testing.TreeSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random changes to a tree, a region and an object, committed now and then: after each commit
 * the incremental stream from the previous epoch is received by a second store (other paths),
 * whose trees, region and object must then equal the source's; at the end a full stream of the
 * last epoch rebuilds it in a third store.
 */
class ExportReceiveProperties {
  private static final long SEED = 0x5e9d5e9dL;
  private static final int EXAMPLES = Integer.getInteger("metamori.export.examples", 25);
  private static final String[] FILES = {"f0", "f1", "d0/f2", "d0/f3", "d1/f4", "d0/e/f5"};
  private static final String[] DIRS = {"d0", "d1", "d0/e", "d2"};

  @TempDir Path tmp;


  @Test
  void receivedStreamsRebuildEveryEpoch() {
    long seed = Seeds.seed(SEED);
    Seeds.runTrials(
        "ExportReceiveProperties.receivedStreamsRebuildEveryEpoch",
        seed,
        EXAMPLES,
        40,
        this::trial,
        "metamori.export.examples=" + EXAMPLES);
  }

  /**
   * Random histories with branches (restores to earlier epochs) and changes left uncommitted:
   * the stream between the epoch the second store was last brought to and any epoch of the
   * source, exported from wherever the source stands, brings it to that epoch.
   */
  @Test
  void streamsBetweenAnyTwoEpochsRebuildTheLaterOne() {
    long seed = Seeds.seed(SEED + 1);
    Seeds.runTrials(
        "ExportReceiveProperties.streamsBetweenAnyTwoEpochsRebuildTheLaterOne",
        seed,
        EXAMPLES,
        40,
        this::branches,
        "metamori.export.examples=" + EXAMPLES);
  }

  /** What a side held at an epoch. */
  private record State(TreeSnapshot tree, byte[] region, byte[] object) {
    static State of(Side side) throws IOException {
      return new State(TreeSnapshot.of(side.tree(), TreeSnapshot.Options.CRASH), side.regionBytes(), side.object().bytes.clone());
    }

    void check(Side side, List<String> log) throws IOException {
      TreeSnapshot now = TreeSnapshot.of(side.tree(), TreeSnapshot.Options.CRASH);
      assertEquals(tree, now, () -> log + "\n" + tree.describeDifferences(now));
      assertArrayEquals(region, side.regionBytes(), () -> "region after " + log);
      assertArrayEquals(object, side.object().bytes, () -> "object after " + log);
    }
  }

  private void branches(List<Long> seeds) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "trial");
    Side source = Side.open(dir.resolve("source"));
    Side target = Side.open(dir.resolve("target"));
    Side copy = Side.open(dir.resolve("copy"));
    List<String> log = new ArrayList<>();
    java.util.TreeMap<Long, State> states = new java.util.TreeMap<>();
    try {
      long at = source.cp().commit();
      states.put(at, State.of(source));
      java.util.Map<Long, Long> received = new java.util.HashMap<>();
      received.put(at, target.cp().receive(new ByteArrayInputStream(export(source.cp(), -1, at))));
      for (long s : seeds) {
        Random r = new Random(s);
        int dice = r.nextInt(100);
        List<Long> epochs = new ArrayList<>(states.keySet());
        long any = epochs.get(r.nextInt(epochs.size()));
        if (dice < 15) {
          long epoch = source.cp().commit();
          states.put(epoch, State.of(source));
          log.add("commit " + epoch);
        } else if (dice < 23) {
          source.cp().restore(any);
          log.add("restore " + any);
        } else if (dice < 38 && any != at) {
          byte[] stream = export(source.cp(), at, any);
          log.add("stream " + at + " to " + any + " (" + stream.length + " bytes)");
          Long held = received.get(any);
          if (held == null) {
            received.put(any, target.cp().receive(new ByteArrayInputStream(stream)));
          } else {
            // received before: refused, and restored instead
            StreamException e = assertThrows(StreamException.class, () -> target.cp().receive(new ByteArrayInputStream(stream)));
            assertTrue(e.getMessage().contains("already holds"), e.getMessage());
            target.cp().restore(held);
          }
          states.get(any).check(target, log);
          at = any;
        } else {
          String done = change(source, r);
          if (done != null) {
            log.add(done);
          }
        }
      }
      List<Long> epochs = new ArrayList<>(states.keySet());
      long last = epochs.get(new Random(seeds.get(0)).nextInt(epochs.size()));
      log.add("full stream of " + last);
      copy.cp().receive(new ByteArrayInputStream(export(source.cp(), -1, last)));
      states.get(last).check(copy, log);
    } finally {
      source.cp().close();
      target.cp().close();
      copy.cp().close();
    }
  }

  private record Side(Path tree, Checkpointer cp, MemoryRegion region, Blob object) {
    static Side open(Path dir) throws IOException {
      Path tree = Files.createDirectories(dir.resolve("tree"));
      Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(tree).open();
      Blob object = new Blob();
      cp.register("o", object);
      return new Side(tree, cp, cp.region("r", 5 * 4096 + 7), object);
    }

    byte[] regionBytes() {
      byte[] b = new byte[(int) region.size()];
      region.get(0, b, 0, b.length);
      return b;
    }
  }

  private static void assertSame(Side want, Side got, List<String> log) throws IOException {
    TreeSnapshot a = TreeSnapshot.of(want.tree(), TreeSnapshot.Options.CRASH);
    TreeSnapshot b = TreeSnapshot.of(got.tree(), TreeSnapshot.Options.CRASH);
    assertEquals(a, b, () -> log + "\n" + a.describeDifferences(b));
    assertArrayEquals(want.regionBytes(), got.regionBytes(), () -> "region after " + log);
    assertArrayEquals(want.object().bytes, got.object().bytes, () -> "object after " + log);
  }

  private void trial(List<Long> seeds) throws IOException {
    Path dir = Files.createTempDirectory(tmp, "trial");
    Side source = Side.open(dir.resolve("source"));
    Side target = Side.open(dir.resolve("target"));
    Side copy = Side.open(dir.resolve("copy"));
    List<String> log = new ArrayList<>();
    try {
      long last = source.cp().commit();
      target.cp().receive(new ByteArrayInputStream(export(source.cp(), -1, last)));
      for (long s : seeds) {
        Random r = new Random(s);
        if (r.nextInt(5) == 0) {
          long epoch = source.cp().commit();
          byte[] stream = export(source.cp(), last, epoch);
          log.add("commit " + epoch + " (" + stream.length + " bytes)");
          target.cp().receive(new ByteArrayInputStream(stream));
          assertSame(source, target, log);
          last = epoch;
        } else {
          String done = change(source, r);
          if (done != null) {
            log.add(done);
          }
        }
      }
      long epoch = source.cp().commit();
      target.cp().receive(new ByteArrayInputStream(export(source.cp(), last, epoch)));
      assertSame(source, target, log);
      copy.cp().receive(new ByteArrayInputStream(export(source.cp(), -1, epoch)));
      assertSame(source, copy, log);
    } finally {
      source.cp().close();
      target.cp().close();
      copy.cp().close();
    }
  }

  private static byte[] export(Checkpointer cp, long base, long epoch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (base < 0) {
      cp.export(epoch, out);
    } else {
      cp.export(base, epoch, out);
    }
    return out.toByteArray();
  }

  private static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** One random change; returns what it did, or null if it did nothing. */
  private static String change(Side side, Random r) throws IOException {
    FileSystem fs = side.cp().fileSystem();
    Path tree = side.tree();
    String name = FILES[r.nextInt(FILES.length)];
    Path file = fs.getPath(tree.resolve(name).toString());
    int dice = r.nextInt(100);
    if (dice < 8) {
      int at = r.nextInt((int) side.region().size() - 10);
      side.region().put(at, bytes(10, r.nextLong()), 0, 10);
      return "region " + at;
    } else if (dice < 12) {
      side.object().bytes = bytes(r.nextInt(100), r.nextLong());
      return "object";
    } else if (dice < 30 && Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      long at = r.nextInt(3 * 4096);
      int length = 1 + r.nextInt(6000);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(bytes(length, r.nextLong())), at);
      }
      return "write " + name + " " + at + "+" + length;
    } else if (dice < 36 && Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      long size = r.nextInt(9000);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(size);
      }
      return "truncate " + name + " " + size;
    } else if (dice < 48 && Files.isDirectory(file.getParent()) && !Files.isDirectory(file, NOFOLLOW_LINKS) && !Files.isSymbolicLink(file)) {
      int length = r.nextInt(9000);
      Files.write(file, bytes(length, r.nextLong()));
      return "replace " + name + " " + length;
    } else if (dice < 52 && Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(r.nextBoolean() ? "rw-------" : "rwxr-x---"));
      return "chmod " + name;
    } else if (dice < 58 && Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      Files.delete(file);
      return "delete " + name;
    } else if (dice < 68 && Files.isRegularFile(file, NOFOLLOW_LINKS)) {
      String other = FILES[r.nextInt(FILES.length)];
      Path target = fs.getPath(tree.resolve(other).toString());
      if (target.equals(file) || !Files.isDirectory(target.getParent()) || Files.isDirectory(target, NOFOLLOW_LINKS)) {
        return null;
      }
      Files.move(file, target, StandardCopyOption.REPLACE_EXISTING);
      return "move " + name + " " + other;
    } else if (dice < 72 && Files.isDirectory(file.getParent()) && !Files.exists(file, NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(file, fs.getPath(r.nextBoolean() ? "f0" : "/elsewhere"));
      return "link " + name;
    }
    String dirName = DIRS[r.nextInt(DIRS.length)];
    Path dir = fs.getPath(tree.resolve(dirName).toString());
    if (dice < 82 && !Files.exists(dir, NOFOLLOW_LINKS) && Files.isDirectory(dir.getParent())) {
      Files.createDirectory(dir);
      return "mkdir " + dirName;
    } else if (dice < 92 && Files.isDirectory(dir)) {
      String otherName = DIRS[r.nextInt(DIRS.length)];
      Path other = fs.getPath(tree.resolve(otherName).toString());
      if (Files.exists(other, NOFOLLOW_LINKS) || !Files.isDirectory(other.getParent()) || other.startsWith(dir)) {
        return null;
      }
      Files.move(dir, other);
      return "move " + dirName + " " + otherName;
    } else if (Files.isDirectory(dir)) {
      List<Path> all;
      try (Stream<Path> walk = Files.walk(dir)) {
        all = new ArrayList<>(walk.toList());
      }
      java.util.Collections.reverse(all);
      for (Path p : all) {
        Files.delete(p);
      }
      return "rm -r " + dirName;
    }
    return null;
  }
}
