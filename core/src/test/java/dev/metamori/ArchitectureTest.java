package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The boundary users see and the shape of the core, checked on the compiled module and the
 * sources of this module (the tests run from the module's directory).
 */
class ArchitectureTest {
  private static final Path MAIN = Path.of("src/main/java");
  private static final int MAX_LINES = 500;

  @Test
  void theModuleExportsTheApiPackageAloneAndProvidesTheFileSystem() {
    ModuleReference module =
        ModuleFinder.of(Path.of("target/classes")).find("dev.metamori").orElseThrow();
    ModuleDescriptor descriptor = module.descriptor();

    assertEquals(
        Set.of("dev.metamori"),
        descriptor.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
    assertTrue(descriptor.exports().stream().noneMatch(ModuleDescriptor.Exports::isQualified));
    assertEquals(Set.of(), descriptor.opens());
    assertTrue(!descriptor.isOpen());
    assertEquals(
        List.of("dev.metamori.internal.fs.MetamoriFileSystemProvider"),
        descriptor.provides().stream()
            .filter(p -> p.service().equals(FileSystemProvider.class.getName()))
            .flatMap(p -> p.providers().stream())
            .collect(Collectors.toList()));
    assertTrue(
        descriptor.packages().stream()
            .allMatch(p -> p.equals("dev.metamori") || p.startsWith("dev.metamori.internal")),
        () -> "packages outside dev.metamori and its internal packages: " + descriptor.packages());
  }

  @Test
  void theApiPackageReachesTheImplementationThroughTheFactoryOnly() throws IOException {
    List<String> offending = new ArrayList<>();
    try (Stream<Path> files = Files.list(MAIN.resolve("dev/metamori"))) {
      for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
        for (String line : Files.readAllLines(file)) {
          String s = line.trim();
          if (s.contains("dev.metamori.internal")
              && !s.startsWith("*")
              && !s.equals("import dev.metamori.internal.CheckpointerFactory;")) {
            offending.add(file.getFileName() + ": " + s);
          }
        }
      }
    }
    assertEquals(List.of(), offending);
  }

  @Test
  void noMainClassIsLongerThanTheLimit() throws IOException {
    List<String> tooLong = new ArrayList<>();
    // src/main/java22: the Java 22 section of the multi-release jar
    for (Path root : List.of(MAIN, Path.of("src/main/java22"))) {
      try (Stream<Path> files = Files.walk(root)) {
        for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".java"))::iterator) {
          for (java.util.Map.Entry<String, Integer> c : classLines(Files.readAllLines(file)).entrySet()) {
            if (c.getValue() > MAX_LINES) {
              tooLong.add(root.relativize(file) + c.getKey() + " (" + c.getValue() + " lines)");
            }
          }
        }
      }
    }
    assertEquals(List.of(), tooLong, "classes over " + MAX_LINES + " lines");
  }

  /**
   * The lines of each class of a source file: a member class declared at the top level of the
   * file's class (indented by two spaces, as the formatter leaves it) counts as a class of its
   * own, from its declaration to its closing brace; the file's class gets the rest.
   */
  static java.util.Map<String, Integer> classLines(List<String> lines) {
    java.util.regex.Pattern member =
        java.util.regex.Pattern.compile("^  (?:(?:public|protected|private|static|final|abstract|sealed|non-sealed)\\s+)*(?:class|interface|record|enum)\\s+(\\w+).*");
    java.util.Map<String, Integer> out = new java.util.LinkedHashMap<>();
    int outer = 0;
    for (int i = 0; i < lines.size(); i++) {
      java.util.regex.Matcher m = member.matcher(lines.get(i));
      if (m.matches()) {
        int start = i;
        boolean oneLine = lines.get(i).endsWith("}");
        while (!oneLine && i < lines.size() - 1 && !lines.get(i).equals("  }")) {
          i++;
        }
        out.put("$" + m.group(1), i - start + 1);
      } else {
        outer++;
      }
    }
    out.put("", outer);
    return out;
  }

  @Test
  void aMemberClassCountsApartFromTheClassAroundIt() {
    List<String> file =
        new ArrayList<>(List.of("interface A {", "  record R(int r) {}", "  void a();", "  final class B {", "    int b;", "  }", "}"));
    assertEquals(java.util.Map.of("", 3, "$B", 3, "$R", 1), classLines(file));
  }
}
