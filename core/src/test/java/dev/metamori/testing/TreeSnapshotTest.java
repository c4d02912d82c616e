package dev.metamori.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot.Aspect;
import dev.metamori.testing.TreeSnapshot.Options;
import java.nio.file.LinkOption;
import java.nio.file.attribute.BasicFileAttributeView;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TreeSnapshotTest {
  @TempDir Path tmp;
  Path left;
  Path right;

  @BeforeEach
  void twoEqualTrees() throws Exception {
    left = Files.createDirectory(tmp.resolve("left"));
    right = Files.createDirectory(tmp.resolve("right"));
    for (Path root : List.of(left, right)) {
      Files.write(root.resolve("file"), new byte[] {1, 2, 3, 4});
      Files.createDirectories(root.resolve("dir/sub"));
      Files.writeString(root.resolve("dir/sub/text"), "hello");
      Files.createSymbolicLink(root.resolve("link"), root.getFileSystem().getPath("file"));
      Files.createLink(root.resolve("dir/hard"), root.resolve("file"));
      Files.setPosixFilePermissions(root.resolve("dir"), PosixFilePermissions.fromString("rwxr-xr-x"));
      FileTime t = FileTime.fromMillis(1_000_000_000_000L);
      for (String p : List.of("file", "dir/sub/text", "dir/sub", "dir", ".")) {
        Files.setLastModifiedTime(root.resolve(p), t);
      }
    }
  }

  @Test
  void treesWithTheSameContentsAndAttributesAreEqualWhereverTheyAre() throws Exception {
    TreeSnapshot a = TreeSnapshot.of(left);
    TreeSnapshot b = TreeSnapshot.of(right);
    assertEquals(a, b, a.describeDifferences(b));
    assertEquals("", a.describeDifferences(b));
    assertEquals(
        List.of(".", "dir", "dir/hard", "dir/sub", "dir/sub/text", "file", "link"),
        List.copyOf(a.entries().keySet()));
    assertEquals("dir/hard", a.get("file").hardLinkedTo());
    assertEquals("file", a.get("link").linkTarget());
  }

  @Test
  void everyKindOfDifferenceIsFoundAndDescribed() throws Exception {
    Files.write(right.resolve("file"), new byte[] {1, 2, 9, 4});
    Files.setLastModifiedTime(right.resolve("dir/sub/text"), FileTime.fromMillis(5));
    Files.setPosixFilePermissions(right.resolve("dir"), PosixFilePermissions.fromString("rwx------"));
    Files.delete(right.resolve("link"));
    Files.createSymbolicLink(right.resolve("link"), right.getFileSystem().getPath("elsewhere"));
    Files.writeString(right.resolve("extra"), "x");

    TreeSnapshot a = TreeSnapshot.of(left);
    TreeSnapshot b = TreeSnapshot.of(right);
    assertNotEquals(a, b);
    String description = a.describeDifferences(b);
    assertTrue(description.contains("file: bytes differ from offset 2"), description);
    assertTrue(description.contains("dir/sub/text: mtime"), description);
    assertTrue(description.contains("dir: mode 755/rwxr-xr-x here, 700/rwx------ there"), description);
    assertTrue(description.contains("link: link target file here, elsewhere there"), description);
    assertTrue(description.contains("extra: missing here"), description);
    assertEquals(2, a.differences(b, 1).size(), "one difference and an ellipsis");
  }

  @Test
  void aBrokenHardLinkIsADifference() throws Exception {
    Files.delete(right.resolve("dir/hard"));
    Files.copy(right.resolve("file"), right.resolve("dir/hard"));
    TreeSnapshot a = TreeSnapshot.of(left).withoutModifiedTimes();
    TreeSnapshot b = TreeSnapshot.of(right).withoutModifiedTimes();
    assertNotEquals(a, b);
    assertEquals(a.withoutHardLinks(), b.withoutHardLinks());
  }

  @Test
  void modificationTimesCanBeLeftOutAndPathsExcluded() throws Exception {
    Files.setLastModifiedTime(right.resolve("file"), FileTime.fromMillis(7));
    Files.writeString(right.resolve("dir/sub/text"), "changed");
    TreeSnapshot a = TreeSnapshot.of(left);
    TreeSnapshot b = TreeSnapshot.of(right);
    assertNotEquals(a, b);
    assertEquals(
        a.withoutModifiedTimes().excluding(p -> p.startsWith("dir/sub/")),
        b.withoutModifiedTimes().excluding(p -> p.startsWith("dir/sub/")));
  }

  private static void setLinkTime(Path link, long millis) throws Exception {
    Files.getFileAttributeView(link, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(FileTime.fromMillis(millis), null, null);
  }

  @Test
  void theExactSnapshotComparesLinkTimesAndNotHardLinksTheFullOneTheOtherWayRound() throws Exception {
    setLinkTime(left.resolve("link"), 1_000);
    setLinkTime(right.resolve("link"), 2_000);
    assertNotEquals(TreeSnapshot.exact(left), TreeSnapshot.exact(right), "link times are exact");
    assertEquals(TreeSnapshot.of(left), TreeSnapshot.of(right), "link times are left out by default");

    setLinkTime(right.resolve("link"), 1_000);
    Files.delete(right.resolve("dir/hard"));
    Files.copy(right.resolve("file"), right.resolve("dir/hard"), java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
    Files.setLastModifiedTime(right.resolve("dir"), FileTime.fromMillis(1_000_000_000_000L));
    TreeSnapshot exactLeft = TreeSnapshot.exact(left);
    TreeSnapshot exactRight = TreeSnapshot.exact(right);
    assertEquals(exactLeft, exactRight, exactLeft.describeDifferences(exactRight));
    assertNull(exactLeft.get("file").hardLinkedTo());
    assertNotEquals(TreeSnapshot.of(left), TreeSnapshot.of(right), "hard links are compared by default");
  }

  @Test
  void eachAspectLeftOutIsNeitherReadNorCompared() throws Exception {
    Files.setPosixFilePermissions(right.resolve("file"), PosixFilePermissions.fromString("rwx------"));
    Options noModes = Options.ALL.without(Aspect.MODE);
    assertNotEquals(TreeSnapshot.of(left), TreeSnapshot.of(right));
    assertEquals(TreeSnapshot.of(left, noModes), TreeSnapshot.of(right, noModes));
    assertEquals(-1, TreeSnapshot.of(left, noModes).get("file").permissions());
    assertEquals(TreeSnapshot.of(left).withoutPermissions(), TreeSnapshot.of(right).withoutPermissions());

    Files.setLastModifiedTime(right.resolve("dir/sub/text"), FileTime.fromMillis(5));
    Options neither = noModes.without(Aspect.MTIME);
    assertEquals(TreeSnapshot.of(left, neither), TreeSnapshot.of(right, neither));
    assertEquals(TreeSnapshot.of(left, neither), TreeSnapshot.of(left).withoutModifiedTimes().withoutPermissions());

    TreeSnapshot noOwners = TreeSnapshot.of(left, Options.ALL.without(Aspect.OWNER));
    assertNull(noOwners.get("file").owner());
    assertEquals(noOwners, TreeSnapshot.of(left).withoutOwnership());

    Files.writeString(right.resolve("dir/sub/text"), "HELLO");
    Options namesAndSizes = neither.without(Aspect.CONTENT);
    assertEquals(TreeSnapshot.of(left, namesAndSizes), TreeSnapshot.of(right, namesAndSizes));
    assertNotEquals(TreeSnapshot.of(left, neither), TreeSnapshot.of(right, neither), "same size, other bytes");
  }

  @Test
  void theFingerprintComparesTypesSizesBytesAndLinkTargetsOnly() throws Exception {
    Files.setLastModifiedTime(right.resolve("file"), FileTime.fromMillis(7));
    Files.setPosixFilePermissions(right.resolve("dir"), PosixFilePermissions.fromString("rwx------"));
    Files.delete(right.resolve("dir/hard"));
    Files.copy(right.resolve("file"), right.resolve("dir/hard"));
    TreeSnapshot a = TreeSnapshot.fingerprint(left);
    assertEquals(a, TreeSnapshot.fingerprint(right), a.describeDifferences(TreeSnapshot.fingerprint(right)));
    assertEquals(7, a.size());
    assertEquals(Long.toHexString(crc32c(new byte[] {1, 2, 3, 4})), a.get("file").hash());
    assertEquals(-1, a.get("file").modifiedNanos());

    Files.writeString(right.resolve("dir/sub/text"), "hellO");
    Files.delete(right.resolve("link"));
    Files.createSymbolicLink(right.resolve("link"), right.getFileSystem().getPath("elsewhere"));
    Files.writeString(right.resolve("extra"), "x");
    List<String> differences = a.differences(TreeSnapshot.fingerprint(right), 20);
    assertEquals(3, differences.size(), differences.toString());
    assertTrue(differences.get(0).startsWith("dir/sub/text: bytes differ"), differences.toString());
    assertTrue(differences.get(1).startsWith("extra: missing here"), differences.toString());
    assertTrue(differences.get(2).startsWith("link: link target file here, elsewhere there"), differences.toString());
  }

  private static long crc32c(byte[] b) {
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(b);
    return crc.getValue();
  }

  @Test
  void theCrashSnapshotEncodesOnOneLineAndDecodesToAnEqualSnapshot() throws Exception {
    TreeSnapshot a = TreeSnapshot.of(left, Options.CRASH);
    String line = a.encode();
    assertTrue(!line.contains("\n") && !line.contains("\t"), line);
    TreeSnapshot decoded = TreeSnapshot.decode(line);
    assertEquals(a, decoded, a.describeDifferences(decoded));
    assertEquals(line, decoded.encode());
    assertEquals(TreeSnapshot.of(right, Options.CRASH), decoded, "the root's own path is not recorded");
    assertNull(a.get("file").owner(), "no owners");
    assertNull(a.get("file").hardLinkedTo(), "no hard links");
    assertEquals("file", a.get("link").linkTarget());
    assertEquals(0755, a.get("dir").permissions());

    Files.setPosixFilePermissions(right.resolve("file"), PosixFilePermissions.fromString("rw-------"));
    TreeSnapshot b = TreeSnapshot.decode(TreeSnapshot.of(right, Options.CRASH).encode());
    assertNotEquals(decoded, b);
    assertEquals(
        List.of(
            "dir/hard: mode 644/rw-r--r-- here, 600/rw------- there",
            "file: mode 644/rw-r--r-- here, 600/rw------- there"),
        decoded.differencesFrom(b),
        "a hard link shares its mode");

    TreeSnapshot full = TreeSnapshot.of(left);
    assertEquals(full.withoutModifiedTimes(), TreeSnapshot.decode(full.encode()).withoutModifiedTimes());
    assertThrows(IllegalArgumentException.class, () -> TreeSnapshot.decode("file=F,1"));
  }

  @Test
  void assertTreeMatchesRereadsTheRootWithTheSameOptionsAndListsEveryDifference() throws Exception {
    setLinkTime(left.resolve("link"), 1_000);
    setLinkTime(right.resolve("link"), 1_000);
    TreeSnapshot exact = TreeSnapshot.exact(left);
    exact.assertTreeMatches("unchanged");
    exact.assertSameAs(TreeSnapshot.exact(right), "another root, the same tree");
    Files.writeString(left.resolve("dir/sub/text"), "changed");
    Files.setLastModifiedTime(left.resolve("file"), FileTime.fromMillis(9));
    AssertionError e = assertThrows(AssertionError.class, () -> exact.assertTreeMatches("after a change"));
    assertTrue(e.getMessage().startsWith("after a change: the tree under " + left), e.getMessage());
    assertTrue(e.getMessage().contains("dir/sub/text: size 5 here, 7 there"), e.getMessage());
    assertTrue(e.getMessage().contains("file: mtime"), e.getMessage());
    assertThrows(IllegalStateException.class, () -> TreeSnapshot.decode(exact.encode()).assertTreeMatches("decoded"));
  }
}
