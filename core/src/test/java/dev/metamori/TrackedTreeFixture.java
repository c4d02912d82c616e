package dev.metamori;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A tracked tree with a bit of everything, stamped with old, distinct modification times so
 * that a restore which forgets a time is caught, and an open checkpointer on it.
 *
 * <pre>
 *   data/                tracked root
 *     a.txt              10000 bytes (two full 4 KiB blocks and a partial one)
 *     b.bin              8192 bytes, rw-------
 *     small.txt          "hello\n"
 *     dir/  (rwxr-x---)  c.txt (5000 bytes), sub/d.txt ("deep")
 *     empty/
 *     link -> a.txt
 *   outside/o.txt        not tracked
 *   store/               the store
 * </pre>
 *
 * The directory, the root and the store come from a {@link StoreExtension}, which also checks
 * after each test that the store reopens and {@link Checkpointer#verify()} finds it sound; a
 * test that damages the store on purpose calls {@code harness.skipVerifyAfter(why)}.
 */
abstract class TrackedTreeFixture {
  static final Instant STAMP = Instant.parse("2001-02-03T04:05:06.123456789Z");

  @RegisterExtension final StoreExtension harness = StoreExtension.create().unopened();

  /** The test's temporary directory ({@link StoreExtension#dir()}). */
  Path tmp;
  Path data;
  Path outside;
  Path store;
  Checkpointer cp;
  FileSystem fs;

  @BeforeEach
  void createTreeAndOpen() throws IOException {
    tmp = harness.dir();
    data = harness.root();
    outside = Files.createDirectory(tmp.resolve("outside"));
    store = harness.store();
    Files.write(data.resolve("a.txt"), bytes(10_000, 1));
    Files.write(data.resolve("b.bin"), bytes(8192, 2));
    Files.writeString(data.resolve("small.txt"), "hello\n");
    Files.createDirectories(data.resolve("dir/sub"));
    Files.write(data.resolve("dir/c.txt"), bytes(5000, 3));
    Files.writeString(data.resolve("dir/sub/d.txt"), "deep");
    Files.createDirectory(data.resolve("empty"));
    Files.createSymbolicLink(data.resolve("link"), data.getFileSystem().getPath("a.txt"));
    Files.setPosixFilePermissions(data.resolve("b.bin"), PosixFilePermissions.fromString("rw-------"));
    Files.setPosixFilePermissions(data.resolve("dir"), PosixFilePermissions.fromString("rwxr-x---"));
    Files.writeString(outside.resolve("o.txt"), "outside\n");
    stampTimes(data);
    open();
  }

  @AfterEach
  void closeCheckpointer() throws IOException {
    if (cp != null) {
      cp.close();
    }
  }

  void open() throws IOException {
    cp = harness.open();
    fs = cp.fileSystem();
  }

  void reopen() throws IOException {
    cp.close();
    cp = null;
    open();
  }

  /** Sets every entry's modification time to a distinct instant in 2001, deepest first. */
  static void stampTimes(Path root) throws IOException {
    List<Path> all = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      s.forEach(all::add);
    }
    for (int i = all.size() - 1; i >= 0; i--) {
      Files.getFileAttributeView(all.get(i), BasicFileAttributeView.class, NOFOLLOW_LINKS)
          .setTimes(FileTime.from(STAMP.plusSeconds(60L * i)), null, null);
    }
  }

  static byte[] bytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  /** The journaling path for {@code rel} under the tracked root. */
  Path p(String rel) {
    return fs.getPath(data.resolve(rel).toString());
  }

  /** The journaling path for {@code rel} under the untracked directory. */
  Path out(String rel) {
    return fs.getPath(outside.resolve(rel).toString());
  }

  /** The default-file-system path for {@code rel} under the tracked root. */
  Path real(String rel) {
    return data.resolve(rel);
  }

  TreeSnapshot snapshot() throws IOException {
    return TreeSnapshot.exact(data);
  }

  interface IoAction {
    void run() throws IOException;
  }

  /**
   * Commits, runs {@code change} (which must change the tree) and rolls the uncommitted change
   * back; then runs it again from the restored state, commits it, and rolls that committed
   * epoch back. Both rollbacks must restore the tree exactly.
   */
  void assertRolledBackExactly(IoAction change) throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();

    change.run();
    assertNotEquals(before, snapshot(), "the change did not change the tree");
    cp.rollback(base);
    before.assertTreeMatches("after rolling back the uncommitted change");

    change.run();
    TreeSnapshot changed = snapshot();
    long committed = cp.commit();
    assertEquals(committed, cp.currentEpoch());
    changed.assertTreeMatches("after committing the change");
    cp.rollback(base);
    before.assertTreeMatches("after rolling back the committed change");
    assertEquals(base, cp.currentEpoch());
  }
}
