package dev.metamori;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * What the Metamori file system shares with the default one: the errors of failing calls
 * (type, files, reason and message), its stores and their attributes, its attribute views, and
 * a watch service reporting its own paths.
 */
class DefaultProviderParityTest extends TrackedTreeFixture {

  /** A call that fails on both file systems; {@code at} gives the path of {@code rel} on one. */
  interface Failing {
    void run(java.util.function.Function<String, Path> at) throws Exception;
  }

  private static Map<String, Failing> failingCalls() {
    Map<String, Failing> t = new LinkedHashMap<>();
    t.put("delete a missing file", at -> Files.delete(at.apply("nope")));
    t.put("delete a non-empty directory", at -> Files.delete(at.apply("dir")));
    t.put("create an existing directory", at -> Files.createDirectory(at.apply("dir")));
    t.put("create a directory in a missing one", at -> Files.createDirectory(at.apply("nope/sub")));
    t.put("create a directory below a file", at -> Files.createDirectory(at.apply("a.txt/sub")));
    t.put("create an existing file", at -> Files.createFile(at.apply("a.txt")));
    t.put("create a file in a missing directory", at -> Files.createFile(at.apply("nope/f")));
    t.put("create a file below a file", at -> Files.createFile(at.apply("small.txt/f")));
    t.put("write a missing file without CREATE", at -> Files.write(at.apply("nope"), new byte[1], StandardOpenOption.WRITE));
    t.put("write a directory", at -> Files.write(at.apply("dir"), new byte[1]));
    t.put("CREATE_NEW over an existing file", at -> Files.newByteChannel(at.apply("a.txt"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close());
    t.put("read a missing file", at -> Files.readAllBytes(at.apply("nope")));
    t.put("list a file", at -> Files.newDirectoryStream(at.apply("a.txt")).close());
    t.put("list a missing directory", at -> Files.newDirectoryStream(at.apply("nope")).close());
    t.put("move a missing file", at -> Files.move(at.apply("nope"), at.apply("x")));
    t.put("move onto an existing file", at -> Files.move(at.apply("a.txt"), at.apply("small.txt")));
    t.put("move onto a non-empty directory", at -> Files.move(at.apply("a.txt"), at.apply("dir"), StandardCopyOption.REPLACE_EXISTING));
    t.put("move into a missing directory", at -> Files.move(at.apply("a.txt"), at.apply("nope/a.txt")));
    t.put("move a directory into itself", at -> Files.move(at.apply("dir"), at.apply("dir/sub/dir")));
    t.put("copy a missing file", at -> Files.copy(at.apply("nope"), at.apply("x")));
    t.put("copy onto an existing file", at -> Files.copy(at.apply("a.txt"), at.apply("small.txt")));
    t.put("copy onto a non-empty directory", at -> Files.copy(at.apply("a.txt"), at.apply("dir"), StandardCopyOption.REPLACE_EXISTING));
    t.put("hard link onto an existing name", at -> Files.createLink(at.apply("small.txt"), at.apply("a.txt")));
    t.put("hard link to a missing file", at -> Files.createLink(at.apply("x"), at.apply("nope")));
    t.put("symbolic link onto an existing name", at -> Files.createSymbolicLink(at.apply("small.txt"), at.apply("a.txt")));
    t.put("read a file that is no link as one", at -> Files.readSymbolicLink(at.apply("a.txt")));
    t.put("read the attributes of a missing file", at -> Files.readAttributes(at.apply("nope"), "unix:*"));
    t.put("set the time of a missing file", at -> Files.setLastModifiedTime(at.apply("nope"), FileTime.fromMillis(1)));
    t.put("set the permissions of a missing file", at -> Files.setPosixFilePermissions(at.apply("nope"), PosixFilePermissions.fromString("rw-------")));
    t.put("set an unknown attribute", at -> Files.setAttribute(at.apply("a.txt"), "posix:nosuch", 1));
    t.put("set an attribute of an unknown view", at -> Files.setAttribute(at.apply("a.txt"), "nosuch:size", 1));
    t.put("a stream's deleteFile on a directory", at -> secure(at.apply("dir"), s -> s.deleteFile(s.iterator().next().getFileSystem().getPath("sub"))));
    t.put("a stream's deleteFile on a missing file", at -> secure(at.apply("dir"), s -> s.deleteFile(at.apply("nope").getFileSystem().getPath("nope"))));
    t.put("a stream's deleteDirectory on a file", at -> secure(at.apply("dir"), s -> s.deleteDirectory(at.apply("nope").getFileSystem().getPath("c.txt"))));
    t.put("a stream's deleteDirectory on a non-empty one", at -> secure(at.apply("dir"), s -> s.deleteDirectory(at.apply("nope").getFileSystem().getPath("sub"))));
    t.put("a stream's move of a missing file", at -> secure(at.apply("dir"), s -> s.move(at.apply("nope").getFileSystem().getPath("nope"), s, at.apply("nope").getFileSystem().getPath("x"))));
    t.put("a stream's move onto a non-empty directory", at -> secure(at.apply("dir"), s -> s.move(at.apply("nope").getFileSystem().getPath("c.txt"), s, at.apply("nope").getFileSystem().getPath("sub"))));
    t.put("a stream's newDirectoryStream on a file", at -> secure(at.apply("dir"), s -> s.newDirectoryStream(at.apply("nope").getFileSystem().getPath("c.txt")).close()));
    t.put("a stream's CREATE_NEW over an existing file", at -> secure(at.apply("dir"), s -> s.newByteChannel(at.apply("nope").getFileSystem().getPath("c.txt"), Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)).close()));
    return t;
  }

  interface StreamCall {
    void run(SecureDirectoryStream<Path> s) throws IOException;
  }

  private static void secure(Path dir, StreamCall call) throws IOException {
    try (SecureDirectoryStream<Path> s = StreamAndViewOps.secure(dir)) {
      call.run(s);
    }
  }

  @Test
  void everyFailingCallThrowsTheDefaultFileSystemsErrorWithItsMessage() throws IOException {
    TreeSnapshot before = snapshot();
    List<String> differences = new ArrayList<>();
    for (Map.Entry<String, Failing> c : failingCalls().entrySet()) {
      Throwable theirs = failure(c.getValue(), this::real);
      Throwable ours = failure(c.getValue(), this::p);
      if (theirs == null) {
        fail(c.getKey() + ": succeeds on the default file system; the table must hold failing calls only");
      }
      if (ours == null) {
        differences.add(c.getKey() + ": succeeded through Metamori, the default file system throws " + theirs);
      } else if (ours.getClass() != theirs.getClass() || !Objects.equals(ours.getMessage(), theirs.getMessage())) {
        differences.add(c.getKey() + ": threw " + describe(ours) + ", the default file system " + describe(theirs));
      } else if (theirs instanceof java.nio.file.FileSystemException) {
        java.nio.file.FileSystemException o = (java.nio.file.FileSystemException) ours;
        java.nio.file.FileSystemException d = (java.nio.file.FileSystemException) theirs;
        if (!Objects.equals(o.getFile(), d.getFile())
            || !Objects.equals(o.getOtherFile(), d.getOtherFile())
            || !Objects.equals(o.getReason(), d.getReason())) {
          differences.add(c.getKey() + ": file, other file or reason differ: " + describe(ours) + " / " + describe(theirs));
        }
      }
      before.assertTreeMatches("after " + c.getKey());
    }
    assertEquals(List.of(), differences);
  }

  private static Throwable failure(Failing call, java.util.function.Function<String, Path> at) {
    try {
      call.run(at);
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  private static String describe(Throwable t) {
    return t.getClass().getSimpleName() + "(" + t.getMessage() + ")";
  }

  // ------------------------------------------------------------------ stores and views

  @Test
  void theFileStoresAndTheirAttributesAreTheDefaultFileSystems() throws IOException {
    FileStore ours = Files.getFileStore(p("a.txt"));
    FileStore theirs = Files.getFileStore(real("a.txt"));
    assertEquals(theirs, ours);
    assertEquals(theirs.name(), ours.name());
    assertEquals(theirs.type(), ours.type());
    assertEquals(theirs.isReadOnly(), ours.isReadOnly());
    assertEquals(theirs.getTotalSpace(), ours.getTotalSpace());
    assertEquals(theirs.getBlockSize(), ours.getBlockSize());
    assertEquals(theirs.getAttribute("totalSpace"), ours.getAttribute("totalSpace"));
    for (Class<? extends FileAttributeView> view : views()) {
      assertEquals(theirs.supportsFileAttributeView(view), ours.supportsFileAttributeView(view), view.getName());
    }
    for (String view : List.of("basic", "posix", "unix", "owner", "dos", "user", "acl", "nosuch")) {
      assertEquals(theirs.supportsFileAttributeView(view), ours.supportsFileAttributeView(view), view);
    }
    List<String> all = new ArrayList<>();
    FileSystems.getDefault().getFileStores().forEach(s -> all.add(s.toString()));
    List<String> mine = new ArrayList<>();
    fs.getFileStores().forEach(s -> mine.add(s.toString()));
    assertEquals(all, mine);
  }

  @Test
  void theSupportedViewsAreTheDefaultFileSystemsAndEachReadsAsThere() throws IOException {
    FileSystem plain = FileSystems.getDefault();
    assertEquals(plain.supportedFileAttributeViews(), fs.supportedFileAttributeViews());
    for (Class<? extends FileAttributeView> view : views()) {
      assertEquals(
          Files.getFileAttributeView(real("a.txt"), view) == null,
          Files.getFileAttributeView(p("a.txt"), view) == null,
          view.getName());
    }
    for (String view : plain.supportedFileAttributeViews()) {
      assertEquals(readAll(real("dir"), view), readAll(p("dir"), view), view);
    }
  }

  /** All attributes of a view but the access time, or the type of the error reading them. */
  private static Object readAll(Path path, String view) {
    try {
      Map<String, Object> all = new java.util.TreeMap<>(Files.readAttributes(path, view + ":*", LinkOption.NOFOLLOW_LINKS));
      all.remove("lastAccessTime");
      return all;
    } catch (IOException | RuntimeException e) {
      return e.getClass();
    }
  }

  @Test
  void changesThroughTheUnixViewAreJournaled() throws IOException {
    assertRolledBackExactly(
        () -> {
          Files.setAttribute(p("small.txt"), "unix:mode", 0600);
          Files.setAttribute(p("small.txt"), "unix:lastModifiedTime", FileTime.fromMillis(7));
          Files.setAttribute(p("dir"), "posix:permissions", PosixFilePermissions.fromString("rwx------"));
        });
  }

  @Test
  void changesOfAttributesTheJournalCannotRecordAreRefusedUnderATrackedRootOnly() throws IOException {
    TreeSnapshot before = snapshot();
    if (fs.supportedFileAttributeViews().contains("user")) {
      java.nio.file.FileSystemException e =
          assertThrows(
              java.nio.file.FileSystemException.class,
              () -> Files.getFileAttributeView(p("a.txt"), UserDefinedFileAttributeView.class)
                  .write("k", java.nio.ByteBuffer.wrap(new byte[] {1})));
      assertTrue(e.getReason().contains("cannot be journaled"), e.getMessage());
      assertThrows(
          java.nio.file.FileSystemException.class, () -> Files.setAttribute(p("a.txt"), "user:k", new byte[] {1}));
    }
    if (fs.supportedFileAttributeViews().contains("dos")) {
      assertThrows(java.nio.file.FileSystemException.class, () -> Files.setAttribute(p("a.txt"), "dos:hidden", true));
    }
    before.assertTreeMatches("after the refused changes");
  }

  private static List<Class<? extends FileAttributeView>> views() {
    return List.of(
        BasicFileAttributeView.class,
        PosixFileAttributeView.class,
        FileOwnerAttributeView.class,
        DosFileAttributeView.class,
        UserDefinedFileAttributeView.class,
        AclFileAttributeView.class);
  }

  // ------------------------------------------------------------------ watching

  @Test
  void aWatchServiceReportsCreateModifyAndDeleteWithPathsOfTheMetamoriFileSystem() throws Exception {
    try (WatchService watcher = fs.newWatchService()) {
      WatchKey key = p("dir").register(watcher, ENTRY_CREATE, ENTRY_MODIFY, ENTRY_DELETE);
      assertEquals(p("dir"), key.watchable());

      Files.writeString(p("dir/new.txt"), "watched");
      expectEvent(watcher, key, ENTRY_CREATE, "new.txt");
      Files.writeString(p("dir/c.txt"), "changed");
      expectEvent(watcher, key, ENTRY_MODIFY, "c.txt");
      Files.delete(p("dir/c.txt"));
      expectEvent(watcher, key, ENTRY_DELETE, "c.txt");
    }
  }

  @Test
  void aWatchServiceReportsWhatARestoreChanges() throws Exception {
    long base = cp.commit();
    Files.writeString(p("dir/new.txt"), "to be undone");
    try (WatchService watcher = fs.newWatchService()) {
      WatchKey key = p("dir").register(watcher, ENTRY_DELETE);
      cp.rollback(base);
      expectEvent(watcher, key, ENTRY_DELETE, "new.txt");
    }
  }

  @Test
  void anotherFileSystemsWatchServiceIsRefusedAsTheDefaultFileSystemRefusesOurs() throws IOException {
    try (WatchService theirs = FileSystems.getDefault().newWatchService();
        WatchService ours = fs.newWatchService()) {
      assertThrows(ProviderMismatchException.class, () -> p("dir").register(theirs, ENTRY_CREATE));
      assertThrows(ProviderMismatchException.class, () -> real("dir").register(ours, ENTRY_CREATE));
    }
  }

  /** Waits (at most a minute) for {@code kind} on {@code name}, through the key registered. */
  private void expectEvent(WatchService watcher, WatchKey key, WatchEvent.Kind<Path> kind, String name)
      throws InterruptedException {
    List<String> seen = new ArrayList<>();
    while (true) {
      WatchKey k = watcher.poll(60, TimeUnit.SECONDS);
      assertNotNull(k, "no " + kind + " of " + name + " reported within a minute; saw " + seen);
      assertSame(key, k);
      for (WatchEvent<?> e : k.pollEvents()) {
        Path context = (Path) e.context();
        assertSame(fs, context.getFileSystem());
        assertSame(fs, ((Path) k.watchable()).resolve(context).getFileSystem());
        seen.add(e.kind() + " " + context);
        if (e.kind() == kind && context.toString().equals(name)) {
          assertTrue(k.reset());
          return;
        }
      }
      assertTrue(k.reset());
    }
  }
}
