package dev.metamori.testing;

import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.PowerLossRecorder.Keep;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The power-loss model itself: what states it builds from a few operations. */
class PowerLossRecorderTest {
  @TempDir Path tmp;
  Path real;
  Path dir;
  FaultyFileSystem faulty;
  PowerLossRecorder recorder;

  @BeforeEach
  void setUp() throws IOException {
    real = Files.createDirectories(tmp.resolve("dir"));
    faulty = FaultyFileSystem.create();
    recorder = new PowerLossRecorder(tmp.resolve("attic"));
    faulty.recorder(recorder);
    dir = faulty.getPath(real.toString());
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) seed);
    return b;
  }

  private Path state(Keep keep, long seed) throws IOException {
    Path into = tmp.resolve("state-" + keep + "-" + seed);
    recorder.materialise(into, keep, seed, real);
    return into.resolve("0");
  }

  private static void force(Path p) throws IOException {
    try (FileChannel c = FileChannel.open(p, READ)) {
      c.force(true);
    }
  }

  @Test
  void aCreationNotFollowedByAnyForceIsLostWithItsData() throws IOException {
    Files.write(dir.resolve("new"), bytes(100, 1));
    assertFalse(Files.exists(state(Keep.FORCED_ONLY, 0).resolve("new")));
    assertArrayEquals(bytes(100, 1), Files.readAllBytes(state(Keep.ALL, 0).resolve("new")));
  }

  @Test
  void aForceOfAnyFileMakesEveryEarlierDirectoryOperationDurable() throws IOException {
    Files.write(dir.resolve("new"), bytes(100, 1));
    Files.createDirectory(dir.resolve("sub"));
    Files.write(dir.resolve("sub/other"), bytes(10, 2));
    force(dir.resolve("sub/other"));
    Files.createDirectory(dir.resolve("late"));
    Path s = state(Keep.FORCED_ONLY, 0);
    assertTrue(Files.exists(s.resolve("new")), "created before the force");
    assertEquals(0, Files.size(s.resolve("new")), "its data was never forced");
    assertArrayEquals(bytes(10, 2), Files.readAllBytes(s.resolve("sub/other")));
    assertFalse(Files.exists(s.resolve("late")));
  }

  @Test
  void aLostDeleteOrRenameBringsTheOldNamesBackWithTheirDataAndDirectoryTimes() throws IOException {
    Files.write(dir.resolve("a"), bytes(700, 1));
    Files.write(dir.resolve("b"), bytes(300, 2));
    Files.setLastModifiedTime(dir, FileTime.fromMillis(1_000_000));
    force(dir.resolve("a"));
    force(dir.resolve("b"));
    force(dir);
    Files.write(dir.resolve("a"), bytes(10, 3), java.nio.file.StandardOpenOption.APPEND);
    Files.delete(dir.resolve("a"));
    Files.move(dir.resolve("b"), dir.resolve("c"));
    Path s = state(Keep.FORCED_ONLY, 0);
    assertArrayEquals(bytes(700, 1), Files.readAllBytes(s.resolve("a")));
    assertArrayEquals(bytes(300, 2), Files.readAllBytes(s.resolve("b")));
    assertFalse(Files.exists(s.resolve("c")));
    assertEquals(FileTime.fromMillis(1_000_000), Files.getLastModifiedTime(s));
    Path all = state(Keep.ALL, 0);
    assertFalse(Files.exists(all.resolve("a")));
    assertTrue(Files.exists(all.resolve("c")));
  }

  @Test
  void aPrefixOfTheDirectoryOperationsIsKeptInOrder() throws IOException {
    force(dir);
    for (int i = 0; i < 5; i++) {
      Files.createDirectory(dir.resolve("d" + i));
    }
    Set<Integer> seen = new HashSet<>();
    for (long seed = 0; seed < 40; seed++) {
      Path s = state(Keep.DIRECTORY_PREFIX, seed);
      int kept = 0;
      while (kept < 5 && Files.exists(s.resolve("d" + kept))) {
        kept++;
      }
      for (int i = kept; i < 5; i++) {
        assertFalse(Files.exists(s.resolve("d" + i)), "d" + i + " without d" + kept);
      }
      seen.add(kept);
    }
    assertEquals(6, seen.size(), "every prefix length was drawn: " + seen);
  }

  @Test
  void aTornWriteKeepsWholeSectorsOfItAndTheOldBytesOfTheRest() throws IOException {
    Files.write(dir.resolve("f"), bytes(4096, 1));
    force(dir.resolve("f"));
    try (FileChannel c = FileChannel.open(dir.resolve("f"), WRITE)) {
      c.write(ByteBuffer.wrap(bytes(3000, 2)), 100);
    }
    Set<Integer> kept = new HashSet<>();
    for (long seed = 0; seed < 60; seed++) {
      byte[] b = Files.readAllBytes(state(Keep.TORN, seed).resolve("f"));
      assertEquals(4096, b.length);
      int end = 100;
      while (end < 3100 && b[end] == 2) {
        end++;
      }
      assertTrue(end == 100 || end == 3100 || end % PowerLossRecorder.SECTOR == 0, "torn at " + end);
      for (int i = end; i < 4096; i++) {
        assertEquals(1, b[i], "byte " + i + " when torn at " + end);
      }
      kept.add(end);
    }
    assertTrue(kept.size() > 3, "several tear points drawn: " + kept);
  }

  @Test
  void reorderedWritesCanKeepALaterPageWithoutAnEarlierOneButNeverChangeTheSizeOutOfOrder() throws IOException {
    Files.write(dir.resolve("f"), bytes(3 * PowerLossRecorder.PAGE, 1));
    force(dir.resolve("f"));
    try (FileChannel c = FileChannel.open(dir.resolve("f"), WRITE)) {
      c.write(ByteBuffer.wrap(bytes(PowerLossRecorder.PAGE, 2)), 0);
      c.write(ByteBuffer.wrap(bytes(PowerLossRecorder.PAGE, 3)), 2 * PowerLossRecorder.PAGE);
    }
    Set<String> seen = new HashSet<>();
    for (long seed = 0; seed < 60; seed++) {
      byte[] b = Files.readAllBytes(state(Keep.REORDERED, seed).resolve("f"));
      assertEquals(3 * PowerLossRecorder.PAGE, b.length);
      for (int page = 0; page < 3; page++) {
        for (int i = page * PowerLossRecorder.PAGE; i < (page + 1) * PowerLossRecorder.PAGE; i++) {
          assertEquals(b[page * PowerLossRecorder.PAGE], b[i], "a page is whole, from one version: byte " + i);
        }
      }
      assertEquals(1, b[PowerLossRecorder.PAGE], "the untouched page");
      seen.add(b[0] + "/" + b[2 * PowerLossRecorder.PAGE]);
    }
    assertTrue(seen.contains("1/3"), "the second write reached the disk without the first: " + seen);
    assertTrue(seen.containsAll(Set.of("1/1", "2/1", "2/3")), "every combination: " + seen);
  }

  @Test
  void aSizeChangeIsOrderedWithTheDirectoryOperationsAndAnOverwriteIsNot() throws IOException {
    Files.write(dir.resolve("f"), bytes(1000, 1));
    Files.write(dir.resolve("g"), bytes(1000, 1));
    force(dir.resolve("f"));
    force(dir.resolve("g"));
    force(dir);
    try (FileChannel c = FileChannel.open(dir.resolve("g"), WRITE)) {
      c.truncate(500);
    }
    Files.createDirectory(dir.resolve("a"));
    try (FileChannel c = FileChannel.open(dir.resolve("f"), WRITE)) {
      c.write(ByteBuffer.wrap(bytes(100, 2)), 0);
      c.write(ByteBuffer.wrap(bytes(100, 3)), 1000);
    }
    for (long seed = 0; seed < 20; seed++) {
      Path lost = tmp.resolve("lost-" + seed);
      recorder.materialise(lost, Keep.RANDOM, seed, 0, real);
      assertEquals(1000, Files.size(lost.resolve("0/f")), "the append after the lost mkdir is lost");
      Path kept = tmp.resolve("kept-" + seed);
      recorder.materialise(kept, Keep.RANDOM, seed, 1, real);
      assertEquals(500, Files.size(kept.resolve("0/g")), "the truncation before the kept mkdir is kept");
    }
    Path s = tmp.resolve("lost-all-data");
    recorder.materialise(s, Keep.DIRECTORY_PREFIX, 0, 0, real);
    byte[] f = Files.readAllBytes(s.resolve("0/f"));
    assertEquals(1000, f.length);
    assertEquals(2, f[0], "the overwrite is kept");
    assertEquals(1000, Files.size(state(Keep.FORCED_ONLY, 0).resolve("g")), "the truncation before the lost mkdir may be lost");
  }
}
