package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.TypeConversionException;

/** The real commands on a real store, their output and their exit codes. */
class CliTest {
  @TempDir Path tmp;
  Path data;
  Path store;

  /** What one run printed, and how it exited. */
  record Run(int code, String out, String err) {}

  static Run run(boolean terminal, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(new PrintWriter(out), new PrintWriter(err), terminal, args);
    return new Run(code, out.toString(), err.toString());
  }

  static Run run(String... args) {
    return run(false, args);
  }

  /** Random bytes that a region-less test can save as an object. */
  static final class Blob implements Checkpointable {
    final byte[] bytes = new byte[64 * 1024];

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      in.readNBytes(bytes, 0, bytes.length);
    }
  }

  /** Epoch 1 "first": a gets "one"; 2 "second": "two" and a region; 3: "three" and an object. */
  @BeforeEach
  void threeEpochs() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    store = tmp.resolve("store");
    Files.write(data.resolve("big"), new byte[64 * 1024]);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Path a = cp.fileSystem().getPath(data.resolve("a").toString());
      Path big = cp.fileSystem().getPath(data.resolve("big").toString());
      Files.writeString(a, "one");
      cp.commit("first");
      Files.writeString(a, "two");
      try (FileChannel c = FileChannel.open(big, StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {1}), 5000);
      }
      MemoryRegion grid = cp.region("grid", 8192);
      grid.buffer().putLong(0, 7);
      cp.commit("second");
      Files.writeString(a, "three");
      Blob blob = new Blob();
      new Random(3).nextBytes(blob.bytes);
      cp.register("model", blob);
      cp.commit();
    }
  }

  private Path segment(long epoch) {
    return store.resolve("segments").resolve(String.format("%020d.seg", epoch));
  }

  private static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset);
      b.put(0, (byte) ~b.get(0));
      c.write(b.flip(), offset);
    }
  }

  @Test
  void logListsTheEpochsNewestFirstAndMarksTheCurrentOne() {
    Run r = run("--store", store.toString(), "log");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    String[] lines = r.out().split("\n");
    assertEquals("* epoch 3 (current)", lines[0]);
    assertEquals("|   parent 2, committed " + lines[1].substring(lines[1].indexOf("committed ") + 10), lines[1]);
    assertTrue(lines[1].matches("\\|   parent 2, committed \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC"), lines[1]);
    assertTrue(lines[2].matches("\\|   [0-9.]+ (B|KiB) journaled, 1 file changed, 1 block saved"), lines[2]);
    assertEquals("|", lines[3]);
    assertEquals("* epoch 2 \"second\"", lines[4]);
    assertTrue(r.out().indexOf("* epoch 1 \"first\"") > r.out().indexOf("* epoch 2"));
    assertTrue(r.out().contains("|\n* epoch 1 \"first\"\n|   parent 0, "), r.out());
    assertTrue(r.out().contains("|\n* epoch 0\n    root, committed "), r.out());
    assertTrue(r.out().endsWith(" UTC\n    0 B journaled, 0 files changed, 0 blocks saved\n"), r.out());
  }

  /** The three lines log prints of {@code e} after its graph, with {@code title} first. */
  private static String[] describe(Epoch e, String title) {
    return new String[] {
      title,
      (e.parent() < 0 ? "root" : "parent " + e.parent()) + ", committed " + LogCommand.TIME.format(e.committedAt()),
      ByteSize.of(e.bytesJournaled()) + " journaled, " + e.filesChanged()
          + (e.filesChanged() == 1 ? " file" : " files") + " changed, " + e.blocksJournaled()
          + (e.blocksJournaled() == 1 ? " block" : " blocks") + " saved"
    };
  }

  /** Restores "first" and commits epoch 4 "fork" on it: 2 and 3 become a branch. */
  private Map<Long, Epoch> fork() throws IOException {
    assertEquals(0, run("-s", store.toString(), "restore", "first").code());
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      Files.writeString(cp.fileSystem().getPath(data.resolve("a").toString()), "four");
      assertEquals(4, cp.commit("fork"));
      Map<Long, Epoch> epochs = new TreeMap<>();
      for (Epoch e : cp.epochs()) {
        epochs.put(e.id(), e);
      }
      return epochs;
    }
  }

  @Test
  void logDrawsTwoBranchesAsATreeWithTheCurrentLineFirst() throws IOException {
    Map<Long, Epoch> e = fork();
    String[] four = describe(e.get(4L), "epoch 4 (current) \"fork\"");
    String[] three = describe(e.get(3L), "epoch 3");
    String[] two = describe(e.get(2L), "epoch 2 \"second\"");
    String[] one = describe(e.get(1L), "epoch 1 \"first\"");
    String[] zero = describe(e.get(0L), "epoch 0");
    Run r = run("-s", store.toString(), "log");
    assertEquals(0, r.code(), r.err());
    assertEquals(
        String.join("\n",
                "* " + four[0], "|   " + four[1], "|   " + four[2],
                "|",
                "| * " + three[0], "| |   " + three[1], "| |   " + three[2],
                "| |",
                "| * " + two[0], "| |   " + two[1], "| |   " + two[2],
                "|/",
                "* " + one[0], "|   " + one[1], "|   " + one[2],
                "|",
                "* " + zero[0], "    " + zero[1], "    " + zero[2])
            + "\n",
        r.out());

    // back on the other branch: its epochs are now the first column, 4 a branch of 1
    assertEquals(0, run("-s", store.toString(), "restore", "3").code());
    Run back = run("-s", store.toString(), "log");
    four = describe(e.get(4L), "epoch 4 \"fork\"");
    three = describe(e.get(3L), "epoch 3 (current)");
    assertEquals(
        String.join("\n",
                "  * " + four[0], "  |   " + four[1], "  |   " + four[2],
                "  |",
                "* | " + three[0], "| |   " + three[1], "| |   " + three[2],
                "| |",
                "* | " + two[0], "| |   " + two[1], "| |   " + two[2],
                "|/",
                "* " + one[0], "|   " + one[1], "|   " + one[2],
                "|",
                "* " + zero[0], "    " + zero[1], "    " + zero[2])
            + "\n",
        back.out());
  }

  @Test
  void theStoreMayBeNamedAfterTheCommandAndShort() {
    Run before = run("--store", store.toString(), "log");
    assertEquals(before, run("log", "--store", store.toString()));
    assertEquals(before, run("log", "-s", store.toString()));
  }

  @Test
  void logJsonHasOneObjectPerEpoch() {
    Run r = run("-s", store.toString(), "log", "--json");
    assertEquals(0, r.code(), r.err());
    String json = r.out();
    assertTrue(json.startsWith("{\"store\":\"" + store + "\",\"current\":3,\"epochs\":[{\"id\":3,\"parent\":2,\"committedAt\":\""), json);
    assertTrue(json.contains(",\"label\":null,\"bytesJournaled\":"), json);
    assertTrue(json.contains("\"filesChanged\":1,\"current\":true,\"onCurrentLine\":true,\"children\":[]}"), json);
    assertTrue(json.contains("{\"id\":1,\"parent\":0,"), json);
    assertTrue(json.contains("\"label\":\"first\""), json);
    assertTrue(json.endsWith("\"current\":false,\"onCurrentLine\":true,\"children\":[1]}]}\n"), json);
    assertEquals(4, json.split("\"id\":").length - 1);
  }

  @Test
  void logJsonTellsTheChildrenAndTheCurrentLine() throws IOException {
    fork();
    assertEquals(0, run("-s", store.toString(), "restore", "second").code());
    String json = run("-s", store.toString(), "log", "--json").out();
    assertTrue(json.startsWith("{\"store\":\"" + store + "\",\"current\":2,\"epochs\":[{\"id\":4,\"parent\":1,"), json);
    assertTrue(json.contains("\"current\":false,\"onCurrentLine\":false,\"children\":[]},{\"id\":3,\"parent\":2,"), json);
    assertTrue(json.contains("\"current\":true,\"onCurrentLine\":true,\"children\":[3]},{\"id\":1,\"parent\":0,"), json);
    assertTrue(json.contains("\"current\":false,\"onCurrentLine\":true,\"children\":[2,4]},{\"id\":0,"), json);
  }

  @Test
  void verifyOfASoundStoreSaysSoAndExitsZero() {
    Run r = run("-s", store.toString(), "verify");
    assertEquals(new Run(0, "4 epochs verified: no damage\n", ""), r);
    Run j = run("-s", store.toString(), "verify", "--json");
    assertEquals(
        new Run(0, "{\"store\":\"" + store + "\",\"epochs\":4,\"ok\":true,\"damage\":[],\"outsideChanges\":[]}\n", ""), j);
  }

  @Test
  void verifyListsEachDamageAndExitsOne() throws IOException {
    flipByte(segment(2), 40 + 20); // inside the first record of epoch 2
    Run r = run("-s", store.toString(), "verify");
    assertEquals(1, r.code(), r.err());
    String name = "segments" + store.getFileSystem().getSeparator() + segment(2).getFileName();
    assertEquals(
        "damage: " + name + " at offset 40 (epoch 2): record checksum mismatch\n"
            + "1 damaged record found in 4 epochs; restore the store directory from a backup\n",
        r.out());
    Run j = run("-s", store.toString(), "--json", "verify");
    assertEquals(1, j.code());
    assertTrue(
        j.out().contains(
            "\"ok\":false,\"damage\":[{\"file\":\"" + name.replace("\\", "\\\\")
                + "\",\"offset\":40,\"epoch\":2,\"message\":\"record checksum mismatch\"}]"),
        j.out());
  }

  @Test
  void verifyNamesADamagedTrashEntryAndARestoreThatWouldUseItIsRefused() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      Files.delete(cp.fileSystem().getPath(data.resolve("big").toString()));
      assertEquals(4, cp.commit());
    }
    Path entry = store.resolve("trash").resolve("4").resolve("1");
    flipByte(entry, 1000);
    Run r = run("-s", store.toString(), "verify");
    assertEquals(1, r.code(), r.err());
    String name = "trash" + store.getFileSystem().getSeparator() + "4" + store.getFileSystem().getSeparator() + "1";
    assertTrue(
        r.out().startsWith(
            "damage: " + name + " (epoch 4): the trash entry does not match its checksum (names, link targets or"
                + " contents differ); it is what a restore puts back at " + data.toRealPath().resolve("big")
                + " (removed in epoch 4) when it undoes epoch 4"),
        r.out());
    assertTrue(
        r.out().endsWith("\n1 damaged trash entry found in 5 epochs; restore the store directory from a backup\n"),
        r.out());
    Run restore = run("-s", store.toString(), "restore", "first");
    assertEquals(1, restore.code());
    assertTrue(restore.err().startsWith("metamori: corrupt store: " + entry.toRealPath()), restore.err());
    assertFalse(Files.exists(data.resolve("big")), "nothing changed");
    assertEquals("three", Files.readString(data.resolve("a")), "nothing changed");
  }

  @Test
  void restoreAcrossADamagedRecordIsRefusedWithExitOne() throws IOException {
    flipByte(segment(2), 40 + 20);
    Run r = run("-s", store.toString(), "restore", "first");
    assertEquals(1, r.code());
    assertTrue(r.err().startsWith("metamori: corrupt store: "), r.err());
    assertEquals("three", Files.readString(data.resolve("a")), "nothing changed");
  }

  @Test
  void statsShowsSizesRatiosFilesRegionsAndObjects() {
    Run r = run("-s", store.toString(), "stats");
    assertEquals(0, r.code(), r.err());
    String out = r.out();
    assertTrue(out.startsWith("store " + store + ": "), out);
    assertTrue(out.matches("(?s).*\n  segments +[0-9.]+ KiB\n  index +[0-9.]+ KiB\n  trash +0 B\n.*"), out);
    assertTrue(out.matches("(?s).*saved blocks, pages and chunks: [0-9.]+ KiB, stored as [0-9.]+ KiB \\(compression [0-9]+\\.[0-9]{2}x\\)\n.*"), out);
    assertTrue(out.contains("   EPOCH    JOURNALED      PAYLOAD       STORED   RATIO        TRASH\n       3 "), out);
    assertTrue(out.contains("files: the 3 most costly of 3 (undo data and trashed copies)"), out);
    assertTrue(out.contains("epochs  " + data.resolve("a")) || out.contains("epochs  " + tmp.toAbsolutePath()), out);
    assertTrue(out.matches("(?s).*\n  region grid +[0-9.]+ (B|KiB) journaled\n.*"), out);
    assertTrue(out.matches("(?s).*\n  object model +[0-9.]+ KiB journaled, 0 B saved by dedupe\n.*"), out);
    Run top = run("-s", store.toString(), "stats", "--top", "1");
    assertTrue(top.out().contains("files: the 1 most costly of 3"), top.out());
  }

  @Test
  void statsJsonHasTheDocumentedFields() {
    Run r = run("-s", store.toString(), "stats", "--json");
    assertEquals(0, r.code(), r.err());
    String json = r.out();
    for (String field :
        new String[] {
          "store", "totalBytes", "segmentBytes", "indexBytes", "trashBytes", "payloadBytes",
          "storedPayloadBytes", "compressionRatio", "dedupeSavedBytes", "epochs", "id",
          "bytesJournaled", "files", "path", "bytes", "states", "name", "kind"
        }) {
      assertTrue(json.contains("\"" + field + "\":"), field + " in " + json);
    }
    assertTrue(json.contains("{\"name\":\"grid\",\"kind\":\"region\",\"bytesJournaled\":"), json);
    assertTrue(json.contains("{\"name\":\"model\",\"kind\":\"object\",\"bytesJournaled\":"), json);
  }

  @Test
  void restoreByLabelPutsTheFilesBackAndKeepsNewerEpochs() throws IOException {
    Run r = run("-s", store.toString(), "restore", "first");
    assertEquals(new Run(0, "restored epoch 1 \"first\" (was at epoch 3; 2 epochs undone, 0 redone)\n", ""), r);
    assertEquals("one", Files.readString(data.resolve("a")));
    assertEquals(0, Files.readAllBytes(data.resolve("big"))[5000]);
    String log = run("-s", store.toString(), "log").out();
    assertTrue(log.startsWith("  * epoch 3\n"), log);
    assertTrue(log.contains("\n  * epoch 2 \"second\"\n"), log);
    assertTrue(log.contains("\n /\n* epoch 1 (current) \"first\"\n"), log);
  }

  @Test
  void restoreForwardRedoesTheNewerEpochs() throws IOException {
    assertEquals(0, run("-s", store.toString(), "restore", "0").code());
    Run r = run("-s", store.toString(), "restore", "3");
    assertEquals(new Run(0, "restored epoch 3 (was at epoch 0; 0 epochs undone, 3 redone)\n", ""), r);
    assertEquals("three", Files.readString(data.resolve("a")));
    assertEquals(1, Files.readAllBytes(data.resolve("big"))[5000]);
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      assertEquals(7, cp.region("grid", 8192).buffer().getLong(0), "the region as at epoch 3");
      Blob blob = new Blob();
      cp.register("model", blob);
      Blob saved = new Blob();
      new Random(3).nextBytes(saved.bytes);
      assertArrayEquals(saved.bytes, blob.bytes, "the object as at epoch 3");
    }
  }

  @Test
  void restoreToAnotherBranchUndoesUpToTheCommonAncestorAndRedoesDown() throws IOException {
    fork();
    Run r = run("-s", store.toString(), "restore", "3");
    assertEquals(new Run(0, "restored epoch 3 (was at epoch 4; 1 epoch undone, 2 redone, via epoch 1)\n", ""), r);
    assertEquals("three", Files.readString(data.resolve("a")));
    assertEquals(1, Files.readAllBytes(data.resolve("big"))[5000]);
    Run j = run("-s", store.toString(), "restore", "fork", "--json");
    assertEquals(
        new Run(
            0,
            "{\"store\":\"" + store + "\",\"from\":3,\"to\":4,\"label\":\"fork\",\"commonAncestor\":1,"
                + "\"epochsUndone\":2,\"epochsRedone\":1}\n",
            ""),
        j);
    assertEquals("four", Files.readString(data.resolve("a")));
    assertEquals(0, Files.readAllBytes(data.resolve("big"))[5000]);
  }

  @Test
  void restoreByIdWithJson() throws IOException {
    Run r = run("-s", store.toString(), "restore", "2", "--json");
    assertEquals(
        new Run(
            0,
            "{\"store\":\"" + store + "\",\"from\":3,\"to\":2,\"label\":\"second\",\"commonAncestor\":2,"
                + "\"epochsUndone\":1,\"epochsRedone\":0}\n",
            ""),
        r);
    assertEquals("two", Files.readString(data.resolve("a")));
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      MemoryRegion grid = cp.region("grid", 8192);
      assertEquals(7, grid.buffer().getLong(0), "the region as at epoch 2");
    }
  }

  @Test
  void onlyAnEpochThatIsNotInTheStoreExitsFour() throws IOException {
    assertEquals(0, run("-s", store.toString(), "restore", "1").code());
    Run id = run("-s", store.toString(), "restore", "9");
    assertEquals(new Run(4, "", "metamori: no such epoch 9: it is not in the store (see metamori log)\n"), id);
    Run label = run("-s", store.toString(), "restore", "third");
    assertEquals(4, label.code());
    assertTrue(label.err().startsWith("metamori: no such epoch labelled 'third': "), label.err());
    assertEquals("one", Files.readString(data.resolve("a")), "nothing changed");
    assertEquals(0, run("-s", store.toString(), "restore", "second").code(), "a newer epoch is a target");
    assertEquals("two", Files.readString(data.resolve("a")));
  }

  @Test
  void aStoreHeldByALiveCheckpointerIsRefusedWithExitThree() throws IOException {
    try (Checkpointer held = Checkpointer.builder(store).open()) {
      for (String command : new String[] {"log", "verify", "stats"}) {
        Run r = run("-s", store.toString(), command);
        assertEquals(3, r.code(), command);
        assertEquals("", r.out());
        assertTrue(r.err().startsWith("metamori: store "), r.err());
        assertTrue(r.err().contains(" is locked by another Checkpointer in this process"), r.err());
      }
      assertEquals(3, run("-s", store.toString(), "restore", "1").code());
      assertEquals(3, run("-s", store.toString(), "prune", "--keep-last", "1").code());
      assertEquals(3, held.currentEpoch(), "the holder's store is untouched");
    }
    assertEquals("three", Files.readString(data.resolve("a")));
  }

  @Test
  void usageErrorsExitTwo() throws IOException {
    Run none = run();
    assertEquals(2, none.code());
    assertTrue(none.err().startsWith("metamori: name a command\nUsage: metamori "), none.err());
    Run unknown = run("-s", store.toString(), "frobnicate");
    assertEquals(2, unknown.code());
    assertTrue(unknown.err().contains("Unmatched argument at index 2: 'frobnicate'"), unknown.err());
    Run noStore = run("log");
    assertEquals(2, noStore.code());
    assertTrue(noStore.err().startsWith("Missing required option: '--store=DIR'"), noStore.err());
    assertEquals(2, run("-s", store.toString(), "restore").code());
    Path elsewhere = Files.createDirectory(tmp.resolve("elsewhere"));
    Run notAStore = run("-s", elsewhere.toString(), "log");
    assertEquals(2, notAStore.code());
    assertTrue(
        notAStore.err().startsWith(elsewhere + " is not a Metamori store (it has neither index.mv nor catalogue.seg)"),
        notAStore.err());
    try (var left = Files.list(elsewhere)) {
      assertEquals(0, left.count(), "no store was created there");
    }
  }

  @Test
  void otherErrorsExitFiveWithTheMessageOnStderr() throws IOException {
    Path root = data.toRealPath();
    Files.move(data, tmp.resolve("moved"));
    Run r = run("-s", store.toString(), "log");
    assertEquals(5, r.code());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("metamori: tracked root " + root), r.err());
    assertTrue(r.err().endsWith(" is not an existing directory: create it first\n"), r.err());
  }

  @Test
  void onATerminalLongCommandsDrawAProgressLineOnStderr() {
    Run r = run(true, "-s", store.toString(), "verify");
    assertEquals(0, r.code());
    assertEquals("4 epochs verified: no damage\n", r.out(), "results stay on stdout");
    // redrawn in place (how often depends on the speed), ending at 100% and a newline
    assertTrue(r.err().startsWith("\rverify "), r.err());
    String last = r.err().substring(r.err().lastIndexOf('\r'));
    assertTrue(
        last.matches("\rverify 100%  [0-9.]+ KiB of [0-9.]+ KiB  [0-9.]+ (B|KiB|MiB|GiB)/s  ETA 0:00 *\n"),
        last);
    Run json = run(true, "-s", store.toString(), "verify", "--json");
    assertEquals("", json.err(), "no progress line with --json");
    Run restore = run(true, "-s", store.toString(), "restore", "0");
    assertTrue(restore.err().contains("restore 100%"), restore.err());
    assertFalse(restore.out().contains("%"));
  }

  @Test
  void diffListsWhatChangedBetweenTwoEpochsByLabelOrId() {
    Run r = run("-s", store.toString(), "diff", "first", "second");
    assertEquals(0, r.code(), r.err());
    String a = data.resolve("a").toString();
    String big = data.resolve("big").toString();
    assertEquals(
        "M  " + a + "  3 bytes in 1 range: 0+3\n"
            + "M  " + big + "  4096 bytes in 1 range: 4096+4096\n"
            + "M  region grid  4096 bytes in 1 range: 0+4096\n"
            + "3 changes from epoch 1 to epoch 2\n",
        r.out());
    Run json = run("-s", store.toString(), "diff", "2", "3", "--json");
    assertEquals(0, json.code(), json.err());
    assertTrue(json.out().startsWith("{\"from\":2,\"to\":3,\"changes\":["), json.out());
    assertTrue(json.out().contains("\"kind\":\"OBJECT_CHANGED\",\"path\":\"model\""), json.out());
    assertEquals(4, run("-s", store.toString(), "diff", "1", "9").code());
  }

  @Test
  void pruneKeepLastRemovesTheOlderEpochsAndTheKeptOnesStillRestore() throws IOException {
    Run r = run("-s", store.toString(), "prune", "--keep-last", "2");
    assertEquals(0, r.code(), r.err());
    assertEquals("", r.err());
    String[] lines = r.out().split("\n");
    assertEquals("removed epoch 1 \"first\"", lines[0]);
    assertEquals("removed epoch 0", lines[1]);
    assertEquals("kept 2 epochs: 3 (current), 2 \"second\"", lines[2]);
    assertTrue(
        lines[3].matches("removed 2 epochs, reclaimed [0-9.]+ (B|KiB) \\(store [0-9.]+ KiB -> [0-9.]+ KiB\\)"),
        lines[3]);
    assertEquals(4, lines.length, r.out());

    String log = run("-s", store.toString(), "log").out();
    assertTrue(log.startsWith("* epoch 3 (current)\n|   parent 2, "), log);
    assertTrue(log.contains("\n* epoch 2 \"second\"\n    root, committed "), log);
    assertFalse(log.contains("epoch 1"), log);
    assertEquals(4, run("-s", store.toString(), "restore", "first").code(), "a removed epoch is gone");

    assertEquals(0, run("-s", store.toString(), "restore", "second").code());
    assertEquals("two", Files.readString(data.resolve("a")));
    assertEquals(1, Files.readAllBytes(data.resolve("big"))[5000]);
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      assertEquals(7, cp.region("grid", 8192).buffer().getLong(0), "the region as at epoch 2");
    }
    assertEquals(0, run("-s", store.toString(), "restore", "3").code());
    assertEquals("three", Files.readString(data.resolve("a")));
    assertEquals(new Run(0, "2 epochs verified: no damage\n", ""), run("-s", store.toString(), "verify"));
  }

  @Test
  void pruneDryRunListsWhatWouldGoAndChangesNothing() throws IOException {
    Run log = run("-s", store.toString(), "log", "--json");
    Run r = run("-s", store.toString(), "prune", "--keep-labelled", "--dry-run");
    assertEquals(
        new Run(
            0,
            "would remove epoch 0\n"
                + "would keep 3 epochs: 3 (current), 2 \"second\", 1 \"first\"\n"
                + "dry run: 1 epoch would be removed; nothing changed\n",
            ""),
        r);
    Run j = run("-s", store.toString(), "prune", "--keep-last", "0", "--dry-run", "--json");
    assertEquals(
        new Run(
            0,
            "{\"store\":\"" + store + "\",\"dryRun\":true,\"current\":3,\"removed\":["
                + "{\"id\":2,\"label\":\"second\"},{\"id\":1,\"label\":\"first\"},{\"id\":0,\"label\":null}],"
                + "\"kept\":[{\"id\":3,\"label\":null}],"
                + "\"storeBytesBefore\":null,\"storeBytesAfter\":null,\"reclaimedBytes\":null}\n",
            ""),
        j);
    assertEquals(log, run("-s", store.toString(), "log", "--json"), "nothing changed");
  }

  @Test
  void pruneKeepOnePerKeepsTheNewestEpochOfEachInterval() {
    // one bucket of a century holds every epoch: only the newest, the current one, stays
    Run r = run("-s", store.toString(), "prune", "--keep-one-per", "36500d", "--dry-run");
    assertTrue(r.out().startsWith("would remove epoch 2 \"second\"\nwould remove epoch 1 \"first\"\nwould remove epoch 0\n"), r.out());
    Run iso = run("-s", store.toString(), "prune", "--keep-one-per", "P36500D", "--keep-labelled");
    assertEquals(0, iso.code(), iso.err());
    assertTrue(iso.out().startsWith("removed epoch 0\nkept 3 epochs: 3 (current), 2 \"second\", 1 \"first\"\n"), iso.out());
  }

  @Test
  void durationsAreShortOrIso8601() {
    DurationConverter c = new DurationConverter();
    assertEquals(Duration.ofMinutes(30), c.convert("30m"));
    assertEquals(Duration.ofHours(1), c.convert("1h"));
    assertEquals(Duration.ofDays(2), c.convert("2d"));
    assertEquals(Duration.ofMinutes(90), c.convert("1h30m"));
    assertEquals(Duration.ofSeconds(45), c.convert("45s"));
    assertEquals(Duration.ofHours(1), c.convert("PT1H"));
    assertEquals(Duration.ofHours(1), c.convert("pt1h"));
    for (String bad : new String[] {"0h", "PT0S", "-PT1H", "1w", "h", "1.5h", "99999999999999999999d"}) {
      assertThrows(TypeConversionException.class, () -> c.convert(bad), bad);
    }
  }

  @Test
  void pruneDropBranchRemovesTheBranchAndKeepsTheRest() throws IOException {
    fork(); // 4 "fork" is current, on 1; 2 and 3 are a branch
    Run r = run("-s", store.toString(), "prune", "--drop-branch", "second", "--json");
    assertEquals(0, r.code(), r.err());
    assertTrue(
        r.out().startsWith(
            "{\"store\":\"" + store + "\",\"dryRun\":false,\"current\":4,\"removed\":["
                + "{\"id\":3,\"label\":null},{\"id\":2,\"label\":\"second\"}],\"kept\":["
                + "{\"id\":4,\"label\":\"fork\"},{\"id\":1,\"label\":\"first\"},{\"id\":0,\"label\":null}],"
                + "\"storeBytesBefore\":"),
        r.out());
    assertTrue(r.out().matches("(?s).*\"storeBytesAfter\":[0-9]+,\"reclaimedBytes\":[0-9]+}\n"), r.out());
    long before = Long.parseLong(r.out().replaceAll("(?s).*\"storeBytesBefore\":([0-9]+),.*", "$1"));
    long after = Long.parseLong(r.out().replaceAll("(?s).*\"storeBytesAfter\":([0-9]+),.*", "$1"));
    long reclaimed = Long.parseLong(r.out().replaceAll("(?s).*\"reclaimedBytes\":([0-9]+)}.*", "$1"));
    assertEquals(before - after, reclaimed);
    assertTrue(reclaimed > 64 * 1024 / 2, "epoch 3's object went: " + reclaimed);

    String log = run("-s", store.toString(), "log").out();
    assertTrue(log.startsWith("* epoch 4 (current) \"fork\"\n"), log);
    assertFalse(log.contains("epoch 2") || log.contains("epoch 3"), log);
    assertEquals(0, run("-s", store.toString(), "restore", "first").code());
    assertEquals("one", Files.readString(data.resolve("a")));
    assertEquals(0, run("-s", store.toString(), "restore", "fork").code());
    assertEquals("four", Files.readString(data.resolve("a")));
  }

  @Test
  void pruneRefusesToDropTheCurrentBranchWithExitSix() throws IOException {
    Run log = run("-s", store.toString(), "log");
    Run r = run("-s", store.toString(), "prune", "--keep-last", "1", "--drop-branch", "second");
    assertEquals(
        new Run(
            6,
            "",
            "metamori: --drop-branch second would drop the current epoch 3, which descends from"
                + " epoch 2: restore an epoch outside that branch first\n"),
        r);
    Run current = run("-s", store.toString(), "prune", "--drop-branch", "3", "--dry-run");
    assertEquals(6, current.code());
    assertEquals(
        "metamori: --drop-branch 3 would drop the current epoch 3: restore an epoch outside that"
            + " branch first\n",
        current.err());
    assertEquals(log, run("-s", store.toString(), "log"), "nothing changed");
  }

  @Test
  void pruneUsageErrorsExitTwoAndUnknownEpochsFour() {
    Run none = run("-s", store.toString(), "prune", "--dry-run");
    assertEquals(2, none.code());
    assertTrue(
        none.err().startsWith(
            "prune needs at least one of --keep-last N, --keep-labelled, --keep-one-per DURATION,"
                + " --drop-branch EPOCH (see metamori help prune)\nUsage: metamori prune "),
        none.err());
    Run zero = run("-s", store.toString(), "prune", "--keep-one-per", "0h");
    assertEquals(2, zero.code());
    assertTrue(
        zero.err().startsWith("Invalid value for option '--keep-one-per': '0h' is not a positive duration\n"),
        zero.err());
    Run word = run("-s", store.toString(), "prune", "--keep-one-per", "hourly");
    assertEquals(2, word.code());
    assertTrue(word.err().startsWith("Invalid value for option '--keep-one-per': 'hourly' is not a duration: "), word.err());
    Run negative = run("-s", store.toString(), "prune", "--keep-last", "-1");
    assertEquals(2, negative.code());
    assertTrue(negative.err().startsWith("--keep-last -1: the number of epochs to keep is negative\n"), negative.err());
    Run unknown = run("-s", store.toString(), "prune", "--drop-branch", "third");
    assertEquals(4, unknown.code());
    assertTrue(unknown.err().startsWith("metamori: no such epoch labelled 'third': "), unknown.err());
    assertEquals(4, run("-s", store.toString(), "log", "--json").out().split("\"id\":").length - 1);
  }
}
