package dev.metamori.crac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.RetentionPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.crac.RestoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CRaC resource driven by a context that notifies it as the JDK's would around a checkpoint
 * and a restore (no CRaC JDK here: the image itself is simulated by this JVM going on).
 */
class CracCheckpointerTest {
  @TempDir Path tmp;

  /** A registered object: its bytes. */
  static final class State implements Checkpointable {
    byte[] bytes = new byte[0];

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      bytes = in.readAllBytes();
    }
  }

  private Checkpointer.Builder builder() throws IOException {
    Files.createDirectories(tmp.resolve("data"));
    return Checkpointer.builder(tmp.resolve("store")).track(tmp.resolve("data"));
  }

  private Path file(Checkpointer cp) {
    return cp.fileSystem().getPath(tmp.resolve("data").resolve("results").toString());
  }

  /** The store's files the process has open, from /proc/self/fd. */
  private List<Path> openStoreFiles() throws IOException {
    List<Path> open = new ArrayList<>();
    Path store = tmp.resolve("store").toRealPath();
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path fd : (Iterable<Path>) fds::iterator) {
        try {
          Path target = Files.readSymbolicLink(fd);
          if (target.startsWith(store)) {
            open.add(target);
          }
        } catch (IOException gone) {
          // closed while listed
        }
      }
    }
    return open;
  }

  @Test
  void beforeACheckpointTheWorkIsCommittedAndTheStoreClosedAfterARestoreFilesRegionsAndObjectsAreAtTheImageEpoch()
      throws Exception {
    SequentialContext context = new SequentialContext();
    State state = new State();
    MemoryRegion[] region = new MemoryRegion[1];
    CracCheckpointer crac =
        CracCheckpointer.open(
            builder(),
            cp -> {
              cp.register("state", state);
              region[0] = cp.region("r", 1 << 16);
            },
            context);
    Checkpointer before = crac.checkpointer();
    Files.writeString(file(before), "as in the image");
    state.bytes = new byte[] {1, 2, 3};
    region[0].putLong(8, 42);

    context.beforeCheckpoint(null);
    long image = crac.imageEpoch();
    assertEquals(List.of(), openStoreFiles(), "CRaC refuses a checkpoint while files are open");
    try (Checkpointer look = builder().open()) {
      assertEquals(image, look.currentEpoch());
    }
    IllegalStateException closed = assertThrows(IllegalStateException.class, crac::checkpointer);
    assertTrue(closed.getMessage().contains("CRaC checkpoint"), closed.getMessage());

    // the process goes on (or another one uses the store): the files move on
    try (Checkpointer other = builder().open()) {
      other.register("state", state);
      state.bytes = new byte[] {9};
      Files.writeString(file(other), "moved on");
      other.commit();
    }

    // the image is restored: its memory says epoch `image`; the files are brought back to it
    state.bytes = new byte[] {1, 2, 3};
    context.afterRestore(null);
    Checkpointer after = crac.checkpointer();
    assertNotSame(before, after);
    assertEquals(image, after.currentEpoch());
    assertEquals("as in the image", Files.readString(file(after)));
    assertArrayEquals(new byte[] {1, 2, 3}, state.bytes);
    assertEquals(42, region[0].getLong(8));
    assertEquals(2, after.epochs().stream().filter(e -> e.id() > image || e.id() == image).count(),
        "the epoch committed after the image stays in the store");
    crac.close();
  }

  @Test
  void anImageWhoseEpochWasPrunedIsRefusedWithAClearMessage() throws Exception {
    SequentialContext context = new SequentialContext();
    CracCheckpointer crac = CracCheckpointer.open(builder(), cp -> {}, context);
    Files.writeString(file(crac.checkpointer()), "image");
    context.beforeCheckpoint(null);
    long image = crac.imageEpoch();
    try (Checkpointer other = builder().open()) {
      Files.writeString(file(other), "later");
      other.commit();
      other.prune(RetentionPolicy.keepLast(1));
      assertTrue(other.epochs().stream().noneMatch(e -> e.id() == image));
    }
    RestoreException e = assertThrows(RestoreException.class, () -> context.afterRestore(null));
    String message = e.getSuppressed()[0].getMessage();
    assertTrue(message.contains("epoch " + image) && message.contains("no longer in the store"), message);
    assertThrows(IllegalStateException.class, crac::checkpointer);
    assertEquals(List.of(), openStoreFiles(), "the store is left closed");
    crac.close();
  }

  @Test
  void aCheckpointThatCracAbandonsLeavesTheStoreOpenAtTheEpochItCommitted() throws Exception {
    SequentialContext context = new SequentialContext();
    CracCheckpointer crac = CracCheckpointer.open(builder(), cp -> {}, context);
    Files.writeString(file(crac.checkpointer()), "committed at the checkpoint");
    context.beforeCheckpoint(null);
    // a checkpoint that fails is followed by afterRestore in the same process
    context.afterRestore(null);
    assertEquals(crac.imageEpoch(), crac.checkpointer().currentEpoch());
    assertEquals("committed at the checkpoint", Files.readString(file(crac.checkpointer())));
    crac.close();
  }

  @Test
  void onAJdkWithoutCracTheGlobalContextTakesTheResourceAndACheckpointRequestLeavesTheStoreAsItWas()
      throws Exception {
    try (CracCheckpointer crac = CracCheckpointer.open(builder(), cp -> {})) {
      Files.writeString(file(crac.checkpointer()), "working");
      Exception refused = assertThrows(Exception.class, org.crac.Core::checkpointRestore);
      assertTrue(
          refused instanceof UnsupportedOperationException || refused instanceof org.crac.CheckpointException,
          refused.toString());
      assertEquals(-1, crac.imageEpoch(), "no checkpoint was taken");
      assertEquals("working", Files.readString(file(crac.checkpointer())));
      assertTrue(crac.checkpointer().commit() > 0);
    }
  }
}
