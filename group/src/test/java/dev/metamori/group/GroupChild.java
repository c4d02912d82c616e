package dev.metamori.group;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.group.internal.Trace;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;

/**
 * A member in its own JVM, for the SIGKILL tests: it steps (each step bumps a counter, kept in
 * a registered object and in a tracked file), and the committer commits after every step. It
 * prints what it does and every step of the rounds it takes part in, one line each, so the
 * test can aim kills at them; "BAD" in a line is a broken invariant.
 *
 * <p>Arguments: ZooKeeper connect string, group, member id, roster (comma separated), directory,
 * committer (true or false).
 */
public final class GroupChild {
  static final class Counter implements Checkpointable {
    volatile long n;

    @Override
    public void save(OutputStream out) throws IOException {
      new DataOutputStream(out).writeLong(n);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      n = new DataInputStream(in).readLong();
    }
  }

  private static Checkpointer cp;
  private static Counter counter;
  private static Path file;

  public static void main(String[] args) throws Exception {
    String id = args[2];
    Path dir = Path.of(args[4]);
    Path data = Files.createDirectories(dir.resolve("data"));
    cp = Checkpointer.builder(dir.resolve("store")).track(data).durability(Durability.PROCESS).open();
    counter = new Counter();
    cp.register("counter", counter);
    file = cp.fileSystem().getPath(data.resolve("x").toString());
    Trace.to(s -> {
      if (s.startsWith("restored")) {
        long local = Long.parseLong(s.substring(s.lastIndexOf(' ') + 1));
        s += cp.currentEpoch() == local ? "" : " BAD: the Checkpointer is at " + cp.currentEpoch();
        s += " " + verify();
      }
      System.out.println("trace " + s);
    });
    CheckpointGroup group = CheckpointGroup.builder(cp).zookeeper(args[0]).group(args[1]).member(id)
        .roster(Set.of(args[3].split(","))).sessionTimeout(Duration.ofSeconds(5)).timeout(Duration.ofSeconds(45))
        .join(GroupFixture.CHANNELS);
    System.out.println("joined " + group.currentGlobalEpoch() + " " + verify());
    boolean committer = Boolean.parseBoolean(args[5]);
    while (true) {
      try (GroupStep step = group.step()) {
        counter.n++;
        Files.writeString(file, Long.toString(counter.n));
      } catch (GroupRolledBackException e) {
        System.out.println("rolledback " + e.globalEpoch() + " " + verify());
      } catch (GroupFencedException e) {
        System.out.println("fenced");
        Thread.sleep(50);
      }
      if (committer) {
        try {
          System.out.println("committed " + group.commit());
        } catch (GroupException e) {
          System.out.println("aborted " + e.getMessage().replace('\n', ' '));
        }
      } else {
        Thread.sleep(5);
      }
    }
  }

  /** The tracked file and the registered object belong to the same local epoch. */
  private static String verify() {
    try {
      String text;
      try {
        text = Files.readString(file);
      } catch (NoSuchFileException e) {
        text = "0";
      }
      return text.equals(Long.toString(counter.n)) ? "ok" : "BAD: file " + text + ", object " + counter.n;
    } catch (IOException e) {
      return "BAD: " + e;
    }
  }
}
