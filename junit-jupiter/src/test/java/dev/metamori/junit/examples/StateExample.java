package dev.metamori.junit.examples;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A region and an object registered in {@code @BeforeAll} go back to the baseline too. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class StateExample {
  @Tracked static Checkpointer cp;
  @Tracked static Path dir;
  static MemoryRegion grid;
  static final Model MODEL = new Model();

  /** An object whose state is a string. */
  static final class Model implements Checkpointable {
    String state = "";

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(state.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public void restore(InputStream in) throws IOException {
      state = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @BeforeAll
  static void seed() throws IOException {
    Seen.home(dir);
    grid = cp.region("grid", 1 << 16);
    grid.putLong(8, 42);
    MODEL.state = "baseline";
    cp.register("model", MODEL);
  }

  @Test
  @Order(1)
  void changesTheState() {
    Seen.put("1.at start", grid.getLong(8) + " " + MODEL.state);
    grid.putLong(8, -1);
    grid.putLong(40_000, 7);
    MODEL.state = "changed";
  }

  @Test
  @Order(2)
  void seesTheBaseline() {
    Seen.put("2.at start", grid.getLong(8) + " " + grid.getLong(40_000) + " " + MODEL.state);
  }
}
