package dev.metamori.crash;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.metamori.Checkpointer;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Receive under SIGKILL: a child JVM ({@link ReceiveChild}) receives a full stream, then an
 * incremental one, and is killed at a random point of each; the store opened again here is at
 * its last committed epoch, with the trees of that epoch, and receives the same stream whole.
 */
class SigkillReceiveTest {
  private static final long LIMIT_SECONDS = 120;

  @TempDir Path tmp;

  @Test
  void aReceiveKilledPartWayLeavesTheStoreAtItsLastCommittedEpoch() throws Exception {
    Random random = new Random(20261207);
    Path source = Files.createDirectories(tmp.resolve("source"));
    Path full = tmp.resolve("full.mms");
    Path inc = tmp.resolve("inc.mms");
    TreeSnapshot atA;
    TreeSnapshot atB;
    try (Checkpointer cp = Checkpointer.builder(tmp.resolve("source-store")).track(source).open()) {
      byte[] bytes = new byte[256 << 10];
      for (int i = 0; i < 24; i++) {
        random.nextBytes(bytes);
        Files.createDirectories(cp.fileSystem().getPath(source.resolve("d" + (i % 4)).toString()));
        Files.write(cp.fileSystem().getPath(source.resolve("d" + (i % 4) + "/f" + i).toString()), bytes);
      }
      long a = cp.commit();
      atA = TreeSnapshot.of(source, TreeSnapshot.Options.CRASH);
      for (int i = 0; i < 24; i += 2) {
        random.nextBytes(bytes);
        Files.write(cp.fileSystem().getPath(source.resolve("d" + (i % 4) + "/f" + i).toString()), bytes);
      }
      Files.move(cp.fileSystem().getPath(source.resolve("d1").toString()), cp.fileSystem().getPath(source.resolve("moved").toString()));
      long b = cp.commit();
      atB = TreeSnapshot.of(source, TreeSnapshot.Options.CRASH);
      try (OutputStream out = Files.newOutputStream(full)) {
        cp.export(a, out);
      }
      try (OutputStream out = Files.newOutputStream(inc)) {
        cp.export(a, b, out);
      }
    }
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path store = tmp.resolve("store");
    int killed = 0;
    for (Path[] step : new Path[][] {{full}, {inc}}) {
      TreeSnapshot before = TreeSnapshot.of(data, TreeSnapshot.Options.CRASH);
      TreeSnapshot after = step[0] == full ? atA : atB;
      for (int round = 0; round < 3; round++) {
        int killAt = 1 + random.nextInt((int) (Files.size(step[0]) >> 16) + 1);
        boolean done = false;
        try (CrashChild child = CrashChild.start(ReceiveChild.class, tmp.resolve("stderr"), LIMIT_SECONDS,
            store.toString(), data.toString(), step[0].toString())) {
          for (int reads = 0; reads < killAt; ) {
            String line = child.nextLine();
            if (line == null || line.startsWith("RECEIVED")) {
              done = line != null;
              break;
            }
            reads += line.startsWith("READ") ? 1 : 0;
          }
          child.kill();
          killed += done ? 0 : 1;
        }
        try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
          TreeSnapshot now = TreeSnapshot.of(data, TreeSnapshot.Options.CRASH);
          TreeSnapshot want = done ? after : before;
          assertEquals(want, now, () -> "killed at read " + killAt + ": " + want.describeDifferences(now));
          if (done) {
            break;
          }
        }
      }
      try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
        if (!TreeSnapshot.of(data, TreeSnapshot.Options.CRASH).equals(after)) {
          try (InputStream in = Files.newInputStream(step[0])) {
            cp.receive(in);
          }
        }
        TreeSnapshot now = TreeSnapshot.of(data, TreeSnapshot.Options.CRASH);
        assertEquals(after, now, () -> after.describeDifferences(now));
      }
    }
    System.out.println("SigkillReceiveTest: " + killed + " receives killed part way");
  }
}
