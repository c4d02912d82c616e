package dev.metamori.junit.examples;

import dev.metamori.Checkpointer;
import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** Asks for what {@code @Tracked} cannot give, and closes the checkpointer it was given. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class MisuseExample {
  @Test
  @Order(1)
  void asksForAString(@Tracked String notAPath) {}

  @Test
  @Order(2)
  void closesTheCheckpointer(@Tracked Path dir, Checkpointer cp) throws IOException {
    Seen.home(dir);
    cp.close();
  }
}
