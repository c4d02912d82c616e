package dev.metamori.junit.examples;

import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A test that writes through the default file system instead of the tracked paths. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class OutsideChangeExample {
  @Tracked static Path dir;

  @BeforeAll
  static void seed() throws IOException {
    Seen.home(dir);
    Files.writeString(dir.resolve("seed.txt"), "v1");
  }

  @Test
  @Order(1)
  void createsBehindTheCheckpointersBack() throws IOException {
    Path plain = Path.of(dir.toString());
    Files.createDirectories(plain.resolve("made/outside"));
    Files.writeString(plain.resolve("made/outside/file.txt"), "x");
    Files.writeString(plain.resolve("other.txt"), "x");
  }

  @Test
  @Order(2)
  void seesTheBaseline() {
    Seen.put("2.at start", Seen.tree(dir));
  }

  @Test
  @Order(3)
  void changesBehindTheCheckpointersBack() throws IOException {
    Files.writeString(Path.of(dir.toString(), "seed.txt"), "changed outside");
  }

  @Test
  @Order(4)
  void cannotStartFromTheBaseline() {
    Seen.put("4.ran", true);
  }
}
