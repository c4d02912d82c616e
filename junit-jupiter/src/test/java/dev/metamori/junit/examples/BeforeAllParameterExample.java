package dev.metamori.junit.examples;

import dev.metamori.Checkpointer;
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

/** A store per class, asked for by a parameter of {@code @BeforeAll}; tests take parameters. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class BeforeAllParameterExample {
  @BeforeAll
  static void seed(@Tracked Path dir) throws IOException {
    Seen.home(dir);
    Files.writeString(dir.resolve("seed.txt"), "v1");
  }

  @Test
  @Order(1)
  void first(@Tracked Path dir) throws IOException {
    Seen.put("1.at start", Seen.tree(dir));
    Files.writeString(dir.resolve("seed.txt"), "v2");
    Files.writeString(dir.resolve("more.txt"), "more");
  }

  @Test
  @Order(2)
  void second(@Tracked Path dir, Checkpointer cp) throws IOException {
    Seen.put("2.at start", Seen.tree(dir));
    Seen.home(dir);
  }
}
