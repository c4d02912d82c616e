package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape of the group module, checked on its sources (the tests run from the module's
 * directory), as the core's ArchitectureTest checks the core's.
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final int MAX_LINES = 500;

  @Test
  void noMainClassIsLongerThanTheLimit() throws IOException {
    List<String> tooLong = new ArrayList<>();
    try (Stream<Path> files = Files.walk(MAIN)) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java")).sorted()::iterator) {
        long lines = Files.readAllLines(file).size();
        if (lines > MAX_LINES) {
          tooLong.add(MAIN.relativize(file) + " (" + lines + " lines)");
        }
      }
    }
    assertEquals(List.of(), tooLong, "classes over " + MAX_LINES + " lines");
  }
}
