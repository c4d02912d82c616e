package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.metamori.testing.StoreExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The store never widens access: what it writes is owner-only (directories 0700, files 0600)
 * whatever the umask, and a store found open to others is restricted, with a warning.
 */
class StorePermissionsTest {
  @RegisterExtension
  final StoreExtension store = StoreExtension.create().withTree(StorePermissionsChild::fill);

  @BeforeAll
  static void posixOnly() {
    assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"), "POSIX permissions");
  }

  @Test
  void everyDirectoryTheStoreCreatesIs0700AndEveryFileItWrites0600(Checkpointer cp) throws IOException {
    StorePermissionsChild.run(cp, store.root(), store.store());
  }

  /**
   * The umask of this JVM cannot be changed from inside it (it is usually 022, which would hide
   * a file created 0666 as 0644): a child JVM started by {@code sh} after {@code umask 000}
   * runs the same workload on a new store, and reports the mode a file created with the
   * defaults got, which proves the umask.
   */
  @Test
  void everythingIsOwnerOnlyUnderUmask000Too() throws Exception {
    assumeTrue(Files.isExecutable(Paths.get("/bin/sh")), "/bin/sh");
    Path childStore = store.dir().resolve("child-store");
    Path childRoot = Files.createDirectory(store.dir().resolve("child-root"));
    Path probe = store.dir().resolve("probe");
    List<String> command = new ArrayList<>();
    command.add("/bin/sh");
    command.add("-c");
    command.add("umask 000 && exec \"$0\" \"$@\""); // the arguments stay arguments: no quoting
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED"); // lz4-java's JNI, without a warning on JDK 24+
    command.add("-XX:TieredStopAtLevel=1");
    command.add("-XX:+UseSerialGC");
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StorePermissionsChild.class.getName());
    command.add(childStore.toString());
    command.add(childRoot.toString());
    command.add(probe.toString());
    Process child = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child finished");
    assertEquals(0, child.exitValue(), () -> "the child failed:\n" + out);
    assertTrue(out.contains("probe rw-rw-rw-"), () -> "the child's umask is 000:\n" + out);
    assertTrue(out.contains("ok"), out);
    StorePermissionsChild.assertOwnerOnly(childStore);
  }

  @Test
  void aStoreOpenToOthersIsRestrictedOnOpenWithAWarningAndTrashEntriesKeepTheirModes(Checkpointer cp)
      throws IOException {
    Path shared = cp.fileSystem().getPath(store.root().resolve("shared.txt").toString());
    Files.createFile(shared, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
    long one = cp.commit();
    Files.delete(shared);
    long two = cp.commit();
    cp.close();
    Path s = store.store();
    Path trashed;
    try (java.util.stream.Stream<Path> entries = Files.list(s.resolve("trash/" + two))) {
      trashed = entries.findFirst().orElseThrow();
    }
    assertEquals("rw-r--r--", mode(trashed), "the trash keeps the mode of what it holds");
    List<Path> opened = new ArrayList<>();
    for (String dir : List.of("", "segments", "trash", "trash/" + two)) {
      Files.setPosixFilePermissions(s.resolve(dir), PosixFilePermissions.fromString("rwxr-xr-x"));
      opened.add(s.resolve(dir));
    }
    for (String file : List.of("index.mv", "undo.progress", "LOCK", String.format("segments/%020d.seg", one))) {
      Files.setPosixFilePermissions(s.resolve(file), PosixFilePermissions.fromString("rw-rw-r--"));
      opened.add(s.resolve(file));
    }

    List<String> warnings = warningsWhile(() -> store.reopen());

    assertEquals(1, warnings.size(), () -> "one warning: " + warnings);
    String w = warnings.get(0);
    assertTrue(w.contains("store " + s.toRealPath() + ": 8 of its files and directories were open to users other"
        + " than their owner"), w);
    assertTrue(w.contains("their group and other permissions have been removed"), w);
    for (Path p : opened) {
      assertTrue(w.contains(p.toRealPath().toString()), () -> "names " + p + ": " + w);
    }
    assertTrue(!w.contains(trashed.toString()), w);
    for (Path p : opened) {
      assertEquals(Files.isDirectory(p) ? "rwx------" : "rw-------", mode(p), p.toString());
    }
    assertEquals("rw-r--r--", mode(trashed), "a trash entry is the application's file: its mode is left");
    store.cp().restore(one);
    assertEquals("rw-r--r--", mode(Paths.get(shared.toString())), "restored with its own mode");

    assertEquals(List.of(), warningsWhile(() -> store.reopen()), "a restricted store opens quietly");
  }

  @Test
  void theStoreDirectoryIsCreatedOwnerOnlyAndItsMissingParentsWithTheDefaults() throws IOException {
    Path plain = Files.createDirectory(store.dir().resolve("plain"));
    Path nested = store.dir().resolve("a/b/store");
    try (Checkpointer cp = Checkpointer.builder(nested).track(store.root()).open()) {
      assertEquals(0, cp.currentEpoch());
    }
    assertEquals("rwx------", mode(nested));
    assertEquals(mode(plain), mode(nested.getParent()));
    assertEquals(mode(plain), mode(nested.getParent().getParent()));
    StorePermissionsChild.assertOwnerOnly(nested);
  }

  private static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  interface IoAction {
    void run() throws IOException;
  }

  /** The warnings logged on {@code dev.metamori} while {@code action} runs, formatted. */
  private static List<String> warningsWhile(IoAction action) throws IOException {
    List<String> warnings = new ArrayList<>();
    SimpleFormatter formatter = new SimpleFormatter();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
              synchronized (warnings) {
                warnings.add(formatter.formatMessage(record));
              }
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    Logger logger = Logger.getLogger("dev.metamori");
    logger.addHandler(handler);
    try {
      action.run();
    } finally {
      logger.removeHandler(handler);
    }
    synchronized (warnings) {
      return List.copyOf(warnings);
    }
  }
}
