package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The launcher script {@code bin/metamori}, run as a user runs it: in the source tree, from the
 * unpacked distribution through a link, and without its jar.
 */
class LauncherIT {
  @TempDir Path tmp;

  record Run(int code, String output) {}

  private static Run run(Path script, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("sh", script.toString()));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    return new Run(p.waitFor(), out);
  }

  private Path store() throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data"));
    Path store = tmp.resolve("store");
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Files.writeString(cp.fileSystem().getPath(data.resolve("a").toString()), "one");
      cp.commit("launched");
    }
    return store;
  }

  @Test
  void inTheSourceTreeItRunsTheBuiltJar() throws Exception {
    Path script = Path.of(System.getProperty("metamori.root"), "bin", "metamori");
    Run help = run(script, Map.of(), "--help");
    assertEquals(0, help.code(), help.output());
    assertTrue(help.output().contains("restore") && help.output().contains("status"), help.output());
    Run log = run(script, Map.of(), "-s", store().toString(), "log");
    assertEquals(0, log.code(), log.output());
    assertTrue(log.output().contains("launched"), log.output());
  }

  @Test
  void fromTheUnpackedDistributionThroughALinkOnThePath() throws Exception {
    Path tarball = Path.of(System.getProperty("metamori.tarball"));
    assertTrue(Files.isRegularFile(tarball), "the distribution is built first (mvn verify): " + tarball);
    Path unpacked = Files.createDirectories(tmp.resolve("opt"));
    Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString()).inheritIO().start();
    assertEquals(0, tar.waitFor());
    Path script;
    try (var dirs = Files.list(unpacked)) {
      script = dirs.findFirst().orElseThrow().resolve("bin/metamori");
    }
    Path onPath = Files.createDirectories(tmp.resolve("path-bin"));
    Files.createSymbolicLink(onPath.resolve("metamori"), script);
    Run log = run(onPath.resolve("metamori"), Map.of("METAMORI_JAVA_OPTS", "-Xmx64m"), "-s", store().toString(), "log");
    assertEquals(0, log.code(), log.output());
    assertTrue(log.output().contains("launched"), log.output());
  }

  @Test
  void withoutItsJarItSaysWhatToDoAndExitsWith5() throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("lonely/bin"));
    Path script = Files.copy(Path.of(System.getProperty("metamori.root"), "bin", "metamori"), bin.resolve("metamori"));
    Run r = run(script, Map.of(), "--help");
    assertEquals(5, r.code(), r.output());
    assertTrue(r.output().contains("build it first: mvn -q -DskipTests package"), r.output());
  }
}
