package dev.metamori.internal.fs;

import dev.metamori.internal.journal.OwnerOnly;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The entries whose outside changes were adopted into an epoch ({@code Checkpointer
 * .adoptOutsideChanges}): their state before that epoch was never saved (the outside change
 * destroyed it), so a restore that goes below it restores them as nearly as the journal allows,
 * with a warning, instead of refusing half-way. Kept in the store file {@code adopted}: one
 * checksummed entry per path ({@code int length, UTF-8 path, long epoch, int xxHash32}),
 * appended and forced before the epoch commits.
 */
final class AdoptedPaths {
  static final String FILE = "adopted";
  private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();
  private static final int SEED = 0x4d544d52;

  private final Path file;
  private final DirtyPaths paths = new DirtyPaths();
  private long length;

  private AdoptedPaths(Path file) {
    this.file = file;
  }

  static AdoptedPaths load(Path store) throws IOException {
    AdoptedPaths a = new AdoptedPaths(store.resolve(FILE));
    byte[] all;
    try {
      all = Files.readAllBytes(a.file);
    } catch (NoSuchFileException e) {
      return a;
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    while (b.remaining() >= 4) {
      int start = b.position();
      int n = b.getInt();
      if (n < 0 || b.remaining() < n + 12) {
        break;
      }
      byte[] name = new byte[n];
      b.get(name);
      b.getLong();
      if (XXHASH.hash(all, start, 4 + n + 8, SEED) != b.getInt()) {
        break; // a torn tail: its epoch never committed
      }
      a.paths.addTree(new String(name, StandardCharsets.UTF_8));
      a.length = b.position();
    }
    return a;
  }

  /** The adopted entries, each with everything under it. */
  DirtyPaths paths() {
    return paths;
  }

  /** Adds {@code adopted}, adopted into epoch {@code epoch}, durably. */
  synchronized void add(long epoch, List<String> adopted) throws IOException {
    try (FileChannel c = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      long at = length;
      for (String p : adopted) {
        byte[] name = p.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + name.length + 8 + 4);
        b.putInt(name.length).put(name).putLong(epoch);
        b.putInt(XXHASH.hash(b.array(), 0, 4 + name.length + 8, SEED));
        b.flip();
        while (b.hasRemaining()) {
          at += c.write(b, at);
        }
      }
      c.force(true);
      length = at;
    }
    for (String p : adopted) {
      paths.addTree(p);
    }
  }
}
