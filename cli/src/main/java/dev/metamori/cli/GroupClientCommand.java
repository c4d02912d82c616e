package dev.metamori.cli;

import dev.metamori.group.GroupException;
import dev.metamori.group.NoSuchGlobalEpochException;
import dev.metamori.group.NoSuchGroupException;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;
import org.apache.zookeeper.KeeperException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A group command: connects to ZooKeeper (giving up after {@code --connect-timeout}), runs,
 * closes the connection, and turns the group's failures into exit codes.
 */
abstract class GroupClientCommand implements Callable<Integer> {
  @Option(
      names = {"-z", "--zookeeper"},
      required = true,
      paramLabel = "HOST:PORT",
      description = "ZooKeeper's connection string, host:port[,host:port...], as the members were given.")
  String zookeeper;

  @Option(names = {"-g", "--group"}, required = true, paramLabel = "NAME", description = "The group's name.")
  String group;

  @Option(
      names = "--connect-timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "10s",
      description = "How long to try reaching ZooKeeper before giving up (default: ${DEFAULT-VALUE}).")
  Duration connectTimeout;

  @Option(names = "--json", description = "Print one JSON document instead of text (field names in docs/cli.md).")
  boolean json;

  @Spec CommandSpec spec;

  /** Runs the command with a connected client; returns the exit code. */
  abstract int run(CuratorFramework client) throws IOException;

  @Override
  public final Integer call() throws IOException {
    int millis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
    CuratorFramework client =
        CuratorFrameworkFactory.builder()
            .connectString(zookeeper)
            .connectionTimeoutMs(millis)
            .sessionTimeoutMs(Math.max(millis, 10_000))
            .retryPolicy(new RetryOneTime(100))
            .build();
    try {
      client.start();
      if (!client.blockUntilConnected(millis, TimeUnit.MILLISECONDS)) {
        return fail(Main.UNREACHABLE, unreachable());
      }
      return run(client);
    } catch (NoSuchGroupException e) {
      return fail(Main.NO_SUCH_GROUP, e.getMessage());
    } catch (NoSuchGlobalEpochException e) {
      return fail(Main.NO_SUCH_EPOCH, e.getMessage());
    } catch (GroupException e) {
      if (e.getCause() instanceof KeeperException.ConnectionLossException
          || e.getCause() instanceof KeeperException.SessionExpiredException
          || e.getCause() instanceof KeeperException.OperationTimeoutException) {
        return fail(Main.UNREACHABLE, e.getMessage());
      }
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while connecting to ZooKeeper");
    } finally {
      client.close();
    }
  }

  private String unreachable() {
    return "cannot reach ZooKeeper at " + zookeeper + " within " + text(connectTimeout)
        + ": check that it is up and reachable from this machine, or allow longer with --connect-timeout";
  }

  /** {@code d} as the options take it: 10s, 1m30s. */
  static String text(Duration d) {
    return d.toString().substring(2).toLowerCase(java.util.Locale.ROOT);
  }

  /** Prints {@code message} as the command's error and returns {@code code}. */
  int fail(int code, String message) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("metamori: " + message);
    err.flush();
    return code;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }
}
