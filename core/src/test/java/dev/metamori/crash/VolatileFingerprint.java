package dev.metamori.crash;

import dev.metamori.MemoryRegion;
import dev.metamori.testing.Blob;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What {@link SigkillVolatileStateTest} records of an epoch in its {@link OracleLog}: a
 * fingerprint {@code files=h,small=h,grid=h,object=h} of the files directly in the root, both
 * regions and the object, one hash per part, so that a store whose parts come from different
 * epochs is reported part by part.
 */
final class VolatileFingerprint {
  /** A few pages, the last one partial. */
  static final long SMALL_SIZE = 2 * 4096 + 10;
  /** Many pages. */
  static final long GRID_SIZE = 48 * 4096 + 100;
  static final List<String> PARTS = List.of("files", "small", "grid", "object");

  /**
   * The log's format: the fingerprint as it is. Epoch 0, the store's creation, comes before the
   * log (the store had no regions and no object then): the log starts there.
   */
  static final OracleLog.Format<String> FORMAT = new OracleLog.Format<>(s -> s, s -> s, true);

  private VolatileFingerprint() {}

  /** The fingerprint of the files directly in {@code root}, both regions and the object. */
  static String of(Path root, MemoryRegion small, MemoryRegion grid, Blob object) throws IOException {
    MessageDigest files = sha256();
    List<Path> names = new ArrayList<>();
    try (Stream<Path> s = Files.list(root)) {
      s.sorted().forEach(names::add);
    }
    for (Path p : names) {
      byte[] content = Files.readAllBytes(p);
      files.update((p.getFileName() + "/" + content.length + "/").getBytes(StandardCharsets.UTF_8));
      files.update(content);
    }
    return "files=" + hex(files.digest()) + ",small=" + hash(small) + ",grid=" + hash(grid)
        + ",object=" + object.bytes.length + ":" + hex(sha256().digest(object.bytes));
  }

  private static String hash(MemoryRegion r) {
    byte[] all = new byte[(int) r.size()];
    r.get(0, all, 0, all.length);
    return hex(sha256().digest(all));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest, 0, 8);
  }

  /** A fingerprint's parts by name. */
  static Map<String, String> parts(String fingerprint) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String part : fingerprint.split(",")) {
      int eq = part.indexOf('=');
      m.put(part.substring(0, eq), part.substring(eq + 1));
    }
    return m;
  }

  /**
   * For each part of {@code fingerprint}, the epochs (committed or pending in {@code state})
   * whose part is the same: where a mixed state's parts come from.
   */
  static String whereFrom(OracleLog.State<String> state, String fingerprint) {
    Map<String, String> actual = parts(fingerprint);
    Map<Long, String> all = new LinkedHashMap<>(state.committed);
    if (state.pendingId != null) {
      all.put(state.pendingId, state.pending);
    }
    StringBuilder b = new StringBuilder();
    for (String part : PARTS) {
      List<Long> epochs = new ArrayList<>();
      all.forEach(
          (id, f) -> {
            if (parts(f).get(part).equals(actual.get(part))) {
              epochs.add(id);
            }
          });
      b.append(part).append(" as at epochs ").append(epochs).append("; ");
    }
    return b.toString();
  }

  /** Fails unless {@code actual} is {@code expected}, saying where each part of it comes from. */
  static void check(OracleLog.State<String> state, String expected, String actual, String when) {
    if (!expected.equals(actual)) {
      throw new AssertionError(
          when + ": expected " + expected + "\n  found " + actual + "\n  " + whereFrom(state, actual));
    }
  }
}
