package dev.metamori.crash;

import dev.metamori.Checkpointer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

/**
 * A child JVM for {@link SigkillOutputCommitTest}: records outputs and commits, announcing each
 * step on standard output, until the test kills it. Modes: {@code loop} (defer {@code p<pid>-<i>},
 * write, commit, announce {@code COMMITTED p<pid>-<i> <epoch>}, forever; the handler announces
 * {@code DELIVERED <key> <epoch>} and, given a fourth argument, appends {@code <key> <epoch>} to
 * that file first), {@code uncommitted} (defer {@code lost}, announce {@code
 * DEFERRED}, wait), {@code blocked} (defer {@code k1} and {@code k2}, commit; the handler
 * delivers {@code k1}, then announces {@code HANDLING k2} and never returns).
 */
public final class OutputsChild {
  private OutputsChild() {}

  /** The payload the outputs of {@code key} carry. */
  static byte[] payloadOf(String key) {
    return ("payload of " + key).getBytes(StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws Exception {
    Path store = Paths.get(args[0]);
    Path data = Paths.get(args[1]);
    String mode = args[2];
    CountDownLatch never = new CountDownLatch(1);
    try (Checkpointer cp = Checkpointer.builder(store).track(data).open()) {
      Path file = cp.fileSystem().getPath(data.resolve("f").toString());
      cp.onCommitted(
          o -> {
            if (mode.equals("blocked") && o.key().equals("k2")) {
              ChildProtocol.say("HANDLING k2 " + o.epoch());
              never.await();
            }
            if (args.length > 3) {
              // where the test finds what was delivered once the child is killed
              Files.writeString(
                  Paths.get(args[3]), o.key() + " " + o.epoch() + "\n", StandardCharsets.UTF_8,
                  java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            }
            ChildProtocol.say("DELIVERED " + o.key() + " " + o.epoch());
          });
      switch (mode) {
        case "loop" -> {
          String prefix = "p" + ProcessHandle.current().pid() + "-";
          for (int i = 0; ; i++) {
            cp.deferUntilCommitted(prefix + i, payloadOf(prefix + i));
            Files.writeString(file, "step " + i);
            long epoch = cp.commit();
            ChildProtocol.say("COMMITTED " + prefix + i + " " + epoch);
          }
        }
        case "uncommitted" -> {
          cp.deferUntilCommitted("lost", payloadOf("lost"));
          Files.writeString(file, "uncommitted");
          ChildProtocol.say("DEFERRED");
          ChildProtocol.awaitGo();
        }
        case "blocked" -> {
          cp.deferUntilCommitted("k1", payloadOf("k1"));
          cp.deferUntilCommitted("k2", payloadOf("k2"));
          Files.writeString(file, "blocked");
          ChildProtocol.say("COMMITTED " + cp.commit());
          never.await();
        }
        default -> throw new IllegalArgumentException(mode);
      }
    }
  }
}
