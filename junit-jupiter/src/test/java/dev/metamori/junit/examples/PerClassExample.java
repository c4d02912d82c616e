package dev.metamori.junit.examples;

import static org.junit.jupiter.api.Assertions.fail;

import dev.metamori.Checkpointer;
import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A store per class, asked for by a static field: {@code @BeforeAll} writes the baseline, every
 * test changes it (one fails, one commits, one leaves a channel open) and the next test sees the
 * baseline.
 */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class PerClassExample {
  @Tracked static Path dir;
  @Tracked static Checkpointer cp;

  @BeforeAll
  static void seed() throws IOException {
    Seen.home(dir);
    Files.writeString(dir.resolve("seed.txt"), "v1");
    Files.createDirectories(dir.resolve("sub"));
    Files.writeString(dir.resolve("sub/inner.txt"), "inner");
  }

  @Test
  @Order(1)
  void changesEverything() throws IOException {
    Seen.put("1.at start", Seen.tree(dir));
    Files.writeString(dir.resolve("seed.txt"), "v2", StandardOpenOption.APPEND);
    Files.delete(dir.resolve("sub/inner.txt"));
    Files.delete(dir.resolve("sub"));
    Files.writeString(dir.resolve("new.txt"), "new");
  }

  @Test
  @Order(2)
  void failsAfterChanging() throws IOException {
    Seen.put("2.at start", Seen.tree(dir));
    Files.move(dir.resolve("seed.txt"), dir.resolve("moved.txt"));
    fail("this test fails on purpose");
  }

  @Test
  @Order(3)
  void commitsItsOwnEpochs() throws IOException {
    Seen.put("3.at start", Seen.tree(dir));
    Files.writeString(dir.resolve("seed.txt"), "committed");
    cp.commit();
    Files.writeString(dir.resolve("later.txt"), "x");
    cp.commit("mine");
  }

  @Test
  @Order(4)
  void leavesAChannelOpen() throws IOException {
    Seen.put("4.at start", Seen.tree(dir));
    FileChannel ch =
        FileChannel.open(
            dir.resolve("open.txt"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    ch.write(ByteBuffer.wrap("left open".getBytes()));
  }

  @Test
  @Order(5)
  void seesTheBaseline() {
    Seen.put("5.at start", Seen.tree(dir));
  }
}
