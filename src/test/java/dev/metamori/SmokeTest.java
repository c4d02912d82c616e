package dev.metamori;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.*;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SmokeTest {
  @TempDir Path tmp;

  @Test
  void writesRollBack() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("a.txt"), "original");
    try (Checkpointer cp = Checkpointer.builder(tmp.resolve("store")).track(data).open()) {
      FileSystem fs = cp.fileSystem();
      Path a = fs.getPath(data.resolve("a.txt").toString());
      Files.writeString(a, "changed once");
      long e1 = cp.commit();
      Files.writeString(a, "changed twice, longer");
      Files.writeString(fs.getPath(data.resolve("b.txt").toString()), "new");
      Files.createDirectories(fs.getPath(data.resolve("d/e").toString()));
      Files.move(a, fs.getPath(data.resolve("d/e/moved.txt").toString()));
      cp.rollback(e1);
      assertEquals("changed once", Files.readString(data.resolve("a.txt")));
      assertFalse(Files.exists(data.resolve("b.txt")));
      assertFalse(Files.exists(data.resolve("d")));
      cp.rollback(0);
      assertEquals("original", Files.readString(data.resolve("a.txt")));
    }
  }
}
