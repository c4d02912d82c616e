package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.cli.CliTest.Run;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code metamori ctl}, run in this JVM against a child JVM ({@link ControlledChild}) that
 * registered its checkpointers' MBeans: the child says when it is ready and when it has done
 * what it was told, so no step waits on time.
 */
class CtlCommandTest {
  @TempDir Path tmp;
  private Process child;
  private BufferedReader childOut;
  private PrintWriter childIn;
  private final List<String> childLines = new ArrayList<>();

  /** Starts the child with the stores {@code names}, each tracking a root of its own, and waits until it is ready. */
  private void startChild(String... names) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ControlledChild.class.getName());
    for (String name : names) {
      Path root = Files.createDirectories(tmp.resolve("root-" + name));
      command.add(tmp.resolve(name) + "=" + root);
    }
    child = new ProcessBuilder(command).redirectErrorStream(true).start();
    childOut = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    childIn = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
    awaitLine("ready");
  }

  /** Reads the child's output up to the line {@code expected}; fails if it ends first. */
  private void awaitLine(String expected) throws IOException {
    for (String line; (line = childOut.readLine()) != null; ) {
      childLines.add(line);
      if (line.equals(expected)) {
        return;
      }
    }
    throw new AssertionError("the child ended without printing " + expected + ": " + childLines);
  }

  /** Tells the child to do {@code line} and waits until it has. */
  private void tell(String line) throws IOException {
    childIn.println(line);
    awaitLine("ok");
  }

  private Run ctl(String... args) {
    List<String> all = new ArrayList<>(List.of("ctl", Long.toString(child.pid())));
    all.addAll(List.of(args));
    return CliTest.run(all.toArray(new String[0]));
  }

  private String real(String name) throws IOException {
    return tmp.resolve(name).toRealPath().toString();
  }

  private String a(String name) throws IOException {
    return Files.readString(tmp.resolve("root-" + name).resolve("a"));
  }

  @AfterEach
  void stopChild() throws Exception {
    if (child != null) {
      childIn.close(); // the child closes its stores and exits
      assertEquals(0, child.waitFor(), "the child's output: " + childLines);
    }
  }

  @Test
  void commitStatusAndRestoreActOnTheChildsStore() throws Exception {
    startChild("store");

    Run commit = ctl("commit", "first");
    assertEquals(0, commit.code(), commit.err());
    assertEquals("committed epoch 1 \"first\" of " + real("store") + "\n", commit.out());
    assertEquals("", commit.err(), "no warning");

    tell("write 0 two");
    Run unlabelled = ctl("commit");
    assertEquals(0, unlabelled.code(), unlabelled.err());
    assertEquals("committed epoch 2 of " + real("store") + "\n", unlabelled.out());

    Run status = ctl("status");
    assertEquals(0, status.code(), status.err());
    assertEquals("store " + real("store") + " at epoch 2, 3 epochs; no change outside the checkpointer\n", status.out());

    Run restore = ctl("restore", "1");
    assertEquals(0, restore.code(), restore.err());
    assertEquals("restored epoch 1 of " + real("store") + "\n", restore.out());
    assertEquals("one", a("store"));

    Run json = ctl("status", "--json");
    assertEquals(0, json.code(), json.err());
    assertTrue(json.out().contains("\"epoch\":1,\"epochs\":3"), json.out());
    assertTrue(json.out().startsWith("{\"pid\":" + child.pid() + ","), json.out());
  }

  @Test
  void anUnknownEpochIsRefusedWithTheLibrarysMessageAndExitCode4() throws Exception {
    startChild("store");
    Run r = ctl("restore", "99");
    assertEquals(Main.NO_SUCH_EPOCH, r.code(), r.out() + r.err());
    assertTrue(r.err().startsWith("metamori: process " + child.pid() + ": no such epoch 99"), r.err());
    assertEquals("", r.out());
    assertEquals("one", a("store"), "nothing changed");
  }

  @Test
  void withSeveralStoresCtlAsksWhichAndTakesAPathOrADirectoryName() throws Exception {
    startChild("first", "second");
    Run ambiguous = ctl("status");
    assertEquals(Main.USAGE, ambiguous.code());
    assertTrue(ambiguous.err().contains("has 2 checkpointers: name one with --store, one of " + real("first") + ", " + real("second")), ambiguous.err());

    Run byName = ctl("commit", "--store", "second");
    assertEquals(0, byName.code(), byName.err());
    assertEquals("committed epoch 1 of " + real("second") + "\n", byName.out());
    Run byPath = ctl("status", "-s", real("first"));
    assertTrue(byPath.out().startsWith("store " + real("first") + " at epoch 0,"), byPath.out());

    Run unknown = ctl("status", "--store", "third");
    assertEquals(Main.USAGE, unknown.code());
    assertTrue(unknown.err().contains("no checkpointer of process " + child.pid() + " has store third"), unknown.err());

    tell("close 1");
    tell("close 0");
    Run none = ctl("status");
    assertEquals(Main.ERROR, none.code());
    assertTrue(none.err().contains("has no checkpointer registered as an MBean"), none.err());
  }

  @Test
  void badArgumentsAreUsageErrors() throws Exception {
    Run r = CliTest.run("ctl", "1", "restore", "latest");
    assertEquals(Main.USAGE, r.code());
    assertTrue(r.err().contains("give commit [LABEL], restore EPOCH (an epoch id) or status"), r.err());
    assertEquals(Main.USAGE, CliTest.run("ctl", "1", "rollback").code());
  }

  @Test
  void aProcessThatIsGoneIsAClearError() throws Exception {
    // (a live process that is not a JVM gives the same message after the Attach API's timeout, 10 s)
    Process gone = new ProcessBuilder("true").start();
    assertEquals(0, gone.waitFor());
    Run r = CliTest.run("ctl", Long.toString(gone.pid()), "status");
    assertEquals(Main.ERROR, r.code());
    assertTrue(r.err().startsWith("metamori: cannot attach to process " + gone.pid() + " ("), r.err());
    assertTrue(r.err().contains("it must be a running JVM of the same user"), r.err());
  }
}
