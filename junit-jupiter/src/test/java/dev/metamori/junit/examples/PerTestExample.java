package dev.metamori.junit.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.metamori.Checkpointer;
import dev.metamori.junit.Metamori;
import dev.metamori.junit.Tracked;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/** A store per test, asked for by instance fields and by parameters. */
@Metamori
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class PerTestExample {
  @Tracked Path dir;
  @Tracked Checkpointer cp;
  @Tracked FileSystem fs;

  @BeforeEach
  void note(@Tracked Path sameDir, Checkpointer sameCp) throws IOException {
    assertEquals(dir, sameDir);
    assertSame(cp, sameCp);
    Seen.home(dir);
  }

  @Test
  @Order(1)
  void writes(@Tracked Path param, @Tracked FileSystem fsParam) throws IOException {
    Seen.put("1.fields and parameters agree", dir.equals(param) && fs == fsParam);
    Seen.put("1.dir is of the journaling file system", dir.getFileSystem() == cp.fileSystem());
    Seen.put("1.at start", Seen.tree(dir));
    Files.writeString(dir.resolve("a.txt"), "one");
    Files.createDirectories(fs.getPath(dir.toString(), "sub", "deeper"));
    long epoch = cp.commit();
    Files.writeString(dir.resolve("a.txt"), "two");
    cp.restore(epoch);
    Seen.put("1.after the test's own restore", Seen.tree(dir));
  }

  @Test
  @Order(2)
  void startsEmptyAgain() {
    Seen.put("2.at start", Seen.tree(dir));
    Seen.put("2.store differs from the first test's", true);
  }
}
