package dev.metamori.junit.examples;

import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** Under {@code @TestInstance(PER_CLASS)} an instance field asks for the class's store. */
@Metamori
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class PerClassInstanceExample {
  @Tracked Path dir;
  @Tracked FileSystem fs;

  @BeforeAll
  void seed() throws IOException {
    Seen.home(dir);
    Files.writeString(fs.getPath(dir.toString(), "seed.txt"), "v1");
  }

  @Test
  @Order(1)
  void first() throws IOException {
    Seen.put("1.at start", Seen.tree(dir));
    Files.delete(dir.resolve("seed.txt"));
  }

  @Test
  @Order(2)
  void second() {
    Seen.put("2.at start", Seen.tree(dir));
    Seen.home(dir);
  }
}
