package dev.metamori;

import dev.metamori.testing.Blob;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Change.Kind;
import dev.metamori.Change.Range;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** {@code diff(a, b)}: what differs between two epochs, in either direction. */
class DiffTest extends TrackedTreeFixture {

  /** The path string a change names for {@code rel}. */
  private String at(String rel) {
    return real(rel).toString();
  }

  private Set<Change> diff(long a, long b) throws IOException {
    return cp.diff(a, b).collect(Collectors.toSet());
  }

  @Test
  void filesCreatedDeletedMovedAndChangedWithTheirRanges() throws IOException {
    long base = cp.commit();
    try (FileChannel c = FileChannel.open(p("a.txt"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 5000); // block 1 of 4 KiB
    }
    Files.write(p("small.txt"), new byte[] {'!'}, StandardOpenOption.APPEND); // 6 -> 7 bytes
    Files.writeString(p("new.txt"), "fresh");
    Files.delete(p("b.bin"));
    long one = cp.commit();
    Files.move(p("dir"), p("moved"));
    Files.writeString(p("made-and-gone.txt"), "x");
    Files.delete(p("made-and-gone.txt"));
    long two = cp.commit();

    assertEquals(
        Set.of(
            new Change(Kind.CHANGED, at("a.txt"), null, 10_000, 10_000, List.of(new Range(4096, 4096))),
            new Change(Kind.CHANGED, at("small.txt"), null, 6, 7, List.of(new Range(6, 1))),
            new Change(Kind.CREATED, at("new.txt"), null, -1, 5, List.of()),
            new Change(Kind.DELETED, at("b.bin"), null, -1, -1, List.of())),
        diff(base, one));
    assertEquals(
        Set.of(new Change(Kind.MOVED, at("moved"), at("dir"), -1, -1, List.of())),
        diff(one, two));
    // backwards: creations become deletions, moves go the other way
    assertEquals(
        Set.of(
            new Change(Kind.MOVED, at("dir"), at("moved"), -1, -1, List.of()),
            new Change(Kind.DELETED, at("new.txt"), null, -1, -1, List.of()),
            new Change(Kind.CREATED, at("b.bin"), null, -1, -1, List.of()),
            new Change(Kind.CHANGED, at("a.txt"), null, 10_000, 10_000, List.of(new Range(4096, 4096))),
            new Change(Kind.CHANGED, at("small.txt"), null, 7, 6, List.of(new Range(6, 1)))),
        diff(two, base));
    assertEquals(Set.of(), diff(two, two));
    assertThrows(NoSuchEpochException.class, () -> cp.diff(base, 99));
  }

  @Test
  void aFileChangedAfterItWasMovedKeepsItsRangesAndAfterSizeComesFromLaterEpochs() throws IOException {
    long base = cp.commit();
    Files.move(p("dir/c.txt"), p("c2.txt"));
    try (FileChannel c = FileChannel.open(p("c2.txt"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {9}), 100);
    }
    long one = cp.commit();
    try (FileChannel c = FileChannel.open(p("c2.txt"), StandardOpenOption.WRITE)) {
      c.truncate(10); // the size at epoch one is only in epoch two's record now
    }
    cp.commit();
    Files.write(p("c2.txt"), new byte[50]); // uncommitted, and still not the size at one
    assertEquals(
        Set.of(new Change(Kind.MOVED, at("c2.txt"), at("dir/c.txt"), 5000, 5000, List.of(new Range(0, 4096)))),
        diff(base, one));
  }


  @Test
  void regionsByPageAndObjectsByContent() throws IOException {
    MemoryRegion r = cp.region("grid", 5 * 4096);
    Blob blob = new Blob();
    cp.register("model", blob);
    blob.bytes = new byte[] {1, 2, 3};
    r.putLong(0, 1);
    long one = cp.commit();
    r.putLong(4096 * 2 + 10, 7);
    r.putLong(4096 * 3, 7);
    long two = cp.commit();
    r.putLong(4096 * 3, 0); // page 3 back as it was at one
    long three = cp.commit();
    blob.bytes = new byte[] {4};
    long four = cp.commit();

    assertEquals(
        Set.of(new Change(Kind.REGION_CHANGED, "grid", null, 5 * 4096, 5 * 4096, List.of(new Range(8192, 8192)))),
        diff(one, two));
    assertEquals(
        Set.of(new Change(Kind.REGION_CHANGED, "grid", null, 5 * 4096, 5 * 4096, List.of(new Range(8192, 4096)))),
        diff(one, three));
    assertEquals(
        Set.of(new Change(Kind.OBJECT_CHANGED, "model", null, 3, 1, List.of())), diff(three, four));
  }
}
