package dev.metamori;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.DELETE_ON_CLOSE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Opening files for writing, with every open option, and changing their attributes. */
class FileOperationsTest extends TrackedTreeFixture {

  @Test
  void overwritingThroughAByteChannelOpenedForWriteIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("a.txt"), WRITE)) {
            c.position(4000);
            c.write(ByteBuffer.wrap(filled(300, 'x')));
          }
          assertEquals(10_000, Files.size(real("a.txt")));
        });
  }

  @Test
  void appendingThroughAByteChannelIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("a.txt"), APPEND)) {
            c.write(ByteBuffer.wrap(filled(9000, 'y')));
          }
          assertEquals(19_000, Files.size(real("a.txt")));
        });
  }

  @Test
  void creatingAMissingFileWithCreateIsUndoneByRemovingIt() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("dir/new.txt"), CREATE, WRITE)) {
            c.write(ByteBuffer.wrap(bytes(7000, 9)));
          }
          assertTrue(Files.exists(real("dir/new.txt")));
        });
    assertFalse(Files.exists(real("dir/new.txt")));
  }

  @Test
  void openingAnExistingFileWithCreateJournalsItsOldContents() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("b.bin"), CREATE, WRITE)) {
            c.write(ByteBuffer.wrap(filled(5000, 'z')));
          }
          assertEquals(8192, Files.size(real("b.bin")));
        });
    assertArrayEquals(bytes(8192, 2), Files.readAllBytes(real("b.bin")));
  }

  @Test
  void creatingAFileWithCreateNewIsUndoneAndRefusedOverAnExistingFile() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("fresh.txt"), CREATE_NEW, WRITE)) {
            c.write(ByteBuffer.wrap("fresh".getBytes(StandardCharsets.UTF_8)));
          }
        });
    TreeSnapshot before = snapshot();
    assertThrows(FileAlreadyExistsException.class, () -> Files.newByteChannel(p("small.txt"), CREATE_NEW, WRITE));
    long epoch = cp.commit();
    assertEquals(0, cp.epochs().get(cp.epochs().size() - 1).filesChanged(),
        "a refused CREATE_NEW journals nothing");
    cp.rollback(epoch);
    before.assertTreeMatches("after a refused CREATE_NEW");
  }

  @Test
  void truncatingOnOpenIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("a.txt"), WRITE, TRUNCATE_EXISTING)) {
            c.write(ByteBuffer.wrap("short".getBytes(StandardCharsets.UTF_8)));
          }
          assertEquals(5, Files.size(real("a.txt")));
        });
    assertArrayEquals(bytes(10_000, 1), Files.readAllBytes(real("a.txt")));
  }

  @Test
  void aFileDeletedOnCloseIsBroughtBack() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (SeekableByteChannel c = Files.newByteChannel(p("dir/c.txt"), WRITE, DELETE_ON_CLOSE)) {
            c.write(ByteBuffer.wrap(filled(100, 'd')));
          }
          assertFalse(Files.exists(real("dir/c.txt")));
        });
    assertArrayEquals(bytes(5000, 3), Files.readAllBytes(real("dir/c.txt")));
  }

  @Test
  void aScratchFileCreatedAndDeletedOnCloseLeavesNoTrace() throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    try (SeekableByteChannel c = Files.newByteChannel(p("scratch"), CREATE_NEW, WRITE, READ, DELETE_ON_CLOSE)) {
      c.write(ByteBuffer.wrap(bytes(10_000, 5)));
      assertTrue(Files.exists(real("scratch")));
    }
    assertFalse(Files.exists(real("scratch")));
    cp.commit();
    cp.rollback(base);
    before.assertTreeMatches("after a scratch file came and went");
  }

  @Test
  void writingThroughAnOutputStreamIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (OutputStream o = Files.newOutputStream(p("a.txt"))) {
            o.write(filled(20_000, 'o'));
          }
          try (OutputStream o = Files.newOutputStream(p("small.txt"), APPEND)) {
            o.write(" world".getBytes(StandardCharsets.UTF_8));
          }
          try (OutputStream o = Files.newOutputStream(p("empty/made.txt"), CREATE_NEW, WRITE)) {
            o.write(1);
          }
          assertEquals("hello\n world", Files.readString(real("small.txt")));
        });
  }

  @Test
  void filesWriteAndWriteStringAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.write(p("dir/sub/d.txt"), bytes(12_345, 8));
          Files.writeString(p("small.txt"), "appended", APPEND);
          Files.writeString(p("new.txt"), "new");
        });
  }

  @Test
  void aFileOpenedForWritingAndReadingReadsWhatItWrote() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("a.txt"), READ, WRITE)) {
            c.write(ByteBuffer.wrap(filled(10, 'r')), 0);
            ByteBuffer back = ByteBuffer.allocate(12);
            c.read(back, 0);
            assertArrayEquals(
                concat(filled(10, 'r'), Arrays.copyOfRange(bytes(10_000, 1), 10, 12)), back.array());
          }
        });
  }

  @Test
  void openOptionsTheDefaultFileSystemRefusesAreRefusedAndTheFileIsLeftAlone() throws IOException {
    TreeSnapshot before = snapshot();
    long base = cp.commit();
    assertThrows(
        IllegalArgumentException.class,
        () -> Files.newByteChannel(p("small.txt"), APPEND, TRUNCATE_EXISTING).close());
    assertThrows(IllegalArgumentException.class, () -> Files.newByteChannel(p("small.txt"), READ, APPEND).close());
    assertThrows(
        IllegalArgumentException.class,
        () -> Files.newOutputStream(p("small.txt"), java.nio.file.StandardOpenOption.READ).close());
    before.assertTreeMatches("after refused open options");
    cp.commit();
    assertEquals(0, cp.epochs().get(cp.epochs().size() - 1).filesChanged(), "refused opens journal nothing");
    cp.rollback(base);
  }

  // ------------------------------------------------------------------ attributes

  @Test
  void settingTheLastModifiedTimeOfAFileAndADirectoryIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.setLastModifiedTime(p("a.txt"), FileTime.from(Instant.parse("2030-01-01T00:00:00Z")));
          Files.setLastModifiedTime(p("dir"), FileTime.from(Instant.parse("1999-01-01T00:00:00Z")));
        });
  }

  @Test
  void settingPosixPermissionsIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.setPosixFilePermissions(p("a.txt"), PosixFilePermissions.fromString("r--------"));
          Files.setPosixFilePermissions(p("dir"), PosixFilePermissions.fromString("rwx------"));
          Files.setPosixFilePermissions(p("b.bin"), PosixFilePermissions.fromString("rwxrwxrwx"));
        });
    assertEquals(
        PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(real("b.bin")));
  }

  @Test
  void settingPermissionsThroughSetAttributeIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Set<PosixFilePermission> mode = EnumSet.of(PosixFilePermission.OWNER_READ);
          Files.setAttribute(p("small.txt"), "posix:permissions", mode);
          Files.setAttribute(
              p("dir/sub"), "basic:lastModifiedTime", FileTime.from(Instant.parse("2040-05-05T05:05:05Z")));
          assertEquals(mode, Files.getPosixFilePermissions(real("small.txt")));
        });
  }

  @Test
  void settingTimesThroughAnAttributeViewIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          FileTime t = FileTime.from(Instant.parse("2025-06-07T08:09:10.111222333Z"));
          Files.getFileAttributeView(p("b.bin"), BasicFileAttributeView.class).setTimes(t, t, t);
          Files.getFileAttributeView(p("empty"), PosixFileAttributeView.class).setTimes(t, null, null);
          Files.getFileAttributeView(p("dir/c.txt"), PosixFileAttributeView.class)
              .setPermissions(PosixFilePermissions.fromString("---------"));
        });
  }

  @Test
  void writingAReadOnlyFileAfterChangingItsModeIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.setPosixFilePermissions(p("a.txt"), PosixFilePermissions.fromString("rw-rw-rw-"));
          Files.write(p("a.txt"), filled(3, 'm'), WRITE);
          Files.setPosixFilePermissions(p("a.txt"), PosixFilePermissions.fromString("r--r--r--"));
        });
  }

  @Test
  void attributesThatCannotBeJournaledAreRefusedOnTrackedFilesOnly() throws IOException {
    TreeSnapshot before = snapshot();
    assertThrows(
        java.nio.file.FileSystemException.class,
        () -> Files.setAttribute(p("a.txt"), "user:origin", ByteBuffer.wrap(new byte[] {1})));
    UserDefinedFileAttributeView user =
        Files.getFileAttributeView(p("a.txt"), UserDefinedFileAttributeView.class);
    if (user != null) {
      java.nio.file.FileSystemException e =
          assertThrows(
              java.nio.file.FileSystemException.class, () -> user.write("origin", ByteBuffer.wrap(new byte[] {1})));
      assertEquals(p("a.txt").toString(), e.getFile());
      assertEquals(
          "UserDefinedFileAttributeView.write cannot be journaled: only basic, posix, unix and owner"
              + " attributes of tracked files can be changed",
          e.getReason());
    }
    DosFileAttributeView dos = Files.getFileAttributeView(p("a.txt"), DosFileAttributeView.class);
    if (dos != null) {
      assertThrows(java.nio.file.FileSystemException.class, () -> dos.setHidden(true));
    }
    before.assertTreeMatches("after refused attribute writes");
    // outside the tracked roots the same views work as on the default file system
    FileTime t = FileTime.from(Instant.parse("2022-02-02T02:02:02Z"));
    Files.getFileAttributeView(out("o.txt"), BasicFileAttributeView.class).setTimes(t, null, null);
    assertEquals(t, Files.getLastModifiedTime(outside.resolve("o.txt")));
  }

  @Test
  void changingTheModeOfASymbolicLinkTargetThroughTheLinkIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.setPosixFilePermissions(p("link"), PosixFilePermissions.fromString("---------"));
          Files.setLastModifiedTime(p("link"), FileTime.from(Instant.parse("2031-01-01T00:00:00Z")));
          assertEquals(
              FileTime.from(Instant.parse("2031-01-01T00:00:00Z")),
              Files.getLastModifiedTime(real("a.txt")));
          assertTrue(Files.isSymbolicLink(real("link")));
        });
    assertTrue(Files.isSymbolicLink(real("link")));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] r = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, r, a.length, b.length);
    return r;
  }
}
