package dev.metamori;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.metamori.testing.TreeSnapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.Channels;
import java.nio.channels.CompletionHandler;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Every way of writing through a {@link FileChannel} of the journaling file system. */
class ChannelOperationsTest extends TrackedTreeFixture {

  @Test
  void relativeWritesAfterSeekingAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("a.txt"), WRITE)) {
            c.write(ByteBuffer.wrap(filled(100, 1)));
            c.position(8190);
            c.write(ByteBuffer.wrap(filled(100, 2)));
            c.position(9990);
            c.write(ByteBuffer.wrap(filled(5000, 3))); // crosses the old end of file
            assertEquals(14_990, c.size());
          }
        });
  }

  @Test
  void relativeWritesAfterReadsSeeksAndTruncationsLandWhereTheDefaultFileSystemPutsThemAndAreUndone()
      throws IOException {
    java.nio.file.Path copy = outside.resolve("a-copy.txt");
    Files.copy(data.resolve("a.txt"), copy);
    assertRolledBackExactly(
        () -> {
          // the channel keeps its own position: each step must leave it where the JDK's does
          try (FileChannel c = FileChannel.open(p("a.txt"), READ, WRITE);
              FileChannel d = FileChannel.open(copy, READ, WRITE)) {
            for (FileChannel x : new FileChannel[] {c, d}) {
              x.read(ByteBuffer.allocate(5000));
              x.write(ByteBuffer.wrap(filled(100, 1))); // at 5000: block 1
              x.position(3000);
              x.read(new ByteBuffer[] {ByteBuffer.allocate(10), ByteBuffer.allocate(20)});
              x.write(new ByteBuffer[] {ByteBuffer.wrap(filled(10, 2)), ByteBuffer.wrap(filled(5, 3))});
              x.truncate(2000); // moves the position back to 2000
              x.write(ByteBuffer.wrap(filled(50, 4)));
              x.position(9000);
              x.read(ByteBuffer.allocate(10)); // at the end: -1, the position stays
              x.write(ByteBuffer.wrap(filled(10, 5))); // leaves a hole
            }
            assertEquals(d.position(), c.position());
            assertEquals(d.size(), c.size());
          }
          assertArrayEquals(Files.readAllBytes(copy), Files.readAllBytes(data.resolve("a.txt")));
        });
  }

  @Test
  void blocksThatDoNotCompressThenBlocksThatDoAreSavedAndRestoredExactly() throws IOException {
    // LZ4 is skipped on most blocks after a run that did not compress, and tried again later
    byte[] contents = new byte[400 * 4096];
    new java.util.Random(5).nextBytes(contents);
    Arrays.fill(contents, 200 * 4096, contents.length, (byte) 7);
    Files.write(p("mixed.bin"), contents);
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("mixed.bin"), WRITE)) {
            for (int b = 0; b < 400; b++) {
              c.write(ByteBuffer.wrap(filled(10, b)), b * 4096L + 7);
            }
          }
        });
  }

  @Test
  void positionalWritesInsideAndPastTheEndAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("b.bin"), WRITE)) {
            c.write(ByteBuffer.wrap(filled(10, 4)), 4090); // spans blocks 0 and 1
            c.write(ByteBuffer.wrap(filled(10, 5)), 50_000); // leaves a hole
            assertEquals(0, c.position(), "positional writes leave the position alone");
          }
          assertEquals(50_010, sizeOf("b.bin"));
        });
  }

  @Test
  void gatheringWritesAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("a.txt"), WRITE)) {
            c.position(3000);
            ByteBuffer[] parts = {
              ByteBuffer.wrap(filled(2000, 6)), ByteBuffer.wrap(filled(3000, 7)), ByteBuffer.wrap(filled(9000, 8))
            };
            assertEquals(14_000, c.write(parts));
            ByteBuffer[] more = {ByteBuffer.allocate(0), ByteBuffer.wrap(filled(10, 9)), ByteBuffer.wrap(filled(10, 10))};
            c.write(more, 1, 1);
          }
        });
  }

  @Test
  void appendModeWritesAreUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("small.txt"), APPEND)) {
            c.write(ByteBuffer.wrap(filled(5000, 11)));
            c.write(new ByteBuffer[] {ByteBuffer.wrap(filled(10, 12)), ByteBuffer.wrap(filled(10, 13))});
          }
        });
  }

  @Test
  void transferFromAnotherChannelIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("a.txt"), WRITE);
              FileChannel src = FileChannel.open(outside.resolve("o.txt"), READ)) {
            assertEquals(8, c.transferFrom(src, 9996, 100));
            byte[] big = bytes(200_000, 14);
            assertEquals(
                big.length,
                c.transferFrom(Channels.newChannel(new ByteArrayInputStream(big)), 100, big.length));
          }
          byte[] now = Files.readAllBytes(real("a.txt"));
          assertEquals(200_100, now.length);
        });
  }

  @Test
  void transferToOurChannelIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel src = FileChannel.open(real("b.bin"), READ);
              FileChannel c = FileChannel.open(p("dir/c.txt"), WRITE)) {
            c.position(1000);
            assertEquals(8192, src.transferTo(0, 8192, c));
          }
        });
  }

  @Test
  void truncatingAndRegrowingAFileIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("a.txt"), WRITE)) {
            c.truncate(4100);
            c.truncate(100);
            c.write(ByteBuffer.wrap(filled(10, 15)), 9000);
            c.truncate(20_000); // larger than the file: does nothing
            assertEquals(9010, c.size());
          }
          try (FileChannel c = FileChannel.open(p("b.bin"), WRITE)) {
            c.truncate(0);
          }
        });
  }

  @Test
  void aReadWriteMappingIsJournaledInEveryEpochItIsWrittenIn() throws IOException {
    byte[] original = bytes(10_000, 1);
    long e0 = cp.commit();
    TreeSnapshot s0 = snapshot();
    try (FileChannel c = FileChannel.open(p("a.txt"), READ, WRITE)) {
      MappedByteBuffer map = c.map(FileChannel.MapMode.READ_WRITE, 0, 10_000);
      map.put(0, (byte) 'A').put(5000, (byte) 'B').put(9999, (byte) 'C');
      long e1 = cp.commit();
      TreeSnapshot s1 = snapshot();
      byte[] atE1 = Files.readAllBytes(real("a.txt"));
      assertEquals('B', atE1[5000]);

      map.put(1, (byte) 'D').put(5000, (byte) 'E');
      long e2 = cp.commit();
      TreeSnapshot s2 = snapshot();

      map.put(9000, (byte) 'F'); // uncommitted
      cp.rollback(e2);
      s2.assertTreeMatches("mapping rolled back to the epoch after its second write");
      cp.rollback(e1);
      s1.assertTreeMatches("mapping rolled back to the epoch after its first write");
      assertArrayEquals(atE1, Files.readAllBytes(real("a.txt")));
      cp.rollback(e0);
      s0.assertTreeMatches("mapping rolled back to before it was made");
      assertArrayEquals(original, Files.readAllBytes(real("a.txt")));
      assertFalse(c.isOpen(), "rollback closes the channels of the file system");
    }
  }

  @Test
  void aMappingThatGrowsTheFileIsUndone() throws IOException {
    assertRolledBackExactly(
        () -> {
          try (FileChannel c = FileChannel.open(p("small.txt"), READ, WRITE)) {
            MappedByteBuffer map = c.map(FileChannel.MapMode.READ_WRITE, 4096, 8192);
            map.put(0, (byte) 1).put(8191, (byte) 2);
            map.force();
          }
          assertEquals(12_288, sizeOf("small.txt"));
        });
  }

  @Test
  void asynchronousWritesAreUndone() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      assertRolledBackExactly(
          () -> {
            try (AsynchronousFileChannel c = AsynchronousFileChannel.open(p("a.txt"), WRITE)) {
              assertEquals(5000, (int) get(c.write(ByteBuffer.wrap(filled(5000, 16)), 7000)));
            }
            try (AsynchronousFileChannel c =
                AsynchronousFileChannel.open(
                    p("dir/async.txt"), java.util.Set.of(WRITE, CREATE_NEW), pool)) {
              CompletableFuture<Integer> done = new CompletableFuture<>();
              c.write(
                  ByteBuffer.wrap(filled(100, 17)),
                  0,
                  null,
                  new CompletionHandler<Integer, Void>() {
                    @Override
                    public void completed(Integer result, Void attachment) {
                      done.complete(result);
                    }

                    @Override
                    public void failed(Throwable exc, Void attachment) {
                      done.completeExceptionally(exc);
                    }
                  });
              assertEquals(100, (int) get(done));
              c.truncate(50);
            }
            assertEquals(50, sizeOf("dir/async.txt"));
          });
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void readOnlyChannelsSeeTheRestoredContents() throws IOException {
    long e0 = cp.commit();
    Files.write(p("small.txt"), filled(3, 'q'));
    cp.rollback(e0);
    try (FileChannel c = FileChannel.open(p("small.txt"), READ)) {
      ByteBuffer b = ByteBuffer.allocate(64);
      c.read(b);
      assertEquals("hello\n", new String(Arrays.copyOf(b.array(), b.position()), java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  private long sizeOf(String rel) throws IOException {
    return Files.size(real(rel));
  }

  private static <T> T get(java.util.concurrent.Future<T> f) throws IOException {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof IOException) {
        throw (IOException) e.getCause();
      }
      throw new IOException(e.getCause());
    } catch (InterruptedException | TimeoutException e) {
      throw new IOException(e);
    }
  }
}
