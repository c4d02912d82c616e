package dev.metamori.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An unmodified program under the agent, in a child JVM: what it writes with {@code Files},
 * {@code FileOutputStream}, {@code RandomAccessFile}, {@code File} and {@code java.util.logging}
 * is committed and restored exactly, and after SIGKILL its store reopens at the last commit.
 */
class AgentIT {
  @TempDir Path work;

  private Path root() throws IOException {
    return Files.createDirectories(work.resolve("root"));
  }

  /** Every entry under {@code root}: a directory, or a file's bytes and last-modified time. */
  static Map<String, String> snapshot(Path root) throws IOException, NoSuchAlgorithmException {
    Map<String, String> entries = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        String value =
            a.isDirectory()
                ? "dir"
                : a.size() + " bytes, sha-256 "
                    + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)))
                    + ", modified " + a.lastModifiedTime().toMillis();
        entries.put(root.relativize(p).toString(), value);
      }
    }
    return entries;
  }

  /** Changes through every intercepted API, {@code round} making each round differ. */
  private static void change(ChildJvm child, Path root, int round) throws IOException {
    String r = root.toString();
    child.run("nio-write " + r + "/nio.txt nio" + round);
    child.run("nio-append " + r + "/nio-log.txt line" + round);
    child.run("fos " + r + "/fos.txt fos" + round);
    child.run("fos-append " + r + "/append.txt +" + round);
    child.run("raf " + r + "/data.bin " + (round * 4000) + " raf" + round);
    if (Runtime.version().feature() >= 21) {
      // a native method on JDK 17, which instrumentation cannot reach (docs/agent.md)
      child.run("raf-length " + r + "/sized.bin " + (10_000 - round * 3000));
    }
    child.run("fos-channel " + r + "/channel.txt c" + round);
    child.run("raf-channel " + r + "/data.bin " + (round * 3000) + " chan" + round);
    child.run("raf-channel-truncate " + r + "/data.bin " + (20_000 - round * 5000));
    child.run("mkdirs " + r + "/dirs/r" + round + "/deep");
    assertEquals("true", child.run("create " + r + "/dirs/r" + round + "/new"));
    assertEquals("true", child.run("touch " + r + "/fos.txt " + (1_000_000_000_000L + round * 1000)));
    child.run("temp " + r + "/dirs");
    child.run("log round" + round);
  }

  @Test
  void commitsAndRestoresWhatAnUnmodifiedProgramWrites() throws Exception {
    Path root = root();
    Path outside = Files.createDirectories(work.resolve("outside"));
    try (ChildJvm child = new ChildJvm(work.resolve("store"), root, work)) {
      assertEquals(RoutingFileSystemProvider.class.getName(), child.run("provider " + root));
      child.run("log-open " + root + "/app.log");
      change(child, root, 1);
      long first = Long.parseLong(child.run("commit"));
      Map<String, String> atFirst = snapshot(root);

      change(child, root, 2);
      assertEquals("true", child.run("delete " + root + "/fos.txt"));
      assertEquals("true", child.run("rename " + root + "/data.bin " + root + "/dirs/moved.bin"));
      assertEquals("true", child.run("mkdir " + root + "/empty"));
      child.run("nio-delete " + root + "/nio.txt");
      long second = Long.parseLong(child.run("commit"));
      Map<String, String> atSecond = snapshot(root);
      assertNotEquals(atFirst, atSecond);

      change(child, root, 3);
      child.run("fos " + outside + "/kept.txt outside");
      child.run("restore " + first);
      assertEquals(atFirst, snapshot(root));
      child.run("restore " + second);
      assertEquals(atSecond, snapshot(root));
      // outside the tracked roots nothing is journaled, and nothing is undone
      assertEquals("outside", Files.readString(outside.resolve("kept.txt")));
    }
  }

  /** Runs {@code metamori ctl PID args...} in a process of its own; returns its output. */
  private static String ctl(long pid, String... args) throws IOException, InterruptedException {
    String jar = System.getProperty("metamori.cli.jar");
    assertTrue(jar != null && Files.isRegularFile(Path.of(jar)), "the cli jar is built first (mvn verify): " + jar);
    java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", jar, "ctl", Long.toString(pid)));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), "metamori ctl " + String.join(" ", args) + ": " + out);
    return out;
  }

  @Test
  void anotherProcessCommitsAndRestoresTheUnmodifiedProgramWithMetamoriCtl() throws Exception {
    Path root = root();
    try (ChildJvm child = new ChildJvm(work.resolve("store"), root, work)) {
      child.run("log-open " + root + "/app.log");
      change(child, root, 1);
      String first = ctl(child.pid(), "commit", "from-outside");
      assertTrue(first.startsWith("committed epoch 1 \"from-outside\""), first);
      Map<String, String> atFirst = snapshot(root);

      change(child, root, 2);
      assertEquals("true", child.run("delete " + root + "/fos.txt"));
      assertTrue(ctl(child.pid(), "commit").startsWith("committed epoch 2 "));
      Map<String, String> atSecond = snapshot(root);
      change(child, root, 3);

      assertTrue(ctl(child.pid(), "restore", "1").startsWith("restored epoch 1 "));
      assertEquals(atFirst, snapshot(root));
      assertTrue(ctl(child.pid(), "status").contains(" at epoch 1, "));
      assertTrue(ctl(child.pid(), "restore", "2").startsWith("restored epoch 2 "));
      assertEquals(atSecond, snapshot(root));
      // the program goes on writing, journaled, after restores made from outside
      change(child, root, 0);
      assertEquals("3", child.run("commit"));
    }
  }

  @Test
  void directoryStreamsAreSecureAsWithoutTheAgentAndARecursiveDeleteThroughOneIsUndone() throws Exception {
    Path root = root();
    Path outside = Files.createDirectories(work.resolve("outside/tree/deep"));
    Files.writeString(outside.resolve("f"), "outside");
    try (ChildJvm child = new ChildJvm(work.resolve("store"), root, work)) {
      child.run("mkdirs " + root + "/tree/deep");
      child.run("fos " + root + "/tree/deep/f tracked");
      child.run("fos " + root + "/tree/g more");
      long before = Long.parseLong(child.run("commit"));
      Map<String, String> atBefore = snapshot(root);
      assertEquals("deleted", child.run("secure-delete " + root + "/tree"));
      assertEquals("deleted", child.run("secure-delete " + work.resolve("outside/tree")));
      assertTrue(Files.notExists(root.resolve("tree")));
      child.run("restore " + before);
      assertEquals(atBefore, snapshot(root));
      assertTrue(Files.notExists(work.resolve("outside/tree")), "outside the roots nothing is undone");
    }
  }

  @Test
  void afterSigkillTheStoreReopensAtTheLastCommit() throws Exception {
    Path root = root();
    Path store = work.resolve("store");
    Map<String, String> committed;
    long epoch;
    ChildJvm child = new ChildJvm(store, root, work);
    try {
      child.run("log-open " + root + "/app.log");
      change(child, root, 1);
      epoch = Long.parseLong(child.run("commit"));
      committed = snapshot(root);
      change(child, root, 2);
      child.run("delete " + root + "/append.txt");
      child.run("rename " + root + "/nio.txt " + root + "/renamed.txt");
      assertNotEquals(committed, snapshot(root));
    } finally {
      child.kill();
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      assertEquals(epoch, cp.currentEpoch());
      assertEquals(committed, snapshot(root));
    }
    // and the program runs again under the agent on the recovered store
    try (ChildJvm again = new ChildJvm(store, root, work)) {
      again.run("fos " + root + "/fos.txt again");
      assertTrue(Long.parseLong(again.run("commit")) > epoch);
    }
  }

  @Test
  void commitEveryCommitsOnItsOwn() throws Exception {
    Path root = root();
    Path store = work.resolve("store");
    ChildJvm child = new ChildJvm(store, root, work, "-Dmetamori.commitEvery=100ms");
    try {
      child.run("fos " + root + "/auto.txt committed");
      // the second commit to end after the write began after it: it holds the write
      child.run("await-commits 2");
    } finally {
      child.kill();
    }
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      assertEquals("committed", Files.readString(root.resolve("auto.txt")));
      long current = cp.currentEpoch();
      assertTrue(current > 0);
      assertEquals(
          "auto", cp.epochs().stream().filter(e -> e.id() == current).findFirst().orElseThrow().label());
    }
  }

  @Test
  void aStoreThatCannotBeOpenedStopsTheJvmBeforeTheProgram() throws Exception {
    Path root = root();
    Path store = Files.createDirectories(root.resolve("store")); // inside the tracked root: refused
    String jar = System.getProperty("metamori.agent.jar");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-javaagent:" + jar,
                "-Dmetamori.store=" + store,
                "-Dmetamori.track=" + root,
                "-jar",
                ChildJvm.appJar(work).toString())
            .redirectErrorStream(true)
            .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
            .start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertNotEquals(0, p.waitFor());
    assertTrue(output.contains("lies inside tracked root"), output);
    assertTrue(!output.contains("ready"), output);
  }
}
