package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A workload that makes a store write every kind of file it has, over files of mode 0600 in
 * directories of mode 0700, and the check that everything in the store is owner-only.
 *
 * <p>Run as {@code StorePermissionsChild <store> <root> <probe>} (under {@code umask 000}, by
 * {@link StorePermissionsTest}): runs the workload on a new store and prints the mode a file
 * created with the defaults gets ({@code <probe>}, outside the store), then {@code ok}.
 */
final class StorePermissionsChild {
  static final FileAttribute<Set<PosixFilePermission>> FILE =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
  static final FileAttribute<Set<PosixFilePermission>> DIRECTORY =
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private StorePermissionsChild() {}

  public static void main(String[] args) throws Exception {
    Path store = Paths.get(args[0]);
    Path root = Paths.get(args[1]);
    Path probe = Paths.get(args[2]);
    fill(root);
    try (Checkpointer cp = Checkpointer.builder(store).track(root).open()) {
      run(cp, root, store);
    }
    Files.createFile(probe);
    System.out.println("probe " + PosixFilePermissions.toString(Files.getPosixFilePermissions(probe)));
    System.out.println("ok");
  }

  /** The tracked tree before the store is opened: a private key and a directory, owner-only. */
  static void fill(Path root) throws IOException {
    write(root.resolve("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY----- epoch 0");
    Path keys = Files.createDirectory(root.resolve("keys"), DIRECTORY);
    write(keys.resolve("a.key"), "key a, epoch 0");
    write(keys.resolve("b.key"), "key b, epoch 0");
  }

  /**
   * Commits epochs that overwrite, create and delete (trash), saves a region, restores back
   * (redo files, kept creations) and forth; checks the store; prunes (compacted archive and
   * index, written as .new copies and renamed) and checks it again.
   */
  static void run(Checkpointer cp, Path realRoot, Path store) throws IOException {
    FileSystem fs = cp.fileSystem();
    Path root = fs.getPath(realRoot.toString());
    MemoryRegion region = cp.region("session", 3 * 4096);
    region.put(0, (byte) 1);
    Files.writeString(root.resolve("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY----- epoch 1");
    long one = cp.commit();
    Path sub = Files.createDirectory(root.resolve("keys/new"), DIRECTORY);
    write(sub.resolve("c.key"), "key c, epoch 2");
    region.put(4096, (byte) 2);
    cp.commit();
    Files.delete(root.resolve("keys/a.key"));
    Files.move(root.resolve("keys/b.key"), root.resolve("id_ed25519"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    long three = cp.commit();
    cp.restore(one); // undoes three and two the first time: their redo files, kept creations
    List<Path> all = assertOwnerOnly(store);
    assertTrue(all.stream().anyMatch(p -> inTrash(p, "c")), "a creation is kept in the trash: " + all);
    cp.restore(three);
    Files.writeString(root.resolve("id_ed25519"), "-----BEGIN OPENSSH PRIVATE KEY----- epoch 4");
    cp.commit();
    all = assertOwnerOnly(store);
    assertTrue(all.stream().anyMatch(p -> p.toString().endsWith(".redo")), "a redo file was written: " + all);
    assertTrue(all.stream().anyMatch(p -> inTrash(p, "")), "something is in the trash: " + all);
    PruneResult pruned = cp.prune(RetentionPolicy.keepLast(1));
    assertFalse(pruned.removedEpochs().isEmpty(), "the prune removed epochs");
    // epoch 1 holds region pages: its segment stays as an archive, compacted into a .seg.new
    // copy renamed over it (as index.mv is, by index.mv.new)
    assertTrue(Files.exists(store.resolve(String.format("segments/%020d.seg", one))), "epoch " + one + " is archived");
    assertOwnerOnly(store);
  }

  /** Whether {@code p} is an entry {@code trash/<epoch>/<prefix>...}. */
  private static boolean inTrash(Path p, String prefix) {
    Path epochDir = p.getParent();
    return epochDir != null && epochDir.getParent() != null
        && epochDir.getParent().getFileName().toString().equals("trash")
        && p.getFileName().toString().startsWith(prefix);
  }

  /** Creates a file of mode 0600 with {@code text} in it. */
  static void write(Path file, String text) throws IOException {
    Files.write(
        Files.createFile(file, FILE), text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.TRUNCATE_EXISTING);
  }

  /**
   * Fails unless every directory in {@code store} (itself included) is 0700 and every other
   * entry a regular file of 0600; returns them all.
   */
  static List<Path> assertOwnerOnly(Path store) throws IOException {
    List<Path> all = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(store)) {
      walk.forEach(all::add);
    }
    for (Path p : all) {
      String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
      if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
        if (!mode.equals("rwx------")) {
          wrong.add(p + " " + mode);
        }
      } else if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) || !mode.equals("rw-------")) {
        wrong.add(p + " " + mode);
      }
    }
    assertEquals(List.of(), wrong, "entries of the store that are not owner-only");
    return all;
  }
}
