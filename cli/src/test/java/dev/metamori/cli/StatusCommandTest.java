package dev.metamori.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.Checkpointer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code status} lists the changes made behind the checkpointer's back, a plain {@code restore}
 * refuses them (exit 7, nothing changed), and {@code restore --adopt}, {@code restore
 * --overwrite} and {@code status --adopt} go on, as a user at a terminal would do it.
 */
class StatusCommandTest {
  @TempDir Path tmp;
  Path data;
  Path store;

  /** Epoch 1 "first": a is "one"; epoch 2: a is "two", b is "bee". */
  @BeforeEach
  void twoEpochs() throws IOException {
    data = Files.createDirectory(tmp.resolve("data"));
    store = tmp.resolve("store");
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Path a = cp.fileSystem().getPath(data.resolve("a").toString());
      Files.writeString(a, "one");
      cp.commit("first");
      Files.writeString(a, "two");
      Files.writeString(cp.fileSystem().getPath(data.resolve("b").toString()), "bee");
      cp.commit();
    }
  }

  private CliTest.Run run(String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "-s";
    all[1] = store.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    return CliTest.run(all);
  }

  @Test
  void aCleanTreeHasAnEmptyStatus() {
    CliTest.Run r = run("status");
    assertEquals(0, r.code(), r.err());
    assertEquals("at epoch 2: no change outside the checkpointer\n", r.out());
    CliTest.Run j = run("status", "--json");
    assertTrue(j.out().contains("\"clean\":true"), j.out());
  }

  @Test
  void theStoresExclusionsAreShownAndWhatIsUnderThemIsNoChange() throws IOException {
    Path other = Files.createDirectory(tmp.resolve("other"));
    Path excluding = tmp.resolve("excluding");
    Checkpointer.builder(excluding).track(other).exclude("cache").exclude("*.sock").open().close();
    Files.createDirectories(other.resolve("cache"));
    Files.writeString(other.resolve("cache/page"), "scratch");
    CliTest.Run r = CliTest.run("-s", excluding.toString(), "status");
    assertEquals(0, r.code(), r.err());
    assertEquals(
        "not tracked (excluded): cache, *.sock\nat epoch 0: no change outside the checkpointer\n", r.out());
    CliTest.Run j = CliTest.run("-s", excluding.toString(), "status", "--json");
    assertTrue(j.out().contains("\"exclusions\":[\"cache\",\"*.sock\"]"), j.out());
  }

  @Test
  void aLineAppendedByAnotherProgramIsListedAndRefusesTheRestore() throws IOException {
    Files.writeString(data.resolve("a"), " and a line from elsewhere", StandardOpenOption.APPEND);
    Files.writeString(data.resolve("c"), "new");
    CliTest.Run r = run("status");
    assertEquals(Main.CHANGED, r.code(), r.err());
    assertEquals(
        "modified " + data.resolve("a") + "\ncreated " + data.resolve("c") + "\n",
        r.out().lines().limit(2).map(l -> l + "\n").reduce("", String::concat));
    CliTest.Run refused = run("restore", "first");
    assertEquals(Main.CHANGED, refused.code(), refused.out());
    assertTrue(refused.err().contains("modified " + data.resolve("a")), refused.err());
    assertEquals("two and a line from elsewhere", Files.readString(data.resolve("a")), "nothing changed");
    assertTrue(run("status", "--json").out().contains("\"epoch\":2"), "the store is still at epoch 2");
  }

  @Test
  void restoreAdoptKeepsTheOutsideChangesInANewEpoch() throws IOException {
    Files.writeString(data.resolve("a"), " and a line from elsewhere", StandardOpenOption.APPEND);
    Files.writeString(data.resolve("c"), "new");
    CliTest.Run r = run("restore", "--adopt", "first");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("2 outside changes adopted into epoch 3"), r.out());
    assertEquals("one", Files.readString(data.resolve("a")));
    assertTrue(Files.notExists(data.resolve("c")), "what was created outside is undone with the epoch that adopted it");
    assertEquals(0, run("status").code());
    assertEquals(0, run("restore", "3").code());
    assertEquals("two and a line from elsewhere", Files.readString(data.resolve("a")));
    assertEquals("new", Files.readString(data.resolve("c")));
  }

  @Test
  void restoreOverwriteGoesOnAndSaysWhatIsNotExact() throws IOException {
    Files.writeString(data.resolve("b"), "BEE");
    CliTest.Run r = run("restore", "--overwrite", "first");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("1 outside change overwritten"), r.out());
    assertEquals("one", Files.readString(data.resolve("a")));
    assertTrue(Files.notExists(data.resolve("b")), "b did not exist at epoch 1");
    assertEquals(0, run("status").code());
  }

  @Test
  void statusAdoptCommitsTheChanges() throws IOException {
    Files.delete(data.resolve("b"));
    CliTest.Run r = run("status", "--adopt");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("deleted " + data.resolve("b")), r.out());
    assertTrue(r.out().contains("1 outside change adopted into epoch 3"), r.out());
    assertEquals(0, run("status").code());
    assertEquals(0, run("restore", "first").code());
    assertEquals("one", Files.readString(data.resolve("a")));
  }

  @Test
  void verifyListsOutsideChangesAfterTheStoreDamageItFinds() throws IOException {
    assertEquals(0, run("verify").code());
    Files.writeString(data.resolve("b"), "BEE");
    CliTest.Run r = run("verify");
    assertEquals(Main.CHANGED, r.code(), r.out() + r.err());
    assertTrue(r.out().contains("changed outside the checkpointer: modified " + data.resolve("b")), r.out());
    CliTest.Run j = run("verify", "--json");
    assertTrue(j.out().contains("\"ok\":true"), j.out());
    assertTrue(j.out().contains("\"outsideChanges\":[{\"path\":\"" + data.resolve("b") + "\",\"kind\":\"modified\"}]"), j.out());
  }
}
