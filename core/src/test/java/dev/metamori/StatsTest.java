package dev.metamori;

import dev.metamori.testing.StoreExtension;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.StoreStats.EpochStats;
import dev.metamori.StoreStats.FileStats;
import dev.metamori.StoreStats.StateKind;
import dev.metamori.StoreStats.StateStats;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** {@link Checkpointer#stats()} on a real store with files, a region and an object. */
class StatsTest {
  static final int BLOCK = Checkpointer.Builder.DEFAULT_BLOCK_SIZE;

  @RegisterExtension
  final StoreExtension harness =
      StoreExtension.create().withTree(root -> Files.write(root.resolve("a"), new byte[16 * BLOCK])); // zeros: compresses well

  Path data;
  Path store;
  Checkpointer cp;

  @BeforeEach
  void open() {
    data = harness.root();
    store = harness.store();
    cp = harness.cp();
  }

  private Path tracked(String name) {
    return cp.fileSystem().getPath(data.resolve(name).toString());
  }

  /** Bytes that stay the same unless {@link #poke} changes one. */
  static final class Blob implements Checkpointable {
    final byte[] bytes;

    Blob(int size) {
      bytes = new byte[size];
      new Random(7).nextBytes(bytes);
    }

    void poke(int at) {
      bytes[at]++;
    }

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      in.readNBytes(bytes, 0, bytes.length);
    }
  }

  /** Epoch 1: two blocks of a and a new b; 2: b deleted; 3: a region; 4, 5: an object. */
  private Blob fiveEpochs() throws IOException {
    try (FileChannel c = FileChannel.open(tracked("a"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1}), 0);
      c.write(ByteBuffer.wrap(new byte[] {2}), 2L * BLOCK + 100);
    }
    byte[] random = new byte[10_000];
    new Random(1).nextBytes(random);
    Files.write(tracked("b"), random);
    cp.commit("files");
    Files.delete(tracked("b"));
    cp.commit();
    MemoryRegion grid = cp.region("grid", 16L * 4096);
    grid.buffer().putLong(0, 42).putLong(5 * 4096, 43);
    cp.commit();
    Blob blob = new Blob(256 * 1024);
    cp.register("model", blob);
    cp.commit();
    blob.poke(128 * 1024);
    cp.commit();
    return blob;
  }

  private static EpochStats epoch(StoreStats stats, long id) {
    return stats.epochs().stream().filter(e -> e.id() == id).findFirst().orElseThrow();
  }

  private static FileStats file(StoreStats stats, Path path) {
    return stats.files().stream()
        .filter(f -> f.path().equals(path.toString()))
        .findFirst()
        .orElseThrow(() -> new AssertionError(path + " not in " + stats.files()));
  }

  private static long sizeOf(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      long sum = 0;
      for (Path f : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(f)) {
          sum += Files.size(f);
        }
      }
      return sum;
    }
  }

  @Test
  void aNewStoreHoldsOnlyEpochZeroAndItsIndex() throws IOException {
    StoreStats stats = cp.stats();
    assertEquals(List.of(new EpochStats(0, 0, 0, 0, 0)), stats.epochs());
    assertEquals(List.of(), stats.files());
    assertEquals(List.of(), stats.states());
    assertEquals(0, stats.segmentBytes());
    assertEquals(Files.size(store.resolve("index.mv")), stats.indexBytes());
    assertEquals(sizeOf(store), stats.totalBytes());
    assertEquals(1.0, stats.compressionRatio());
  }

  @Test
  void storeBytesAddUpToTheFilesOnDisk() throws IOException {
    fiveEpochs();
    StoreStats stats = cp.stats();
    assertEquals(sizeOf(store), stats.totalBytes());
    assertEquals(sizeOf(store.resolve("segments")), stats.segmentBytes());
    assertEquals(Files.size(store.resolve("index.mv")), stats.indexBytes());
    assertEquals(sizeOf(store.resolve("trash")), stats.trashBytes());
    assertTrue(stats.totalBytes() >= stats.segmentBytes() + stats.indexBytes() + stats.trashBytes());
    long journaled = stats.epochs().stream().mapToLong(EpochStats::bytesJournaled).sum();
    assertEquals(stats.segmentBytes(), journaled, "no working segment after a commit");
  }

  @Test
  void eachEpochReportsItsSegmentAndItsPayloadBeforeAndAfterCompression() throws IOException {
    fiveEpochs();
    StoreStats stats = cp.stats();
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), stats.epochs().stream().map(EpochStats::id).toList());
    for (Epoch e : cp.epochs()) {
      assertEquals(e.bytesJournaled(), epoch(stats, e.id()).bytesJournaled());
    }
    EpochStats files = epoch(stats, 1);
    assertEquals(2L * BLOCK, files.payloadBytes(), "the old contents of two blocks of a");
    assertTrue(files.storedPayloadBytes() < BLOCK / 4, "zeros compress: " + files);
    assertTrue(files.compressionRatio() > 8, files.toString());
    assertEquals(10_000, epoch(stats, 2).trashBytes(), "b kept in the trash");
    assertEquals(0, epoch(stats, 2).payloadBytes());
    assertTrue(epoch(stats, 3).payloadBytes() >= 2 * 4096, "the two pages written: " + epoch(stats, 3));
    assertTrue(epoch(stats, 4).payloadBytes() >= 256 * 1024, "the whole object: " + epoch(stats, 4));
    assertTrue(epoch(stats, 5).payloadBytes() < 128 * 1024, "one changed chunk: " + epoch(stats, 5));
    // random bytes do not compress: stored as they are
    assertEquals(epoch(stats, 4).payloadBytes(), epoch(stats, 4).storedPayloadBytes());
    long raw = stats.epochs().stream().mapToLong(EpochStats::payloadBytes).sum();
    assertEquals(raw, stats.payloadBytes());
    assertTrue(stats.compressionRatio() > 1.0);
  }

  @Test
  void eachFileReportsItsUndoDataAndItsTrashedCopies() throws IOException {
    fiveEpochs();
    StoreStats stats = cp.stats();
    FileStats a = file(stats, data.resolve("a").toRealPath());
    assertEquals(1, a.epochs());
    assertTrue(a.bytes() > epoch(stats, 1).storedPayloadBytes(), a.toString());
    assertTrue(a.bytes() < epoch(stats, 1).bytesJournaled(), a.toString());
    FileStats b = file(stats, data.toRealPath().resolve("b"));
    assertEquals(2, b.epochs(), "created in epoch 1, deleted in epoch 2");
    assertTrue(b.bytes() > 10_000, "its trashed copy counts: " + b);
    List<Long> bytes = new ArrayList<>();
    stats.files().forEach(f -> bytes.add(f.bytes()));
    List<Long> sorted = new ArrayList<>(bytes);
    sorted.sort((x, y) -> Long.compare(y, x));
    assertEquals(sorted, bytes, "the most costly first");
  }

  @Test
  void regionsAndObjectsReportTheirBytesAndWhatDedupeSaved() throws IOException {
    fiveEpochs();
    StoreStats stats = cp.stats();
    assertEquals(List.of("grid", "model"), stats.states().stream().map(StateStats::name).toList());
    StateStats grid = stats.states().get(0);
    assertEquals(StateKind.REGION, grid.kind());
    // its name and two pages, mostly zeros: compressed far below 2 * 4096
    assertTrue(grid.bytesJournaled() > 0 && grid.bytesJournaled() < 4096, grid.toString());
    assertEquals(0, grid.dedupeSavedBytes());
    assertTrue(
        grid.pageTracking().equals("write-protect")
            || grid.pageTracking().matches("hash-scan \\(.+\\)"),
        grid.pageTracking());
    StateStats model = stats.states().get(1);
    assertEquals(null, model.pageTracking());
    assertEquals(StateKind.OBJECT, model.kind());
    assertTrue(model.bytesJournaled() > 256 * 1024, model.toString());
    // epoch 5 stored the chunk around the changed byte again, and pointed at epoch 4 for the rest
    assertTrue(model.dedupeSavedBytes() > 256 * 1024 - 128 * 1024, model.toString());
    assertTrue(model.dedupeSavedBytes() < 256 * 1024, model.toString());
    assertEquals(model.dedupeSavedBytes(), stats.dedupeSavedBytes());
  }

  @Test
  void statsAfterARollbackStillCountTheEpochsOfTheBranchLeft() throws IOException {
    fiveEpochs();
    cp.rollback(1);
    StoreStats stats = cp.stats();
    assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), stats.epochs().stream().map(EpochStats::id).toList());
    assertEquals(
        List.of("grid", "model"), stats.states().stream().map(StateStats::name).toList(),
        "the region and object of the epochs left are still in the store");
    assertEquals(sizeOf(store), stats.totalBytes());
  }

  @Test
  void progressReachesTheTotalOnce() throws IOException {
    fiveEpochs();
    List<long[]> seen = new ArrayList<>();
    cp.reportProgressTo((done, total) -> seen.add(new long[] {done, total}));
    cp.stats();
    long total = cp.epochs().stream().mapToLong(Epoch::bytesJournaled).sum();
    assertEquals(6, seen.size(), "one report per epoch");
    for (int i = 1; i < seen.size(); i++) {
      assertTrue(seen.get(i)[0] >= seen.get(i - 1)[0]);
    }
    assertEquals(total, seen.get(seen.size() - 1)[0]);
    assertEquals(total, seen.get(seen.size() - 1)[1]);
  }
}
