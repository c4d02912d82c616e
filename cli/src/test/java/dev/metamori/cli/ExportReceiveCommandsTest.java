package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.MemoryRegion;
import dev.metamori.cli.CliTest.Run;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
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
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metamori export} and {@code receive}: streams through files and pipes between two stores
 * whose roots lie elsewhere, and the streams that are refused.
 */
class ExportReceiveCommandsTest {
  @TempDir Path tmp;
  Path data;
  Path store;
  Path copy;
  Path target;
  Path streams;

  static Run run(InputStream stdin, OutputStream stdout, boolean terminal, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = Main.run(stdin, stdout, new PrintWriter(out), new PrintWriter(err), terminal, args);
    return new Run(code, out.toString(), err.toString());
  }

  static Run run(String... args) {
    return run(InputStream.nullInputStream(), OutputStream.nullOutputStream(), false, args);
  }

  /**
   * The source store tracks {@code data}: epoch 1 "first" has a, sub/b, a 64 KiB file and a
   * region. The target store tracks the empty {@code copy} and is at epoch 0.
   */
  @BeforeEach
  void twoStores() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    store = tmp.resolve("store");
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Files.writeString(path(cp, "a"), "one");
      Files.createDirectory(path(cp, "sub"));
      Files.writeString(path(cp, "sub/b"), "bee");
      byte[] big = new byte[64 * 1024];
      big[5000] = 1;
      Files.write(path(cp, "big"), big);
      cp.region("grid", 8192).buffer().putLong(0, 7);
      assertEquals(1, cp.commit("first"));
    }
    copy = Files.createDirectories(tmp.resolve("elsewhere").resolve("copy"));
    target = tmp.resolve("target");
    Checkpointer.builder(target).track(copy).open().close();
    streams = Files.createDirectory(tmp.resolve("streams"));
  }

  private Path path(Checkpointer cp, String relative) {
    return cp.fileSystem().getPath(data.resolve(relative).toString());
  }

  /** Every entry under {@code root} by its path relative to it: a file's bytes, or "dir". */
  private static Map<String, String> tree(Path root) throws IOException {
    Map<String, String> tree = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : (Iterable<Path>) all::iterator) {
        if (!p.equals(root)) {
          tree.put(root.relativize(p).toString(),
              Files.isDirectory(p) ? "dir" : Arrays.toString(Files.readAllBytes(p)));
        }
      }
    }
    return tree;
  }

  private List<Epoch> targetEpochs() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(target).open()) {
      return cp.epochs();
    }
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> list = Files.list(dir)) {
      return list.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void aFullStreamWrittenToAFileIsReceivedIntoAStoreWithOtherRoots() throws IOException {
    Path file = streams.resolve("first.mms");
    Run export = run("-s", store.toString(), "export", "first", file.toString());
    long size = Files.size(file);
    assertEquals(
        new Run(0, "exported epoch 1 \"first\" (full stream) to " + file + ": " + ByteSize.of(size) + "\n", ""),
        export);
    assertEquals(List.of("first.mms"), names(streams), "no temporary file is left");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), "owner-only");

    Run receive = run("-s", target.toString(), "receive", file.toString());
    assertEquals(
        new Run(0, "received epoch 1 \"first\" (on epoch 0) from " + file + ": " + ByteSize.of(size) + "\n", ""),
        receive);
    assertEquals(tree(data), tree(copy));
    assertEquals(List.of("a", "big", "sub", "sub/b"), List.copyOf(tree(copy).keySet()));
    try (Checkpointer cp = Checkpointer.builder(target).open()) {
      assertEquals(1, cp.currentEpoch());
      assertEquals(1, cp.epoch("first").id(), "the label came with the stream");
      MemoryRegion grid = cp.region("grid", 8192);
      assertEquals(7, grid.buffer().getLong(0), "the region came with the stream");
    }
  }

  @Test
  void aStreamWrittenToStandardOutputIsReceivedFromStandardInput() throws IOException {
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    Run export = run(InputStream.nullInputStream(), pipe, false, "-s", store.toString(), "export", "1", "-");
    assertEquals(0, export.code(), export.err());
    assertEquals("", export.out(), "standard output carries the stream alone");
    assertEquals(
        "exported epoch 1 \"first\" (full stream) to standard output: " + ByteSize.of(pipe.size()) + "\n",
        export.err());
    Path file = streams.resolve("first.mms");
    assertEquals(0, run("-s", store.toString(), "export", "1", file.toString()).code());
    assertArrayEquals(Files.readAllBytes(file), pipe.toByteArray(), "the same stream as in a file");

    Run receive =
        run(new ByteArrayInputStream(pipe.toByteArray()), OutputStream.nullOutputStream(), false,
            "-s", target.toString(), "receive", "-", "--json");
    assertEquals(
        new Run(0, "{\"store\":\"" + target + "\",\"created\":false,\"epoch\":1,\"label\":\"first\",\"parent\":0,\"file\":\"-\",\"bytes\":"
            + pipe.size() + "}\n", ""),
        receive);
    assertEquals(tree(data), tree(copy));
  }

  @Test
  void anIncrementalStreamCarriesWhatChangedFromTheBase() throws IOException {
    Path full = streams.resolve("full.mms");
    assertEquals(0, run("-s", store.toString(), "export", "first", full.toString()).code());
    assertEquals(0, run("-s", target.toString(), "receive", full.toString()).code());
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      Files.writeString(path(cp, "a"), "two, longer");
      Files.delete(path(cp, "sub/b"));
      Files.writeString(path(cp, "c"), "sea");
      try (FileChannel c = FileChannel.open(path(cp, "big"), StandardOpenOption.WRITE)) {
        c.write(ByteBuffer.wrap(new byte[] {9}), 40_000);
      }
      assertEquals(2, cp.commit("second"));
    }
    Path delta = streams.resolve("delta.mms");
    Run export = run("-s", store.toString(), "export", "--base", "first", "second", delta.toString(), "--json");
    assertEquals(
        new Run(0, "{\"store\":\"" + store + "\",\"epoch\":2,\"label\":\"second\",\"base\":1,\"file\":\"" + delta
            + "\",\"bytes\":" + Files.size(delta) + "}\n", ""),
        export);
    assertTrue(Files.size(delta) < Files.size(full), Files.size(delta) + " < " + Files.size(full));

    Run receive = run("-s", target.toString(), "receive", delta.toString());
    assertEquals(0, receive.code(), receive.err());
    assertTrue(receive.out().startsWith("received epoch 2 \"second\" (on epoch 1) from " + delta), receive.out());
    assertEquals(tree(data), tree(copy));
    assertEquals("two, longer", Files.readString(copy.resolve("a")));
    assertFalse(Files.exists(copy.resolve("sub/b")));

    Run text = run("-s", store.toString(), "export", "--base", "1", "2", streams.resolve("again.mms").toString());
    assertTrue(text.out().startsWith("exported epoch 2 \"second\" (incremental from epoch 1 \"first\") to "), text.out());
    Run twice = run("-s", target.toString(), "receive", delta.toString());
    assertEquals(6, twice.code(), "the store already holds that epoch");
    assertTrue(twice.err().startsWith("metamori: this store already holds the stream's "), twice.err());
  }

  @Test
  void withTrackADirectoryThatHoldsNoStoreBecomesOne() throws IOException {
    Path file = streams.resolve("first.mms");
    assertEquals(0, run("-s", store.toString(), "export", "first", file.toString()).code());
    Path root = Files.createDirectory(tmp.resolve("root"));
    Path fresh = tmp.resolve("fresh");
    Run receive = run("-s", fresh.toString(), "receive", "--track", root.toString(), file.toString());
    assertEquals(0, receive.code(), receive.err());
    assertEquals(
        "created the store " + fresh + ", tracking " + root + "\n"
            + "received epoch 1 \"first\" (on epoch 0) from " + file + ": " + ByteSize.of(Files.size(file)) + "\n",
        receive.out());
    assertEquals(tree(data), tree(root));
    Run again = run("-s", fresh.toString(), "receive", "--track", root.toString(), file.toString());
    assertEquals(2, again.code());
    assertTrue(again.err().startsWith(fresh + " is already a store, which tracks the roots it records: drop --track"),
        again.err());
    Run twoRoots = run("-s", tmp.resolve("two").toString(), "receive", "--track", root.toString(),
        "--track", copy.toString(), file.toString());
    assertEquals(6, twoRoots.code(), "a stream of one root does not fit two");
    assertTrue(twoRoots.err().startsWith("metamori: the stream holds 1 tracked root(s), this store tracks 2"),
        twoRoots.err());
  }

  @Test
  void aDamagedOrCutStreamIsRefusedAndTheTargetIsUnchanged() throws IOException {
    Path file = streams.resolve("first.mms");
    assertEquals(0, run("-s", store.toString(), "export", "first", file.toString()).code());
    byte[] stream = Files.readAllBytes(file);

    byte[] damaged = stream.clone();
    damaged[damaged.length / 2] ^= 0x5a;
    Path bad = Files.write(streams.resolve("damaged.mms"), damaged);
    Run r = run("-s", target.toString(), "receive", bad.toString());
    assertEquals(6, r.code());
    assertEquals("", r.out());
    assertTrue(r.err().startsWith("metamori: the stream is damaged at byte "), r.err());
    assertTrue(r.err().endsWith("; nothing was changed: export it again and send it whole\n"), r.err());
    assertEquals(1, r.err().split("\n").length, "one line: " + r.err());

    byte[] cut = Arrays.copyOf(stream, stream.length / 2);
    Run c = run(new ByteArrayInputStream(cut), OutputStream.nullOutputStream(), false,
        "-s", target.toString(), "receive", "-");
    assertEquals(6, c.code());
    assertTrue(c.err().startsWith("metamori: the stream "), c.err());

    Path text = Files.writeString(streams.resolve("notes.txt"), "not a stream, only a few words of text\n".repeat(10));
    Run notAStream = run("-s", target.toString(), "receive", text.toString());
    assertEquals(6, notAStream.code());
    assertTrue(notAStream.err().startsWith("metamori: this is not a Metamori export stream"), notAStream.err());

    assertEquals(Map.of(), tree(copy), "the target's tree is untouched");
    assertEquals(List.of(0L), targetEpochs().stream().map(Epoch::id).toList(), "no epoch was committed");
    assertEquals(0, run("-s", target.toString(), "receive", file.toString()).code(), "the sound stream still applies");
    assertEquals(tree(data), tree(copy));
  }

  @Test
  void anUnknownEpochIsAClearErrorAndWritesNothing() throws IOException {
    Path file = streams.resolve("nine.mms");
    assertEquals(
        new Run(4, "", "metamori: no such epoch 9: it is not in the store (see metamori log)\n"),
        run("-s", store.toString(), "export", "9", file.toString()));
    Run base = run("-s", store.toString(), "export", "--base", "zeroth", "1", file.toString());
    assertEquals(4, base.code());
    assertTrue(base.err().startsWith("metamori: no such epoch labelled 'zeroth': "), base.err());
    assertEquals(List.of(), names(streams), "no file, no temporary file");
  }

  @Test
  void badFilesAreUsageErrors() throws IOException {
    Run missing = run("-s", target.toString(), "receive", streams.resolve("none.mms").toString());
    assertEquals(2, missing.code());
    assertTrue(missing.err().startsWith(streams.resolve("none.mms") + " is not a file: name a stream written by"),
        missing.err());
    Run directory = run("-s", store.toString(), "export", "1", streams.toString());
    assertEquals(2, directory.code());
    assertTrue(directory.err().startsWith(streams + " is a directory: "), directory.err());
    Path nowhere = tmp.resolve("nowhere").resolve("x.mms");
    Run noDir = run("-s", store.toString(), "export", "1", nowhere.toString());
    assertEquals(2, noDir.code());
    assertTrue(noDir.err().startsWith("cannot write " + nowhere + ": the directory "), noDir.err());
    assertEquals(2, run("-s", store.toString(), "export", "1").code(), "FILE is required");
  }

  @Test
  void aFailedWriteLeavesTheFileAsItWasAndNoTemporaryFile() throws IOException {
    Path file = Files.writeString(streams.resolve("s.mms"), "the previous stream");
    IOException failure = assertThrows(IOException.class, () -> ExportCommand.writeAtomically(file, out -> {
      out.write(new byte[100_000]);
      throw new IOException("no space left on device");
    }));
    assertEquals("no space left on device", failure.getMessage());
    assertEquals("the previous stream", Files.readString(file));
    assertEquals(List.of("s.mms"), names(streams));

    Path fresh = streams.resolve("fresh.mms");
    assertThrows(IOException.class, () -> ExportCommand.writeAtomically(fresh, out -> {
      throw new IOException("failed");
    }));
    assertEquals(List.of("s.mms"), names(streams));

    assertEquals(3, ExportCommand.writeAtomically(file, out -> out.write(new byte[] {1, 2, 3})));
    assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(file), "replaced whole");
    assertEquals(List.of("s.mms"), names(streams));
  }

  @Test
  void onATerminalBothDrawAProgressLineOnStderr() throws IOException {
    try (Checkpointer cp = Checkpointer.builder(store).open()) {
      for (int i = 0; i < 200; i++) {
        Files.writeString(path(cp, "f" + i), "file " + i);
      }
      assertEquals(2, cp.commit("many"));
    }
    ByteArrayOutputStream pipe = new ByteArrayOutputStream();
    Run export = run(InputStream.nullInputStream(), pipe, true, "-s", store.toString(), "export", "2", "-");
    assertEquals(0, export.code(), export.err());
    assertTrue(export.err().startsWith("\rexport "), export.err());
    assertTrue(export.err().contains("export 100%"), export.err());
    assertTrue(export.err().endsWith("\nexported epoch 2 \"many\" (full stream) to standard output: "
        + ByteSize.of(pipe.size()) + "\n"), export.err());

    Run receive = run(new ByteArrayInputStream(pipe.toByteArray()), OutputStream.nullOutputStream(), true,
        "-s", target.toString(), "receive", "-");
    assertEquals(0, receive.code(), receive.err());
    assertTrue(receive.err().startsWith("\rreceive  "), receive.err());
    // while it reads, checks and applies the stream (every 64 records, total unknown), then at its end
    assertTrue(receive.err().contains(" read  "), receive.err());
    assertTrue(receive.err().contains("receive 100%"), receive.err());
    assertTrue(receive.out().startsWith("received epoch 1 "), "results stay on stdout: " + receive.out());
  }
}
