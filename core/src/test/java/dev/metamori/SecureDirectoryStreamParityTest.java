package dev.metamori;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.io.MoreFiles;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedDirectoryStreamException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Directory streams: secure where the default file system's are, their entries paths of the
 * Metamori file system, and every change made through one journaled (and so undone by a
 * restore) like a change made through {@code Files}.
 */
class SecureDirectoryStreamParityTest extends TrackedTreeFixture {

  @Test
  void aDirectoryStreamIsSecureExactlyWhereTheDefaultFileSystemsIs() throws IOException {
    for (String dir : List.of("dir", "empty")) {
      try (DirectoryStream<Path> ours = Files.newDirectoryStream(p(dir));
          DirectoryStream<Path> theirs = Files.newDirectoryStream(real(dir))) {
        assertEquals(theirs instanceof SecureDirectoryStream, ours instanceof SecureDirectoryStream, dir);
      }
    }
    try (DirectoryStream<Path> ours = Files.newDirectoryStream(out(""));
        DirectoryStream<Path> theirs = Files.newDirectoryStream(outside)) {
      assertEquals(theirs instanceof SecureDirectoryStream, ours instanceof SecureDirectoryStream);
    }
  }

  @Test
  void theEntriesOfAStreamAndOfItsChildStreamsArePathsOfTheMetamoriFileSystem() throws IOException {
    Set<String> names = new TreeSet<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(p("dir"), e -> e.getFileSystem() == fs)) {
      for (Path e : s) {
        assertSame(fs, e.getFileSystem());
        assertEquals(p("dir").resolve(e.getFileName()), e);
        names.add(e.getFileName().toString());
      }
      if (s instanceof SecureDirectoryStream) {
        try (SecureDirectoryStream<Path> sub =
            ((SecureDirectoryStream<Path>) s).newDirectoryStream(fs.getPath("sub"), NOFOLLOW_LINKS)) {
          List<Path> entries = new ArrayList<>();
          sub.forEach(entries::add);
          assertEquals(List.of(p("dir/sub/d.txt")), entries);
        }
      }
    }
    assertEquals(Set.of("c.txt", "sub"), names);
  }

  @Test
  void guavaDeletesATrackedTreeRecursivelyAndARestoreBringsItBack() throws IOException {
    // with its default options Guava refuses unless the directory stream is secure
    assertRolledBackExactly(() -> MoreFiles.deleteRecursively(p("dir")));
    assertRolledBackExactly(() -> MoreFiles.deleteDirectoryContents(p("dir")));
    assertTrue(Files.isRegularFile(real("dir/sub/d.txt")));
  }

  @Test
  void commonsIoDeletesCleansAndCopiesTrackedTreesAndARestoreUndoesIt() throws IOException {
    assertRolledBackExactly(() -> org.apache.commons.io.file.PathUtils.deleteDirectory(p("dir")));
    assertRolledBackExactly(() -> org.apache.commons.io.file.PathUtils.cleanDirectory(p("dir")));
    assertRolledBackExactly(
        () -> org.apache.commons.io.file.PathUtils.copyDirectory(p("dir"), p("empty/copy")));
    // it tries the DOS view first, which cannot be journaled, and on its IOException falls back on POSIX
    assertRolledBackExactly(
        () ->
            org.apache.commons.io.file.PathUtils.deleteDirectory(
                p("dir"), org.apache.commons.io.file.StandardDeleteOption.OVERRIDE_READ_ONLY));
    assertTrue(org.apache.commons.io.file.PathUtils.isEmptyDirectory(p("empty")));
    assertEquals(
        org.apache.commons.io.file.PathUtils.sizeOfDirectory(real("dir")),
        org.apache.commons.io.file.PathUtils.sizeOfDirectory(p("dir")));
  }

  @Test
  void walkFileTreeDeletesATrackedTreeAndARestoreBringsItBack() throws IOException {
    assertRolledBackExactly(
        () ->
            Files.walkFileTree(
                p("dir"),
                new SimpleFileVisitor<>() {
                  @Override
                  public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    assertSame(fs, file.getFileSystem());
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                  }

                  @Override
                  public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                  }
                }));
  }

  @Test
  void deletesMovesWritesAndAttributeChangesThroughASecureStreamAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SecureDirectoryStream<Path> d = secure(p("dir"));
              SecureDirectoryStream<Path> e = secure(p("empty"))) {
            d.deleteFile(fs.getPath("c.txt"));
            try (SecureDirectoryStream<Path> sub = d.newDirectoryStream(fs.getPath("sub"))) {
              sub.move(fs.getPath("d.txt"), e, fs.getPath("moved.txt"));
              try (SeekableByteChannel c =
                  sub.newByteChannel(
                      fs.getPath("new.txt"), Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW))) {
                c.write(ByteBuffer.wrap("made through the stream".getBytes(StandardCharsets.UTF_8)));
              }
            }
            try (SeekableByteChannel c =
                e.newByteChannel(fs.getPath("moved.txt"), Set.of(StandardOpenOption.WRITE))) {
              c.write(ByteBuffer.wrap("DE".getBytes(StandardCharsets.UTF_8)));
            }
            e.getFileAttributeView(fs.getPath("moved.txt"), BasicFileAttributeView.class)
                .setTimes(FileTime.fromMillis(1234), null, null);
            e.getFileAttributeView(fs.getPath("moved.txt"), PosixFileAttributeView.class)
                .setPermissions(PosixFilePermissions.fromString("r--------"));
            d.getFileAttributeView(PosixFileAttributeView.class)
                .setPermissions(PosixFilePermissions.fromString("rwx------"));
            e.getFileAttributeView(BasicFileAttributeView.class).setTimes(FileTime.fromMillis(99), null, null);
          }
          assertEquals("DEep", Files.readString(real("empty/moved.txt")));
          assertEquals("made through the stream", Files.readString(real("dir/sub/new.txt")));
          assertFalse(Files.exists(real("dir/c.txt")));
        });
    try (SecureDirectoryStream<Path> d = secure(p("dir"))) {
      assertRolledBackExactly(
          () -> {
            d.deleteFile(fs.getPath("sub/d.txt"));
            d.deleteDirectory(fs.getPath("sub"));
            d.move(fs.getPath("c.txt"), d, fs.getPath("renamed.txt"));
          });
    }
  }

  @Test
  void anAbsolutePathGivenToASecureStreamIsUsedAsIs() throws IOException {
    try (SecureDirectoryStream<Path> d = secure(p("dir"))) {
      assertRolledBackExactly(() -> d.deleteFile(p("small.txt")));
    }
  }

  @Test
  void aStreamOnAnUntrackedDirectoryActsAsTheDefaultOne() throws IOException {
    TreeSnapshot tracked = snapshot();
    try (SecureDirectoryStream<Path> o = secure(out(""))) {
      o.move(fs.getPath("o.txt"), o, fs.getPath("p.txt"));
      o.deleteFile(fs.getPath("p.txt"));
    }
    assertFalse(Files.exists(outside.resolve("o.txt")));
    assertFalse(Files.exists(outside.resolve("p.txt")));
    tracked.assertTreeMatches("after changes outside the root");
  }

  @Test
  void aRelativeChangeAfterTheDirectoryWasMovedIsRefusedAndChangesNothing() throws IOException {
    try (SecureDirectoryStream<Path> d = secure(p("dir"))) {
      Files.move(p("dir"), p("elsewhere"));
      TreeSnapshot before = snapshot();
      FileSystemException e = assertThrows(FileSystemException.class, () -> d.deleteFile(fs.getPath("c.txt")));
      assertEquals(p("dir").toString(), e.getFile());
      assertTrue(e.getReason().contains("moved or replaced"), e.getReason());
      BasicFileAttributeView view = d.getFileAttributeView(fs.getPath("c.txt"), BasicFileAttributeView.class);
      assertThrows(FileSystemException.class, () -> view.setTimes(FileTime.fromMillis(5), null, null));
      before.assertTreeMatches("after the refused changes");
    }
  }

  @Test
  void aClosedStreamRefusesChangesAsTheDefaultOneDoes() throws IOException {
    SecureDirectoryStream<Path> d = secure(p("dir"));
    d.close();
    assertThrows(ClosedDirectoryStreamException.class, () -> d.deleteFile(fs.getPath("c.txt")));
    assertTrue(Files.exists(real("dir/c.txt")));
  }

  @Test
  void theOnlyViewsOfAStreamAreTheDefaultOnes() throws IOException {
    try (SecureDirectoryStream<Path> ours = secure(p("dir"));
        SecureDirectoryStream<Path> theirs = (SecureDirectoryStream<Path>) Files.newDirectoryStream(real("dir"))) {
      for (Class<? extends java.nio.file.attribute.FileAttributeView> type :
          List.of(
              BasicFileAttributeView.class,
              PosixFileAttributeView.class,
              java.nio.file.attribute.FileOwnerAttributeView.class,
              java.nio.file.attribute.DosFileAttributeView.class,
              java.nio.file.attribute.UserDefinedFileAttributeView.class,
              java.nio.file.attribute.AclFileAttributeView.class)) {
        assertEquals(theirs.getFileAttributeView(type) == null, ours.getFileAttributeView(type) == null, type.getName());
        assertEquals(
            theirs.getFileAttributeView(real("dir").getFileSystem().getPath("c.txt"), type) == null,
            ours.getFileAttributeView(fs.getPath("c.txt"), type) == null,
            type.getName());
      }
      assertEquals(
          theirs.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey(),
          ours.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey());
      assertNull(ours.getFileAttributeView(java.nio.file.attribute.AclFileAttributeView.class));
    }
    assertArrayEquals(bytes(5000, 3), Files.readAllBytes(real("dir/c.txt")));
  }

  /** The stream on {@code dir}; the test is skipped where the default one is not secure. */
  private SecureDirectoryStream<Path> secure(Path dir) throws IOException {
    try (DirectoryStream<Path> theirs = Files.newDirectoryStream(tmp)) {
      org.junit.jupiter.api.Assumptions.assumeTrue(
          theirs instanceof SecureDirectoryStream, "the default file system gives no SecureDirectoryStream here");
    }
    return StreamAndViewOps.secure(dir);
  }
}
