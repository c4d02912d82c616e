package dev.metamori.junit.examples;

import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A nested class adds to its enclosing class's baseline, and takes it away when done. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class NestedExample {
  @Tracked static Path dir;

  @BeforeAll
  static void seed() throws IOException {
    Seen.home(dir);
    Files.writeString(dir.resolve("outer.txt"), "outer");
  }

  @AfterAll
  static void after() {
    Seen.put("outer.after all", Seen.tree(dir));
  }

  @Test
  void outerTest() throws IOException {
    Seen.put("outer.at start", Seen.tree(dir));
    Files.writeString(dir.resolve("outer.txt"), "changed");
  }

  @Nested
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class Inner {
    @BeforeAll
    static void seedInner() throws IOException {
      Files.writeString(dir.resolve("inner.txt"), "inner");
    }

    @Test
    @Order(1)
    void first() throws IOException {
      Seen.put("inner.1.at start", Seen.tree(dir));
      Files.delete(dir.resolve("outer.txt"));
      Files.delete(dir.resolve("inner.txt"));
    }

    @Test
    @Order(2)
    void second() {
      Seen.put("inner.2.at start", Seen.tree(dir));
    }
  }
}
