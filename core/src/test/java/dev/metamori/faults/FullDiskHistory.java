package dev.metamori.faults;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.MemoryRegion;
import dev.metamori.testing.Blob;
import dev.metamori.testing.EpochTree;
import dev.metamori.testing.TreeSnapshot;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A checkpointer over a tree, a region and an object, with a model of every epoch it committed
 * (tree, region bytes, object bytes, parent), for the full-disk tests: {@link #build} makes
 * epochs 1 and 2, restores 1, commits 3 on the new branch and leaves uncommitted work, so that
 * a commit then captures files, pages and chunks, and a restore to 2 undoes the working epoch,
 * undoes 3 (saving its redo) and redoes 2.
 */
final class FullDiskHistory implements Closeable {
  /** Files, region and object as one epoch holds them. */
  record State(TreeSnapshot tree, byte[] region, byte[] object) {}

  static final int REGION = 4 * 4096;

  final Path store;
  final Path root;
  final FileSystem base;
  final Durability durability;
  Checkpointer cp;
  MemoryRegion region;
  Blob blob = new Blob();
  final Map<Long, State> states = new LinkedHashMap<>();
  final Map<Long, Long> parents = new LinkedHashMap<>();
  long current;

  FullDiskHistory(FileSystem base, Path dir, Durability durability) throws IOException {
    this.base = base;
    this.store = dir.resolve("store");
    this.root = Files.createDirectories(dir.resolve("root"));
    this.durability = durability;
    FaultWorkload.createInitialTree(root);
    open(base);
    states.put(0L, state());
    parents.put(0L, -1L);
  }

  /** Opens the store through {@code fs} (the faulty one, or the default one to reopen). */
  void open(FileSystem fs) throws IOException {
    cp =
        Checkpointer.builder(fs.getPath(store.toString()))
            .track(fs.getPath(root.toString()))
            .durability(durability)
            .blockSize(1024)
            .open();
    region = cp.region("r", REGION);
    blob = new Blob();
    cp.register("o", blob);
  }

  /** Epochs 1 and 2, a restore to 1, epoch 3, then uncommitted work. */
  FullDiskHistory build() throws IOException {
    writeAt("a.txt", 5_000, FaultWorkload.bytes(1_500, 4));
    Files.write(p("d/b.txt"), FaultWorkload.bytes(700, 5), APPEND);
    Files.write(p("c.txt"), FaultWorkload.bytes(2_000, 6), CREATE, WRITE);
    region.put(0, FaultWorkload.bytes(4096, 7), 0, 4096);
    blob.bytes = FaultWorkload.bytes(20_000, 8);
    commit();
    try (FileChannel c = FileChannel.open(p("a.txt"), WRITE)) {
      c.truncate(3_000);
    }
    Files.createDirectory(p("e"));
    Files.move(p("c.txt"), p("e/c2.txt"));
    Files.delete(p("d/b.txt"));
    Files.setLastModifiedTime(p("keep.txt"), FileTime.fromMillis(1_000_000));
    region.putLong(2 * 4096 + 16, 42);
    blob.change(5, 9);
    commit();
    restore(1);
    writeAt("a.txt", 8_000, FaultWorkload.bytes(3_000, 10));
    Files.write(p("f.txt"), FaultWorkload.bytes(100, 11));
    Files.delete(p("keep.txt"));
    region.putLong(4096 + 8, 7);
    blob.change(5, 12);
    commit();
    // uncommitted
    writeAt("a.txt", 0, FaultWorkload.bytes(4_000, 13));
    Files.move(p("d"), p("d2"));
    Files.write(p("g.txt"), FaultWorkload.bytes(1_200, 14));
    region.putLong(3 * 4096, 99);
    blob.change(5, 15);
    return this;
  }

  /** More changes (after a failure, before the retry). */
  void more() throws IOException {
    Files.write(p("h.txt"), FaultWorkload.bytes(300, 16));
    writeAt("f.txt", 50, FaultWorkload.bytes(100, 17));
    region.putLong(8, 1234);
    blob.change(3, 18);
  }

  Path p(String name) {
    return cp.fileSystem().getPath(root.resolve(name).toString());
  }

  void writeAt(String name, long position, byte[] data) throws IOException {
    try (FileChannel c = FileChannel.open(p(name), WRITE)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        position += c.write(b, position);
      }
    }
  }

  State state() throws IOException {
    byte[] r = new byte[REGION];
    region.get(0, r, 0, REGION);
    return new State(TreeSnapshot.of(root), r, blob.bytes.clone());
  }

  long commit() throws IOException {
    State s = state();
    long id = cp.commit();
    committed(id, s);
    return id;
  }

  /** Records that epoch {@code id}, a child of the current one, holds {@code s}. */
  void committed(long id, State s) {
    states.put(id, s);
    parents.put(id, current);
    current = id;
  }

  void restore(long id) throws IOException {
    cp.restore(id);
    current = id;
    check("after restore to " + id);
  }

  /** Files, region and object are exactly the current epoch's, and every epoch is listed. */
  void check(String context) throws IOException {
    check(states.get(current), context);
  }

  /** Files, region and object are exactly {@code expected}, and every epoch is listed. */
  void check(State expected, String context) throws IOException {
    State now = state();
    if (!expected.tree().equals(now.tree())) {
      fail(context + ": tree at epoch " + current + ":\n" + expected.tree().describeDifferences(now.tree()));
    }
    assertArrayEquals(expected.region(), now.region(), context + ": region at epoch " + current);
    assertArrayEquals(expected.object(), now.object(), context + ": object at epoch " + current);
    assertEquals(current, cp.currentEpoch(), context);
    String listed = EpochTree.differences(cp.epochs(), parents);
    if (listed != null) {
      fail(context + ": " + listed);
    }
  }

  /**
   * Restores every epoch but 0, newest first (undo, redo, across branches), checking each, and
   * the newest again; then closes, reopens with the default file system, checks again and
   * verifies the store.
   */
  void checkEveryEpochAndReopen(String context, FileSystem reopenWith) throws IOException {
    List<Long> order = new ArrayList<>(states.keySet());
    order.remove(0L); // an object the store did not have at an epoch is left as it is: not modelled
    Collections.reverse(order);
    order.add(order.get(0));
    checkAndReopen(order, context, reopenWith);
  }

  /**
   * Restores the epochs {@code order} names, in turn, checking each; then closes, reopens with
   * the default file system, checks again and verifies the store.
   */
  void checkAndReopen(List<Long> order, String context, FileSystem reopenWith) throws IOException {
    for (long id : order) {
      restore(id);
    }
    cp.close();
    open(reopenWith);
    check(context + ", reopened");
    assertEquals(List.of(), cp.verify(), context + ": verify");
  }

  @Override
  public void close() {
    IoFaultTest.closeQuietly(cp);
  }
}
