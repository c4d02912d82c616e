package dev.metamori.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
