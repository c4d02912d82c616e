package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.internal.journal.OldFormatStores;
import dev.metamori.testing.StoreExtension;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Trash entries carry checksums: {@link Checkpointer#verify()} reports a damaged, missing or
 * resized one, naming it and what it affects, and a restore that would bring one back refuses
 * before it changes anything; entries that may change legitimately (hard-linked, or open when
 * removed) and entries of stores written before checksums are unchecked, never reported as
 * damage.
 */
class TrashChecksumTest {
  @RegisterExtension
  final StoreExtension harness = StoreExtension.create().withTree(TrashChecksumTest::fill);

  TreeSnapshot at0;
  TreeSnapshot at1;
  TreeSnapshot at2;

  static void fill(Path root) throws IOException {
    Random random = new Random(20);
    Files.write(root.resolve("doc"), bytes(random, 20_000));
    Files.createDirectories(root.resolve("dir/sub"));
    Files.write(root.resolve("dir/a"), bytes(random, 5000));
    Files.write(root.resolve("dir/sub/b"), bytes(random, 3000));
    Files.createSymbolicLink(root.resolve("dir/link"), Path.of("a"));
    Files.write(root.resolve("keep"), bytes(random, 4096));
  }

  static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private TreeSnapshot snapshot() throws IOException {
    return TreeSnapshot.exact(harness.root());
  }

  /**
   * Epoch 1 deletes doc (trash/1/1), moves dir out of the tree (trash/1/2, a directory) and
   * creates new; epoch 2 changes keep.
   */
  private Checkpointer twoEpochs() throws IOException {
    Checkpointer cp = harness.cp();
    at0 = snapshot();
    Files.delete(harness.path("doc"));
    Files.move(harness.path("dir"), harness.fs().getPath(harness.dir().resolve("moved-out").toString()));
    Files.write(harness.path("new"), bytes(new Random(21), 7000));
    assertEquals(1, cp.commit());
    at1 = snapshot();
    try (FileChannel c = FileChannel.open(harness.path("keep"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {1, 2, 3}), 100);
    }
    assertEquals(2, cp.commit());
    at2 = snapshot();
    return cp;
  }

  private Path trash(String name) throws IOException {
    return harness.store().toRealPath().resolve("trash").resolve(name);
  }

  /** The one entry the undo of epoch 1 kept (the file new): trash/1/c{seq}. */
  private String keptEntryOfEpoch1() throws IOException {
    try (Stream<Path> s = Files.list(harness.store().resolve("trash/1"))) {
      List<String> kept = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("c")).toList();
      assertEquals(1, kept.size(), kept::toString);
      return "1/" + kept.get(0);
    }
  }

  static void flipByte(Path file, long offset) throws IOException {
    try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      c.read(b, offset);
      b.put(0, (byte) ~b.get(0));
      c.write(b.flip(), offset);
    }
  }

  @Test
  void aSoundStoreRestoresExactlyThroughItsTrashAndVerifiesClean() throws IOException {
    Checkpointer cp = twoEpochs();
    assertEquals(List.of(), cp.verify());
    cp.rollback(0); // brings back doc and dir from the trash, keeps new in it
    at0.assertSameAs(snapshot(), "after rollback to 0");
    assertEquals(List.of(), cp.verify());
    cp.restore(2); // brings new back from the trash, trashes doc and dir again
    at2.assertSameAs(snapshot(), "after restore to 2");
    assertEquals(List.of(), cp.verify());
    cp.restore(0);
    at0.assertSameAs(snapshot(), "after the second rollback to 0");
    cp = harness.reopen();
    assertEquals(List.of(), cp.verify());
    cp.restore(1);
    at1.assertSameAs(snapshot(), "after restore to 1");
  }

  /** A damage of the trash entry of epoch 1 that holds doc or dir, and what verify says of it. */
  enum Damage {
    FLIP_FILE("1/1", "1/1", "does not match its checksum"),
    TRUNCATE_FILE("1/1", "1/1", "holds 10 bytes where its checksum was taken of 20000"),
    DELETE_FILE("1/1", "1/1", "is missing"),
    FLIP_IN_DIRECTORY("1/2/sub/b", "1/2", "does not match its checksum"),
    TRUNCATE_IN_DIRECTORY("1/2/a", "1/2", "holds 3010 bytes where its checksum was taken of 8000"),
    DELETE_IN_DIRECTORY("1/2/link", "1/2", "holds 4 files, directories and links where its checksum was taken of 5"),
    RENAME_IN_DIRECTORY("1/2/sub/b", "1/2", "does not match its checksum");

    final String damaged;
    final String entry;
    final String detail;

    Damage(String damaged, String entry, String detail) {
      this.damaged = damaged;
      this.entry = entry;
      this.detail = detail;
    }

    void apply(Path file) throws IOException {
      switch (this) {
        case FLIP_FILE, FLIP_IN_DIRECTORY -> flipByte(file, 1000);
        case TRUNCATE_FILE, TRUNCATE_IN_DIRECTORY -> {
          try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.truncate(10);
          }
        }
        case DELETE_FILE, DELETE_IN_DIRECTORY -> Files.delete(file);
        default -> Files.move(file, file.resolveSibling("c"));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Damage.class)
  void aDamagedTrashEntryIsReportedAndTheRestoresThatUseItChangeNothing(Damage damage) throws IOException {
    harness.skipVerifyAfter("a trash entry is damaged on purpose: " + damage);
    Checkpointer cp = twoEpochs();
    damage.apply(trash(damage.damaged));
    List<CorruptStoreException> found = cp.verify();
    assertEquals(1, found.size(), found::toString);
    CorruptStoreException d = found.get(0);
    assertEquals(trash(damage.entry), d.file(), d.getMessage());
    assertEquals(1, d.epoch());
    assertTrue(d.detail().contains(damage.detail), d.detail());
    String removed = harness.root().toRealPath().resolve(damage.entry.equals("1/1") ? "doc" : "dir").toString();
    assertTrue(d.detail().contains("puts back at " + removed + " (removed in epoch 1)"), d.detail());
    assertTrue(d.detail().contains("from a backup"), d.detail());

    // a restore that undoes epoch 1 would bring the entry back: refused, nothing changed
    CorruptStoreException refused = assertThrows(CorruptStoreException.class, () -> cp.restore(0));
    assertEquals(trash(damage.entry), refused.file(), refused.getMessage());
    at2.assertSameAs(snapshot(), "after the refused restore to 0");
    assertEquals(2, cp.currentEpoch());
    Checkpointer again = harness.reopen();
    assertEquals(2, again.currentEpoch());
    assertThrows(CorruptStoreException.class, () -> again.restore(0));
    at2.assertSameAs(snapshot(), "after a refused restore in a new process");
    // restores that do not undo epoch 1 do not use it
    again.restore(1);
    at1.assertSameAs(snapshot(), "after restore to 1");
    again.restore(2);
    at2.assertSameAs(snapshot(), "after restore to 2");
  }

  @Test
  void aDamagedKeptCreationIsReportedAndTheRestoresThatRedoItChangeNothing() throws IOException {
    harness.skipVerifyAfter("the creation kept by the undo of epoch 1 is damaged on purpose");
    Checkpointer cp = twoEpochs();
    cp.rollback(0);
    String kept = keptEntryOfEpoch1();
    flipByte(trash(kept), 6999);
    List<CorruptStoreException> found = cp.verify();
    assertEquals(1, found.size(), found::toString);
    CorruptStoreException d = found.get(0);
    assertEquals(trash(kept), d.file(), d.getMessage());
    assertEquals(1, d.epoch());
    String created = harness.root().toRealPath().resolve("new").toString();
    assertTrue(d.detail().contains("puts back at " + created + " (created in epoch 1) when it redoes epoch 1"), d.detail());
    for (long target : new long[] {1, 2}) {
      CorruptStoreException refused = assertThrows(CorruptStoreException.class, () -> cp.restore(target));
      assertEquals(trash(kept), refused.file(), refused.getMessage());
      at0.assertSameAs(snapshot(), "after the refused restore to " + target);
      assertEquals(0, cp.currentEpoch());
    }
  }

  @Test
  void aHardLinkedEntryIsUncheckedAndStillRestoresExactly() throws IOException {
    Checkpointer cp = harness.cp();
    TreeSnapshot before = snapshot();
    Files.createLink(harness.path("other"), harness.path("keep"));
    assertEquals(1, cp.commit());
    TreeSnapshot linked = snapshot();
    Files.delete(harness.path("keep")); // its trash entry shares the inode of other
    assertEquals(2, cp.commit());
    try (FileChannel c = FileChannel.open(harness.path("other"), StandardOpenOption.WRITE)) {
      c.write(ByteBuffer.wrap(new byte[] {9, 9, 9}), 0); // changes the trash entry too
    }
    assertEquals(3, cp.commit());
    TreeSnapshot at3 = snapshot();
    List<String> log = new ArrayList<>();
    assertEquals(List.of(), logged(log, cp::verify));
    assertTrue(log.stream().anyMatch(m -> m.contains("1 trash entries are unchecked") && m.contains("hard-linked")), log::toString);
    cp.restore(1);
    linked.assertSameAs(snapshot(), "after restore to 1");
    cp.restore(0);
    before.assertSameAs(snapshot(), "after restore to 0");
    cp.restore(3);
    at3.assertSameAs(snapshot(), "after restore to 3");
  }

  @Test
  void aFileWrittenThroughAChannelOpenWhenItWasDeletedIsUncheckedAndStillRestoresExactly() throws IOException {
    Checkpointer cp = harness.cp();
    TreeSnapshot before = snapshot();
    try (FileChannel c = FileChannel.open(harness.path("doc"), StandardOpenOption.WRITE)) {
      Files.delete(harness.path("doc"));
      c.write(ByteBuffer.wrap(new byte[] {7, 7}), 10); // journaled: it changes the trash entry
      assertEquals(1, cp.commit());
      c.write(ByteBuffer.wrap(new byte[] {8, 8}), 5000);
    }
    assertEquals(2, cp.commit());
    TreeSnapshot at2now = snapshot();
    List<String> log = new ArrayList<>();
    assertEquals(List.of(), logged(log, cp::verify));
    assertTrue(log.stream().anyMatch(m -> m.contains("open for writing or mapped when removed")), log::toString);
    cp.restore(0);
    before.assertSameAs(snapshot(), "after restore to 0");
    cp.restore(2);
    at2now.assertSameAs(snapshot(), "after restore to 2");
  }

  @Test
  void aStoreWrittenBeforeChecksumsOpensRestoresAndReportsItsTrashAsUnchecked() throws IOException {
    Checkpointer cp = twoEpochs();
    cp.rollback(0); // epoch 1 keeps new in its trash
    cp.close();
    assertTrue(OldFormatStores.withoutTrashDigests(harness.store()) >= 3, "checksums of doc, dir and new");
    cp = harness.open();
    List<String> log = new ArrayList<>();
    assertEquals(List.of(), logged(log, cp::verify));
    assertTrue(
        log.stream().anyMatch(m -> m.contains("1 trash entries are unchecked") && m.contains("without a checksum")),
        log::toString);
    cp.restore(2); // through the unchecked kept creation
    at2.assertSameAs(snapshot(), "after restore to 2");
    log.clear();
    assertEquals(List.of(), logged(log, cp::verify));
    assertTrue(log.stream().anyMatch(m -> m.contains("2 trash entries are unchecked")), log::toString);
    // an unchecked entry is not reported, even damaged; entries trashed from now on are checked
    flipByte(trash("1/1"), 5);
    Files.delete(harness.path("keep"));
    assertEquals(3, cp.commit());
    assertEquals(List.of(), cp.verify());
    flipByte(trash("3/1"), 5);
    List<CorruptStoreException> found = cp.verify();
    assertEquals(1, found.size(), found::toString);
    assertEquals(trash("3/1"), found.get(0).file());
    harness.skipVerifyAfter("trash entries are damaged on purpose");
  }

  /** Runs {@code action}, collecting what the library logs meanwhile into {@code log}. */
  private static <T> T logged(List<String> log, IoSupplier<T> action) throws IOException {
    SimpleFormatter formatter = new SimpleFormatter();
    Handler handler =
        new Handler() {
          @Override
          public void publish(LogRecord record) {
            synchronized (log) {
              log.add(formatter.formatMessage(record));
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
      T result = action.get();
      assertNotNull(result);
      return result;
    } finally {
      logger.removeHandler(handler);
    }
  }

  private interface IoSupplier<T> {
    T get() throws IOException;
  }
}
