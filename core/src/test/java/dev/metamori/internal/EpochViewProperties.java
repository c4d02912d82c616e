package dev.metamori.internal;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.RetentionPolicy;
import dev.metamori.testing.Seeds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Random histories of a tracked tree (writes at offsets, appends, truncations, files and
 * directories created, deleted and renamed, over existing ones too, links and hard links,
 * permissions and times set, writes through channels across renames and deletions; commits,
 * restores to any epoch, which grow branches, prunes and reopenings; uncommitted changes at the
 * end), then, for every committed epoch, an {@link EpochView} compared with the tree a real
 * restore to that epoch leaves: every view is read before any restore, and must leave the trees
 * and the store as they were; then, from the state the restores left and new uncommitted
 * changes, every epoch is viewed again.
 *
 * <p>The default run is fixed: seed {@value #SEED}, {@code metamori.view.examples} histories
 * (default 60) of up to {@code metamori.view.maxOps} operations (default 60). A failure prints
 * its seed and the command that replays it; {@code -Dmetamori.seed=random} (the {@code explore}
 * profile) draws a fresh one.
 */
class EpochViewProperties {
  static final long SEED = 6120913585329514447L;
  private static final int EXAMPLES = Integer.getInteger("metamori.view.examples", 60);
  private static final int MAX_OPS = Integer.getInteger("metamori.view.maxOps", 60);
  /** Runs only the history of this index (to replay one that failed, with its records); -1: all. */
  private static final int ONLY = Integer.getInteger("metamori.view.only", -1);
  private static final String[] NAMES = {"a", "b", "c", "d", "e", "d/x", "d/y", "d/s", "d/s/t", "e/z", "e/w"};
  /** Kinds of change {@link History#change} draws from. */
  private static final int CHANGES = 83;
  private static final String[] FILE_MODES = {"rw-------", "rw-r--r--", "rwxr-x---"};
  private static final String[] DIRECTORY_MODES = {"rwx------", "rwxr-xr-x", "rwxr-x---"};

  @Test
  void everyEpochViewedIsWhatARestoreToItLeaves() {
    long seed = Seeds.seed(SEED);
    Seeds.run(
        "EpochViewProperties.everyEpochViewedIsWhatARestoreToItLeaves",
        seed,
        () -> {
          long[] counts = new long[3];
          for (int i = 0; i < EXAMPLES; i++) {
            if (ONLY < 0 || ONLY == i) {
              History h = new History(Seeds.trialSeed(seed, i));
              h.run(i);
              counts[0] += h.viewed;
              counts[1] += h.offLine;
              counts[2] += h.transientDirectories ? 1 : 0;
            }
          }
          System.out.println(
              "EpochViewProperties: " + counts[0] + " epochs viewed and restored (" + counts[1]
                  + " of them off the current line when viewed first); " + counts[2]
                  + " histories with directories created and removed within an epoch");
        },
        "metamori.view.examples=" + EXAMPLES,
        "metamori.view.maxOps=" + MAX_OPS);
  }

  /** One random history and its checks. */
  private static final class History {
    private final Random r;
    private final List<String> log = new ArrayList<>();
    private Path data;
    private Path store;
    private Checkpointer cp;
    private FileSystem fs;

    /**
     * Whether the history may create a directory and remove it within one epoch ({@link
     * #transientDirectory}); half of them do.
     */
    private final boolean transientAllowed;

    /**
     * Whether it did: the undo of such an epoch makes the directory again, and its redo removes
     * it and must then set the parent's time back to the epoch's.
     */
    private boolean transientDirectories;
    /** How many epochs were checked, and how many of them were off the current line. */
    private long viewed;
    private long offLine;

    History(long seed) {
      this.r = new Random(seed);
      this.transientAllowed = r.nextBoolean();
    }

    void run(int trial) {
      Path dir = null;
      try {
        dir = Files.createTempDirectory("metamori-view");
        data = Files.createDirectory(dir.resolve("data"));
        store = dir.resolve("store");
        populate();
        cp = Checkpointer.builder(store).track(data).open();
        fs = cp.fileSystem();
        data = data.toRealPath();
        int ops = 1 + r.nextInt(MAX_OPS);
        for (int i = 0; i < ops; i++) {
          step(r.nextInt(100));
        }
        for (int i = r.nextInt(4); i > 0; i--) {
          change(r.nextInt(CHANGES)); // uncommitted at the end
        }
        check();
      } catch (IOException | RuntimeException | AssertionError e) {
        throw new AssertionError(
            "history " + trial + " failed: " + e + "\n  " + String.join("\n  ", log) + (ONLY == trial ? records() : ""), e);
      } finally {
        try {
          if (cp != null) {
            cp.close();
          }
          if (dir != null) {
            MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
          }
        } catch (IOException ignored) {
          // a temporary directory
        }
      }
    }

    private void populate() throws IOException {
      Files.write(data.resolve("a"), bytes(5000));
      Files.createDirectory(data.resolve("d"));
      Files.write(data.resolve("d/x"), bytes(700));
      Files.createDirectory(data.resolve("e"));
      long t = 1_000_000_000L;
      try (Stream<Path> s = Files.walk(data)) {
        for (Path p : (Iterable<Path>) s::iterator) {
          Files.setLastModifiedTime(p, FileTime.fromMillis(t += 61_000));
        }
      }
    }

    private void step(int dice) throws IOException {
      if (dice < 70) {
        change(r.nextInt(CHANGES));
      } else if (dice < 85) {
        log.add("commit -> " + cp.commit());
      } else if (dice < 87) {
        RetentionPolicy policy = RetentionPolicy.keepLast(1 + r.nextInt(5));
        log.add("prune " + policy + " -> removed " + cp.prune(policy).removedEpochs());
      } else if (dice < 90) {
        log.add("reopen");
        cp.close();
        cp = Checkpointer.builder(store).track(data).open();
        fs = cp.fileSystem();
      } else {
        List<Epoch> epochs = cp.epochs();
        long target = epochs.get(r.nextInt(epochs.size())).id();
        log.add("restore " + target);
        cp.restore(target);
      }
    }

    private Path path(String name) {
      return fs.getPath(data.resolve(name).toString());
    }

    private BasicFileAttributes attributes(Path p) throws IOException {
      return Files.exists(p, NOFOLLOW_LINKS) ? Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW_LINKS) : null;
    }

    private boolean isDirectory(Path p) throws IOException {
      BasicFileAttributes a = attributes(p);
      return a != null && a.isDirectory();
    }

    /** One change of the tree, if it applies to what is there. */
    private void change(int dice) throws IOException {
      String name = NAMES[r.nextInt(NAMES.length)];
      Path p = path(name);
      BasicFileAttributes a = attributes(p);
      boolean parentIsDirectory = name.indexOf('/') < 0 || isDirectory(p.getParent());
      boolean file = a != null && a.isRegularFile();
      boolean canHoldFile = file || (a == null && parentIsDirectory);
      if (dice < 20 && canHoldFile) {
        int at = r.nextInt(12_000);
        int length = 1 + r.nextInt(9000);
        log.add("write " + name + " " + length + " bytes at " + at);
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
          write(c, at, bytes(length));
        }
      } else if (dice < 27 && canHoldFile) {
        int length = 1 + r.nextInt(5000);
        log.add("append " + name + " " + length);
        Files.write(p, bytes(length), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } else if (dice < 35 && file) {
        int size = r.nextInt(9000);
        log.add("truncate " + name + " to " + size);
        try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
          c.truncate(size);
          if (r.nextBoolean()) {
            int at = size + r.nextInt(5000);
            log.add("  and write 10 bytes at " + at);
            write(c, at, bytes(10));
          }
        }
      } else if (dice < 40 && a == null && parentIsDirectory) {
        log.add("mkdir " + name);
        Files.createDirectory(p);
      } else if (dice < 47 && a != null) {
        log.add("delete " + name);
        MoreFiles.deleteRecursively(p, RecursiveDeleteOption.ALLOW_INSECURE);
      } else if (dice < 57 && a != null) {
        rename(name, p, a);
      } else if (dice < 60 && a == null && parentIsDirectory) {
        String target = r.nextBoolean() ? "a" : "../missing";
        log.add("link " + name + " -> " + target);
        Files.createSymbolicLink(p, fs.getPath(target));
      } else if (dice < 65 && a != null && !a.isSymbolicLink()) {
        String[] modes = a.isDirectory() ? DIRECTORY_MODES : FILE_MODES;
        String mode = modes[r.nextInt(modes.length)];
        log.add("chmod " + name + " " + mode);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(mode));
      } else if (dice < 70 && a != null && !a.isSymbolicLink()) {
        long millis = 1_500_000_000_000L + r.nextInt(1_000_000_000);
        log.add("set time " + name + " " + millis);
        Files.setLastModifiedTime(p, FileTime.fromMillis(millis));
      } else if (dice < 75 && a == null && parentIsDirectory && transientAllowed) {
        transientDirectory(name, p);
      } else if (dice < 80 && file) {
        writtenWhileMoved(name, p);
      } else if (dice < 83 && file) {
        String to = NAMES[r.nextInt(NAMES.length)];
        Path q = path(to);
        if (attributes(q) == null && (to.indexOf('/') < 0 || isDirectory(q.getParent()))) {
          log.add("hard link " + to + " to " + name);
          Files.createLink(q, p);
        }
      }
    }

    /**
     * A directory created, a file moved into it and removed, and the directory removed, all
     * within one epoch: the undo must make the directory again for the file's way back.
     */
    private void transientDirectory(String name, Path p) throws IOException {
      for (String n : NAMES) {
        Path f = path(n);
        BasicFileAttributes fa = attributes(f);
        if (fa != null && fa.isRegularFile() && !name.startsWith(n + "/")) {
          log.add("mkdir " + name + ", move " + n + " into it, delete it there, delete " + name);
          transientDirectories = true;
          Files.createDirectory(p);
          Files.move(f, p.resolve("m"));
          if (r.nextBoolean()) {
            Files.write(p.resolve("m"), bytes(100), StandardOpenOption.APPEND);
          }
          Files.delete(p.resolve("m"));
          Files.delete(p);
          return;
        }
      }
    }

    /** Writes through a channel before and after its file (or its directory) is moved or deleted. */
    private void writtenWhileMoved(String name, Path p) throws IOException {
      try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
        write(c, r.nextInt(6000), bytes(1 + r.nextInt(5000)));
        int how = r.nextInt(3);
        if (how == 0) {
          log.add("write " + name + ", delete it, write through the open channel");
          Files.delete(p);
        } else if (how == 1 && name.indexOf('/') > 0) {
          String dir = name.substring(0, name.indexOf('/'));
          Path moved = path(dir + "-moved");
          log.add("write " + name + ", rename " + dir + " to " + dir + "-moved and back, write between");
          Files.move(path(dir), moved);
          write(c, r.nextInt(6000), bytes(1 + r.nextInt(5000)));
          Files.move(moved, path(dir));
        } else {
          String to = NAMES[r.nextInt(NAMES.length)];
          Path q = path(to);
          if (attributes(q) != null || (to.indexOf('/') > 0 && !isDirectory(q.getParent()))) {
            return;
          }
          log.add("write " + name + ", rename it to " + to + ", write through the open channel");
          Files.move(p, q);
        }
        write(c, r.nextInt(6000), bytes(1 + r.nextInt(5000)));
      }
    }

    private void rename(String name, Path p, BasicFileAttributes a) throws IOException {
      String to = NAMES[r.nextInt(NAMES.length)];
      Path q = path(to);
      if (to.equals(name) || to.startsWith(name + "/") || (to.indexOf('/') > 0 && !isDirectory(q.getParent()))) {
        return;
      }
      BasicFileAttributes b = attributes(q);
      if (b != null && (b.isDirectory() != a.isDirectory() || (b.isDirectory() && !isEmpty(q)))) {
        return;
      }
      log.add("rename " + name + " -> " + to + (b != null ? " (replacing)" : ""));
      if (b != null) {
        Files.move(p, q, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.move(p, q);
      }
    }

    private static boolean isEmpty(Path dir) throws IOException {
      try (Stream<Path> s = Files.list(dir)) {
        return s.findAny().isEmpty();
      }
    }

    private static void write(FileChannel c, long at, byte[] bytes) throws IOException {
      ByteBuffer b = ByteBuffer.wrap(bytes);
      while (b.hasRemaining()) {
        c.write(b, at + b.position());
      }
    }

    /** The records of every epoch and its redo file, for the replay of one failed history. */
    private String records() {
      StringBuilder b = new StringBuilder();
      try {
        dev.metamori.internal.journal.Journal j = EpochViewOracle.journal(cp);
        String root = data.toString();
        for (Epoch e : cp.epochs()) {
          b.append("\nepoch ").append(e.id()).append(" (parent ").append(e.parent()).append(")");
          List<Object> records = new ArrayList<>();
          j.forEachRecord(e.id(), (x, frame, payload) -> records.add(x));
          for (int i = 0; i < records.size(); i++) {
            b.append("\n    ").append(i).append(' ').append(String.valueOf(records.get(i)).replace(root, ""));
          }
          j.forEachRedoRecord(e.id(), x -> b.append("\n    redo ").append(String.valueOf(x).replace(root, "")));
        }
      } catch (IOException | RuntimeException e) {
        b.append("\n(records unreadable: ").append(e).append(')');
      }
      return b.toString();
    }

    private byte[] bytes(int n) {
      byte[] b = new byte[n];
      if (r.nextInt(4) > 0) { // else zeros: blocks of zeros are restored without writing them
        r.nextBytes(b);
      }
      return b;
    }

    /** Views every epoch, then restores each and compares; then views again from there. */
    private void check() throws IOException {
      List<Long> epochs = new ArrayList<>();
      for (Epoch e : cp.epochs()) {
        epochs.add(e.id());
      }
      log.add("check epochs " + epochs + " from current " + cp.currentEpoch());
      viewed = epochs.size();
      Map<Long, Long> parents = new java.util.HashMap<>();
      for (Epoch e : cp.epochs()) {
        parents.put(e.id(), e.parent());
      }
      List<Long> line = new ArrayList<>();
      for (long e = cp.currentEpoch(); e >= 0; e = parents.getOrDefault(e, -1L)) {
        line.add(e);
      }
      offLine = epochs.stream().filter(e -> !line.contains(e)).count();
      Collections.shuffle(epochs, r);
      Map<Long, Map<String, String>> restored =
          EpochViewOracle.viewThenRestore(cp, data, store, epochs);
      for (int i = 1 + r.nextInt(4); i > 0; i--) {
        change(r.nextInt(CHANGES));
      }
      log.add("view again from current " + cp.currentEpoch() + " with uncommitted changes");
      EpochViewOracle.viewAgain(cp, data, restored);
    }
  }
}
