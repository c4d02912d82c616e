package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.StoreExtension;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemAlreadyExistsException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Opening checkpointers through the {@code metamori} URI scheme. The file systems are opened by
 * URI in the extension's directory ({@code data/} holds {@code f.txt}); the extension opens
 * nothing itself, and verifies {@code store/} after each test.
 */
class UriSchemeTest {
  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().unopened().withTree(UriSchemeTest::fill);

  private static void fill(Path root) throws IOException {
    Files.writeString(root.resolve("f.txt"), "original");
  }

  /** Another root beside the extension's, holding {@code f.txt}. */
  private Path root(String name) throws IOException {
    Path root = Files.createDirectories(harness.dir().resolve(name));
    fill(root);
    return root;
  }

  private static URI uriOf(Path store) {
    return URI.create("metamori:" + store.toUri());
  }

  @Test
  void aFileSystemOpenedByUriJournalsAndIsFoundAgainByItsUri() throws IOException {
    Path root = harness.root();
    Path store = harness.store();
    URI uri = uriOf(store);
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("roots", List.of(root)))) {
      assertEquals("metamori", fs.provider().getScheme());
      assertSame(fs, FileSystems.getFileSystem(uri));
      Checkpointer cp = Checkpointer.of(fs);
      assertSame(fs, cp.fileSystem());
      Path f = fs.getPath(root.resolve("f.txt").toString());
      Files.writeString(f, "epoch one");
      long e1 = cp.commit();
      Files.writeString(f, "uncommitted");
      Files.writeString(f.resolveSibling("g.txt"), "new");
      cp.rollback(e1);
      assertEquals("epoch one", Files.readString(root.resolve("f.txt")));
      assertFalse(Files.exists(root.resolve("g.txt")));
      cp.rollback(0);
      assertEquals("original", Files.readString(root.resolve("f.txt")));
    }
    assertThrows(FileSystemNotFoundException.class, () -> FileSystems.getFileSystem(uri));
    // closing the file system closed the checkpointer: the store can be opened again
    assertEquals(0, harness.open().currentEpoch());
  }

  @Test
  void pathUrisRoundTripThroughPathsGetAndTheProvider() throws IOException {
    Path root = harness.root();
    Path store = harness.store();
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(store), Map.of("roots", List.of(root)))) {
      for (Path p :
          List.of(
              fs.getPath(root.resolve("f.txt").toString()),
              fs.getPath(root.resolve("missing dir/name with spaces.txt").toString()),
              fs.getPath(root.resolve("unicodé-ß").toString()),
              fs.getPath(harness.dir().toString()))) {
        URI u = p.toUri();
        assertEquals("metamori", u.getScheme());
        assertEquals(p, Paths.get(u), u.toString());
        assertEquals(p, fs.provider().getPath(u), u.toString());
        assertSame(fs, Paths.get(u).getFileSystem());
      }
      Path viaUri = Paths.get(fs.getPath(root.resolve("f.txt").toString()).toUri());
      Files.writeString(viaUri, "through a path from a URI");
      Checkpointer.of(fs).rollback(0);
      assertEquals("original", Files.readString(root.resolve("f.txt")));
    }
  }

  @Test
  void rootsMayBeGivenAsOnePathOrAsAStringOfSeveral() throws IOException {
    Path a = root("a");
    Path b = root("b");
    Path store = harness.store();
    try (FileSystem fs =
        FileSystems.newFileSystem(uriOf(store), Map.of("roots", a + File.pathSeparator + b))) {
      Files.writeString(fs.getPath(a.resolve("f.txt").toString()), "changed a");
      Files.writeString(fs.getPath(b.resolve("f.txt").toString()), "changed b");
      Checkpointer.of(fs).rollback(0);
      assertEquals("original", Files.readString(a.resolve("f.txt")));
      assertEquals("original", Files.readString(b.resolve("f.txt")));
    }
    try (FileSystem fs = FileSystems.newFileSystem(uriOf(store), Map.of("roots", a))) {
      Files.writeString(fs.getPath(a.resolve("f.txt").toString()), "changed a");
      Checkpointer.of(fs).rollback(0);
      assertEquals("original", Files.readString(a.resolve("f.txt")));
    }
  }

  @Test
  void aStoreWhosePathNeedsEscapingWorksThroughItsUri() throws IOException {
    Path root = harness.root();
    Path store = harness.dir().resolve("my store #1");
    URI uri = uriOf(store);
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("roots", List.of(root)))) {
      assertSame(fs, FileSystems.getFileSystem(uri));
      Path f = fs.getPath(root.resolve("f.txt").toString());
      assertEquals(f, Paths.get(f.toUri()));
    }
    assertTrue(Files.isDirectory(store.resolve("segments")));
  }

  @Test
  void aSecondFileSystemForTheSameStoreIsRefused() throws IOException {
    Path root = harness.root();
    Path store = harness.store();
    URI uri = uriOf(store);
    try (FileSystem fs = FileSystems.newFileSystem(uri, Map.of("roots", List.of(root)))) {
      Exception e =
          assertThrows(
              Exception.class, () -> FileSystems.newFileSystem(uri, Map.of("roots", List.of(root))));
      assertTrue(
          e instanceof FileSystemAlreadyExistsException || e instanceof StoreLockedException,
          "expected FileSystemAlreadyExistsException or StoreLockedException, got " + e);
      assertThrows(StoreLockedException.class, harness::open);
      assertTrue(fs.isOpen(), "the refused opens leave the first one working");
      Files.writeString(fs.getPath(root.resolve("f.txt").toString()), "still journaled");
      Checkpointer.of(fs).rollback(0);
      assertEquals("original", Files.readString(root.resolve("f.txt")));
    }
  }

  @Test
  void theStoreMayBeGivenInTheEnvironmentInstead() throws IOException {
    Path root = harness.root();
    Path store = harness.store();
    try (FileSystem fs =
        FileSystems.newFileSystem(
            URI.create("metamori:///"), Map.of("store", store, "roots", List.of(root), "blockSize", 512))) {
      assertSame(fs, FileSystems.getFileSystem(uriOf(store)));
      Files.write(fs.getPath(root.resolve("big").toString()), new byte[4096]);
      Checkpointer cp = Checkpointer.of(fs);
      cp.commit();
      try (var c = java.nio.channels.FileChannel.open(
          fs.getPath(root.resolve("big").toString()), java.nio.file.StandardOpenOption.WRITE)) {
        c.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 1000);
        c.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 3000);
      }
      cp.commit();
      assertEquals(2, cp.epochs().get(2).blocksJournaled(), "512-byte blocks: two blocks saved");
    }
  }

  @Test
  void badUrisAndEnvironmentsAreRefusedClearly() throws IOException {
    Path root = harness.root();
    Path store = harness.store();
    IllegalArgumentException noRoots =
        assertThrows(IllegalArgumentException.class, () -> FileSystems.newFileSystem(uriOf(store), Map.of()));
    assertTrue(noRoots.getMessage().contains("roots"), noRoots.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> FileSystems.newFileSystem(URI.create("metamori:///"), Map.of("roots", List.of(root))));
    assertThrows(
        FileSystemNotFoundException.class,
        () -> FileSystems.getFileSystem(uriOf(harness.dir().resolve("never-opened"))));
    assertThrows(IllegalArgumentException.class, () -> Checkpointer.of(FileSystems.getDefault()));
  }
}
