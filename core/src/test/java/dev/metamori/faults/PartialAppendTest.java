package dev.metamori.faults;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.testing.FaultyFileSystem;
import dev.metamori.testing.FaultyFileSystem.Fault;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An undo record append that runs out of space part way leaves half a frame in the segment;
 * the next, shorter record is written over its start. Neither commit nor recovery may then
 * take the rest of the half frame for damage.
 */
class PartialAppendTest {
  @TempDir Path tmp;

  private Path store;
  private Path root;
  private byte[] a0;
  private byte[] b0;

  private Checkpointer failOneAppendPartWayThenWriteOn(Durability durability) throws IOException {
    store = tmp.resolve("store");
    root = Files.createDirectories(tmp.resolve("root"));
    a0 = new byte[40_000];
    new java.util.Random(1).nextBytes(a0); // incompressible: each saved block makes a 4 KiB frame
    b0 = FaultWorkload.bytes(100, 2);
    Files.write(root.resolve("a.bin"), a0);
    Files.write(root.resolve("b.txt"), b0);
    FaultyFileSystem faulty = FaultyFileSystem.create();
    Checkpointer cp =
        Checkpointer.builder(faulty.getPath(store.toString()))
            .track(faulty.getPath(root.toString()))
            .durability(durability)
            .open();
    Path a = cp.fileSystem().getPath(root.resolve("a.bin").toString());
    Path b = cp.fileSystem().getPath(root.resolve("b.txt").toString());
    try (FileChannel c = FileChannel.open(a, StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[10]), 0); // the file's Touch record and first block
      faulty.failWhen(
          call -> call.path().toString().endsWith(".seg") && call.op().equals("write"),
          Fault.DISK_FULL_PART_WRITTEN,
          false);
      assertThrows(IOException.class, () -> c.write(ByteBuffer.wrap(new byte[10]), 20_000));
    }
    byte[] expected = a0.clone();
    java.util.Arrays.fill(expected, 0, 10, (byte) 0);
    assertArrayEquals(expected, Files.readAllBytes(root.resolve("a.bin")), "the refused write reached the file");
    Files.write(b, new byte[] {1, 2, 3}); // a short Touch record over the start of the half frame
    return cp;
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void aCommitAfterAnAppendThatRanOutOfSpacePartWaySucceedsAndRollsBackExactly(Durability durability)
      throws IOException {
    try (Checkpointer cp = failOneAppendPartWayThenWriteOn(durability)) {
      long e = cp.commit();
      assertEquals(List.of(), cp.verify());
      cp.rollback(0);
      assertArrayEquals(a0, Files.readAllBytes(root.resolve("a.bin")));
      assertArrayEquals(b0, Files.readAllBytes(root.resolve("b.txt")));
      assertEquals(0, cp.currentEpoch());
      assertEquals(2, e + 1);
    }
  }

  @ParameterizedTest
  @EnumSource(value = Durability.class, names = {"PROCESS", "SYSTEM"})
  void recoveryAfterAnAppendThatRanOutOfSpacePartWayRestoresTheLastCommit(Durability durability)
      throws IOException {
    failOneAppendPartWayThenWriteOn(durability).close();
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      assertEquals(0, cp.currentEpoch());
      assertArrayEquals(a0, Files.readAllBytes(root.resolve("a.bin")));
      assertArrayEquals(b0, Files.readAllBytes(root.resolve("b.txt")));
    }
  }
}
