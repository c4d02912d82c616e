package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.metamori.testing.Blob;
import dev.metamori.testing.TreeSnapshot;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Export of epochs from one store and their receipt by another, with other root paths. */
class ExportReceiveTest {
  @TempDir Path tmp;


  /** One side: a store tracking two roots, with a region and an object. */
  final class Side implements AutoCloseable {
    final Path a;
    final Path b;
    final Checkpointer cp;
    final MemoryRegion region;
    final Blob object = new Blob();

    Side(String name) throws IOException {
      a = tmp.resolve(name + "-first");
      b = tmp.resolve(name + "-second");
      Files.createDirectories(a);
      Files.createDirectories(b);
      cp = Checkpointer.builder(tmp.resolve(name + "-store")).track(a).track(b).open();
      region = cp.region("grid", 3 * 4096 + 100);
      cp.register("model", object);
    }

    Path a(String rel) {
      return cp.fileSystem().getPath(a.resolve(rel).toString());
    }

    Path b(String rel) {
      return cp.fileSystem().getPath(b.resolve(rel).toString());
    }

    byte[] regionBytes() {
      byte[] all = new byte[(int) region.size()];
      region.get(0, all, 0, all.length);
      return all;
    }

    @Override
    public void close() throws IOException {
      cp.close();
    }
  }

  private static TreeSnapshot snapshot(Path root) throws IOException {
    return TreeSnapshot.of(root, TreeSnapshot.Options.CRASH);
  }

  private static void assertSame(Side source, Side target) throws IOException {
    for (Path[] pair : new Path[][] {{source.a, target.a}, {source.b, target.b}}) {
      TreeSnapshot want = snapshot(pair[0]);
      TreeSnapshot got = snapshot(pair[1]);
      assertEquals(want, got, () -> want.describeDifferences(got));
    }
    assertArrayEquals(source.regionBytes(), target.regionBytes(), "region");
    assertArrayEquals(source.object.bytes, target.object.bytes, "object");
  }

  private static byte[] export(Checkpointer cp, long epoch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    cp.export(epoch, out);
    return out.toByteArray();
  }

  private static byte[] export(Checkpointer cp, long base, long epoch) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    cp.export(base, epoch, out);
    return out.toByteArray();
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  void fullThenIncrementalStreamsRebuildEachEpochElsewhere() throws Exception {
    try (Side source = new Side("source"); Side target = new Side("target")) {
      // epoch A
      Files.createDirectories(source.a("logs/old"));
      Files.write(source.a("logs/old/1.log"), "first\n".getBytes(StandardCharsets.UTF_8));
      Files.write(source.a("big.bin"), random(1, 300_000));
      Files.write(source.b("config"), "x=1\n".getBytes(StandardCharsets.UTF_8));
      Files.createSymbolicLink(source.b("current"), source.cp.fileSystem().getPath("config"));
      Files.write(source.a("sparse"), new byte[] {7}, StandardOpenOption.CREATE);
      try (var c = Files.newByteChannel(source.a("sparse"), StandardOpenOption.WRITE)) {
        c.position(5_000_000).write(java.nio.ByteBuffer.wrap(new byte[] {9}));
      }
      Files.setPosixFilePermissions(source.b("config"), PosixFilePermissions.fromString("rw-r-----"));
      source.region.put(5000, random(2, 3000), 0, 3000);
      source.object.bytes = "model at A".getBytes(StandardCharsets.UTF_8);
      long a = source.cp.commit("A");
      byte[] full = export(source.cp, a);

      long ra = target.cp.receive(new ByteArrayInputStream(full));
      assertEquals(ra, target.cp.currentEpoch());
      assertEquals("A", target.cp.epochs().get(target.cp.epochs().size() - 1).label());
      assertSame(source, target);
      assertTrue(full.length < 400_000, "a 5 MB sparse file and 300 KB of random bytes: " + full.length + " bytes");

      // epoch B: overwrite a block, rename a directory, delete, create, truncate, chmod
      try (var c = Files.newByteChannel(source.a("big.bin"), StandardOpenOption.WRITE)) {
        c.position(100_000).write(java.nio.ByteBuffer.wrap(random(3, 5000)));
      }
      Files.move(source.a("logs/old"), source.a("logs/archive"));
      Files.write(source.a("logs/archive/1.log"), "more\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
      Files.delete(source.b("current"));
      Files.write(source.b("new.txt"), "new".getBytes(StandardCharsets.UTF_8));
      try (var c = Files.newByteChannel(source.a("sparse"), StandardOpenOption.WRITE)) {
        c.truncate(1000);
      }
      Files.setPosixFilePermissions(source.a("big.bin"), PosixFilePermissions.fromString("rwx------"));
      source.region.put(100, new byte[] {1, 2, 3}, 0, 3);
      source.object.bytes = "model at B".getBytes(StandardCharsets.UTF_8);
      long b = source.cp.commit("B");
      byte[] ab = export(source.cp, a, b);
      assertTrue(ab.length < 30_000, "5 KB changed in a file: the stream has " + ab.length + " bytes");
      target.cp.receive(new ByteArrayInputStream(ab));
      assertSame(source, target);

      // epoch C: a file replaced by a rename over it, a directory removed with its content
      Files.write(source.a("big.bin.tmp"), random(4, 1000));
      Files.move(source.a("big.bin.tmp"), source.a("big.bin"), java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      Files.delete(source.a("logs/archive/1.log"));
      Files.delete(source.a("logs/archive"));
      Files.createDirectories(source.b("deep/er/est"));
      Files.write(source.b("deep/er/est/f"), random(5, 10));
      long c = source.cp.commit();
      target.cp.receive(new ByteArrayInputStream(export(source.cp, b, c)));
      assertSame(source, target);

      // the target can go back to what it received, like any epoch
      target.cp.restore(ra);
      source.cp.restore(a);
      assertSame(source, target);
    }
  }

  @Test
  void streamsOfEarlierEpochsExportedLaterRebuildEachEpoch() throws Exception {
    try (Side source = new Side("source"); Side target = new Side("target")) {
      long[] epochs = new long[3];
      for (int i = 0; i < 3; i++) {
        Files.write(source.a("f" + i), random(10 + i, 50_000));
        try (var c = Files.newByteChannel(source.a("f0"), StandardOpenOption.WRITE)) {
          c.position(4096L * i).write(java.nio.ByteBuffer.wrap(random(20 + i, 100)));
        }
        if (i == 1) {
          Files.move(source.a("f1"), source.b("moved"));
        }
        source.region.put(4096L * i, random(30 + i, 64), 0, 64);
        source.object.bytes = ("model " + i).getBytes(StandardCharsets.UTF_8);
        epochs[i] = source.cp.commit("E" + i);
      }
      // uncommitted changes on top: the streams are of the epochs, not of the live trees
      Files.write(source.a("f0"), new byte[] {1});
      Files.delete(source.b("moved"));
      byte[] full = export(source.cp, epochs[0]);
      byte[] ab = export(source.cp, epochs[0], epochs[1]);
      byte[] bc = export(source.cp, epochs[1], epochs[2]);
      long[] received = {
        target.cp.receive(new ByteArrayInputStream(full)),
        target.cp.receive(new ByteArrayInputStream(ab)),
        target.cp.receive(new ByteArrayInputStream(bc))
      };
      for (int i = 2; i >= 0; i--) {
        source.cp.restore(epochs[i]);
        target.cp.restore(received[i]);
        assertSame(source, target);
      }
    }
  }

  @Test
  void anEpochReadFromADamagedTrashEntryIsNotExported() throws Exception {
    try (Side source = new Side("source")) {
      Files.write(source.a("doc"), random(8, 20_000));
      long a = source.cp.commit();
      Files.delete(source.a("doc")); // into the trash, with a checksum
      long b = source.cp.commit();
      Path entry;
      try (var s = Files.walk(tmp.resolve("source-store").toRealPath().resolve("trash"))) {
        entry = s.filter(Files::isRegularFile).findFirst().orElseThrow();
      }
      byte[] bytes = Files.readAllBytes(entry);
      bytes[100] ^= 1;
      Files.write(entry, bytes);
      CorruptStoreException e = assertThrows(CorruptStoreException.class, () -> export(source.cp, a));
      assertTrue(e.getMessage().contains("trash"), e.getMessage());
      assertThrows(CorruptStoreException.class, () -> export(source.cp, b, a));
      assertTrue(export(source.cp, b).length > 0, "the current epoch does not need the entry");
    }
  }

  @Test
  void damagedTruncatedOrMisplacedStreamsAreRefusedAndChangeNothing() throws Exception {
    try (Side source = new Side("source"); Side target = new Side("target")) {
      Files.write(source.a("f"), random(6, 100_000));
      long a = source.cp.commit();
      byte[] full = export(source.cp, a);
      Files.write(source.a("g"), random(7, 1000));
      long b = source.cp.commit();
      byte[] ab = export(source.cp, a, b);

      // an incremental stream into a store without its base
      long before = target.cp.currentEpoch();
      StreamException noBase = assertThrows(StreamException.class, () -> target.cp.receive(new ByteArrayInputStream(ab)));
      assertTrue(noBase.getMessage().contains("does not hold the stream's base"), noBase.getMessage());

      Random random = new Random(42);
      for (int trial = 0; trial < 40; trial++) {
        byte[] bad = full.clone();
        if (trial % 2 == 0) {
          bad[random.nextInt(bad.length)] ^= (byte) (1 << random.nextInt(8));
        } else {
          bad = Arrays.copyOf(bad, random.nextInt(bad.length));
        }
        byte[] stream = bad;
        assertThrows(StreamException.class, () -> target.cp.receive(new ByteArrayInputStream(stream)), "trial " + trial);
        assertEquals(before, target.cp.currentEpoch());
        assertEquals(List.of(), Files.list(target.a).toList());
      }
      target.cp.receive(new ByteArrayInputStream(full));
      StreamException again = assertThrows(StreamException.class, () -> target.cp.receive(new ByteArrayInputStream(full)));
      assertTrue(again.getMessage().contains("already holds"), again.getMessage());
    }
  }
}
