package dev.metamori.crash;

import dev.metamori.testing.Blob;
import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.Epoch;
import dev.metamori.testing.EpochTree;
import dev.metamori.MemoryRegion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

/**
 * The process {@link SigkillVolatileStateTest} kills: writes a few files, two memory regions
 * and one object, commits (half the time with {@code commitAsync}, writing on before it joins)
 * and rolls back, keeping an {@link OracleLog} of every epoch's {@link VolatileFingerprint}. Announces
 * on standard output what it is about to do:
 *
 * <pre>
 *   OPENED epoch            the store is open, the regions asked for and the object registered
 *   OP n                    about to perform operation n
 *   COMMIT k sync|async     about to commit for the k-th time; waits for a line on stdin
 *   CAPTURED k              commitAsync returned: the epoch is captured, not yet durable
 *   COMMITTED id micros     the commit is durable (micros from the call)
 *   ROLLBACK k target dir   about to roll back for the k-th time (dir: see EpochTree.Direction);
 *                           waits for a line on stdin
 *   ROLLEDBACK target micros
 *   PRUNE k policy          about to prune for the k-th time; waits for a line on stdin
 *   PRUNED k micros
 *   MISMATCH text           a self-check failed (exit status 3)
 *   DONE                    ran out of operations (exit status 0)
 * </pre>
 *
 * Arguments: {@code store root oracle seed maxOps rollbackPercent durability}.
 */
public final class VolatileWorkload {
  static final List<String> FILES = List.of("f0", "f1", "f2", "f3");

  private final Random random;
  private final Path root;
  private final Checkpointer cp;
  private final MemoryRegion small;
  private final MemoryRegion grid;
  private final Blob object = new Blob();
  private int ops;

  private VolatileWorkload(Random random, Path root, Checkpointer cp) throws IOException {
    this.random = random;
    this.root = root;
    this.cp = cp;
    this.small = cp.region("small", VolatileFingerprint.SMALL_SIZE);
    this.grid = cp.region("grid", VolatileFingerprint.GRID_SIZE);
    cp.register("object", object);
  }

  public static void main(String[] args) throws Exception {
    Path store = Paths.get(args[0]);
    Path root = Paths.get(args[1]);
    Path oracle = Paths.get(args[2]);
    Random random = new Random(Long.parseLong(args[3]));
    int maxOps = Integer.parseInt(args[4]);
    int rollbackPercent = Integer.parseInt(args[5]);
    OracleLog.State<String> state = OracleLog.read(oracle, VolatileFingerprint.FORMAT);
    state.requireSettled(oracle);
    Durability durability = Durability.valueOf(args[6]);
    int prunePercent = Integer.parseInt(args[7]);
    try (Checkpointer cp = Checkpointer.builder(store).track(root).durability(durability).open();
        OracleLog<String> log = OracleLog.append(oracle, VolatileFingerprint.FORMAT)) {
      VolatileWorkload w = new VolatileWorkload(random, root, cp);
      ChildProtocol.say("OPENED " + cp.currentEpoch());
      if (cp.currentEpoch() != state.current) {
        ChildProtocol.mismatch("opened at epoch " + cp.currentEpoch() + " but the oracle is at " + state.current);
      }
      w.check(state, state.current, "after opening");
      log.at(state.current);
      w.run(state, log, maxOps, rollbackPercent, prunePercent);
    }
    ChildProtocol.say("DONE");
    System.exit(0);
  }

  private void run(OracleLog.State<String> state, OracleLog<String> log, int maxOps, int rollbackPercent, int prunePercent)
      throws IOException {
    long nextId = state.nextId();
    int commits = 0;
    int rollbacks = 0;
    int prunes = 0;
    while (ops < maxOps) {
      for (int n = 1 + random.nextInt(5); n > 0 && ops < maxOps; n--) {
        step();
      }
      List<Epoch> valid = cp.epochs();
      if (valid.size() > 2 && random.nextInt(100) < prunePercent) {
        prunes++;
        String before = fingerprint();
        ChildProtocol.prune(cp, log, prunes, random);
        if (!before.equals(fingerprint())) {
          ChildProtocol.mismatch("prune " + prunes + " changed files, regions or the object: " + before + " became " + fingerprint());
        }
      } else if (random.nextInt(100) < rollbackPercent && valid.size() > 1) {
        // never epoch 0: the store had no object then, so a rollback would leave it as it is
        EpochTree tree = new EpochTree(valid);
        long target = tree.pickTarget(random, cp.currentEpoch(), 0);
        rollbacks++;
        ChildProtocol.rollback(cp, log, rollbacks, target);
        check(state, target, "after rollback to epoch " + target);
      } else {
        boolean async = random.nextBoolean();
        String fingerprint = fingerprint();
        commits++;
        log.pending(nextId, fingerprint);
        ChildProtocol.say("COMMIT " + commits + (async ? " async" : " sync"));
        ChildProtocol.awaitGo();
        long t0 = System.nanoTime();
        long id;
        if (async) {
          CompletableFuture<Long> f = cp.commitAsync();
          ChildProtocol.say("CAPTURED " + commits);
          // these belong to the next epoch, whether or not the captured one is durable yet
          for (int n = random.nextInt(4); n > 0; n--) {
            step();
          }
          id = f.join();
        } else {
          id = cp.commit();
        }
        ChildProtocol.committed(id, nextId, (System.nanoTime() - t0) / 1000, log, state, fingerprint);
        nextId = id + 1;
        if (!async) {
          check(state, id, "after commit of epoch " + id);
        }
      }
    }
  }

  /** One random write: to a file, a region (often across a page boundary) or the object. */
  private void step() throws IOException {
    ops++;
    ChildProtocol.say("OP " + ops);
    int dice = random.nextInt(10);
    if (dice < 4) {
      Path file = cp.fileSystem().getPath(root.resolve(FILES.get(random.nextInt(FILES.size()))).toString());
      byte[] data = bytes(random.nextInt(6000));
      switch (random.nextInt(4)) {
        case 0:
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(data), random.nextInt(10_000));
          }
          break;
        case 1:
          Files.write(file, data, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
          break;
        case 2:
          Files.write(file, data);
          break;
        default:
          Files.deleteIfExists(file);
      }
    } else if (dice < 8) {
      MemoryRegion r = random.nextBoolean() ? small : grid;
      int pages = (int) ((r.size() + 4095) / 4096);
      long offset = Math.min(r.size() - 1, Math.max(0, random.nextInt(pages) * 4096L - 50 + random.nextInt(100)));
      byte[] data = bytes((int) Math.min(r.size() - offset, 1 + random.nextInt(3 * 4096)));
      r.put(offset, data, 0, data.length);
    } else {
      switch (random.nextInt(3)) {
        case 0:
          object.bytes = bytes(random.nextInt(4) == 0 ? random.nextInt(300_000) : random.nextInt(20_000));
          break;
        case 1:
          if (object.bytes.length > 0) {
            object.bytes[random.nextInt(object.bytes.length)] ^= 1;
          }
          break;
        default:
          object.bytes = Arrays.copyOf(object.bytes, random.nextInt(2 * object.bytes.length + 100));
      }
    }
  }

  private byte[] bytes(int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  private String fingerprint() throws IOException {
    return VolatileFingerprint.of(root, small, grid, object);
  }

  private void check(OracleLog.State<String> state, long epoch, String when) throws IOException {
    String now = fingerprint();
    if (!now.equals(state.payload(epoch))) {
      ChildProtocol.mismatch(when + ": expected " + state.payload(epoch) + ", found " + now + ": " + VolatileFingerprint.whereFrom(state, now));
    }
  }
}
