package dev.metamori.agent;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link AgentWorkload} in a child JVM under the agent: one command at a time, each answered
 * by one line (lines the JVM itself prints, such as warnings, are skipped).
 */
final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final BufferedReader out;
  private final Writer in;
  private final Path stderr;

  ChildJvm(Path store, Path root, Path work, String... extraJvmOptions) throws IOException {
    String jar = System.getProperty("metamori.agent.jar");
    assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "the agent jar is built first (mvn verify): " + jar);
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-javaagent:" + jar);
    cmd.add("-Dmetamori.store=" + store);
    cmd.add("-Dmetamori.track=" + root);
    cmd.addAll(List.of(extraJvmOptions));
    cmd.add("-jar"); // as in the documented command line: the launcher opens the jar
    cmd.add(appJar(work).toString());
    stderr = Files.createTempFile(work, "child", ".err");
    process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
    out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    in = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    StringBuilder before = new StringBuilder();
    String line;
    while ((line = out.readLine()) != null && !line.equals("ready")) {
      before.append(line).append('\n'); // JVM warnings, or why it did not start
    }
    if (line == null) {
      fail("the child JVM ended before it was ready:\n" + before + Files.readString(stderr));
    }
  }

  /** An application jar holding {@link AgentWorkload} (and nothing of the agent) as Main-Class. */
  static Path appJar(Path work) throws IOException {
    Path jar = work.resolve("app.jar");
    if (Files.exists(jar)) {
      return jar;
    }
    Path classes;
    try {
      classes = Path.of(AgentWorkload.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
    java.util.jar.Manifest manifest = new java.util.jar.Manifest();
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(java.util.jar.Attributes.Name.MAIN_CLASS, AgentWorkload.class.getName());
    Path dir = classes.resolve(AgentWorkload.class.getPackageName().replace('.', '/'));
    try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar), manifest);
        java.util.stream.Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String name = f.getFileName().toString();
        if (name.startsWith(AgentWorkload.class.getSimpleName())) {
          out.putNextEntry(new java.util.jar.JarEntry(classes.relativize(f).toString()));
          out.write(Files.readAllBytes(f));
          out.closeEntry();
        }
      }
    }
    return jar;
  }

  /** Sends {@code command}; returns what follows {@code ok } in the answer, fails on an error. */
  String run(String command) throws IOException {
    in.write(command + "\n");
    in.flush();
    String line;
    while ((line = out.readLine()) != null) {
      if (line.startsWith("ok ") || line.equals("ok")) {
        return line.length() > 3 ? line.substring(3) : "";
      }
      if (line.startsWith("error ")) {
        fail(command + " failed in the child JVM: " + line);
      }
    }
    fail(command + ": the child JVM ended:\n" + Files.readString(stderr));
    return null;
  }

  /** The child's process id. */
  long pid() {
    return process.pid();
  }

  /** Kills the child with SIGKILL and waits until it is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly().waitFor();
  }

  /** Ends the child with the {@code exit} command (if it still runs) and waits for it. */
  @Override
  public void close() throws IOException {
    if (process.isAlive()) {
      run("exit");
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while the child JVM exits");
      }
    }
  }
}
