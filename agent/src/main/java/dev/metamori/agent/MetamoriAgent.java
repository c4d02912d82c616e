package dev.metamori.agent;

import dev.metamori.Checkpointer;
import dev.metamori.internal.fs.JavaIoJournal;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A Java agent that checkpoints the files of an unmodified program:
 *
 * <pre>{@code
 * java -javaagent:metamori-agent.jar -Dmetamori.store=DIR -Dmetamori.track=DIR[,DIR...] \
 *      [-Dmetamori.commitEvery=30s] -jar app.jar
 * }</pre>
 *
 * <p>At start-up it opens the store (recovering the tracked trees to the last committed epoch),
 * makes the journaling file system the default one for {@code java.nio.file}, and weaves the
 * journal into {@code java.io}'s writes, deletes, renames and creations under the tracked roots.
 * The settings may also come from the environment variables {@code METAMORI_STORE}, {@code
 * METAMORI_TRACK} and {@code METAMORI_COMMIT_EVERY}; a system property wins. See docs/agent.md
 * for what is and is not intercepted.
 *
 * <p>A program that wants the API gets the agent's {@link Checkpointer} from {@link
 * #checkpointer()}: it may commit, restore, list epochs and so on. It must not close it.
 */
public final class MetamoriAgent {
  static final String DEFAULT_PROVIDER = "java.nio.file.spi.DefaultFileSystemProvider";

  private static volatile Checkpointer checkpointer;

  private MetamoriAgent() {}

  /**
   * The checkpointer the agent opened.
   *
   * @return the agent's checkpointer (do not close it)
   * @throws IllegalStateException if the program does not run under the agent
   */
  public static Checkpointer checkpointer() {
    Checkpointer cp = checkpointer;
    if (cp == null) {
      throw new IllegalStateException(
          "the Metamori agent is not running: start the JVM with -javaagent:metamori-agent.jar"
              + " -Dmetamori.store=DIR -Dmetamori.track=DIR");
    }
    return cp;
  }

  /**
   * Entry point of {@code -javaagent}. A bad setting or a store that cannot be opened stops the
   * JVM before the program starts, with a message saying what to fix.
   *
   * @param args the agent's options (unused: settings come from system properties or environment)
   * @param inst the instrumentation the JVM gives
   */
  public static void premain(String args, Instrumentation inst) {
    try {
      start(inst, AgentConfig.read(System::getProperty, System::getenv));
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException("Metamori agent: " + e.getMessage(), e);
    }
  }

  private static void start(Instrumentation inst, AgentConfig config) throws IOException {
    RoutingFileSystemProvider provider = installDefaultProvider();
    FileSystem platform = provider.platformFileSystem();
    Checkpointer.Builder builder = Checkpointer.builder(platform.getPath(config.store()));
    for (String root : config.roots()) {
      builder.track(platform.getPath(root));
    }
    config.exclusions().forEach(builder::exclude);
    builder.registerMBean(); // metamori ctl PID, JConsole: the program asked for nothing
    Checkpointer cp = builder.open();
    JavaIoJournal journal = JavaIoJournal.of(cp);
    provider.route(journal);
    BridgeInjector.injectBridge(inst);
    JavaIoInterception.install(inst, journal, platform);
    checkpointer = cp;
    if (config.commitEvery() != null) {
      commitEvery(cp, config.commitEvery().toMillis());
    }
  }

  /**
   * Names the routing provider as the default one and makes the JDK build it now; fails if the
   * default file system was built before (then the property was read too early to matter).
   */
  private static RoutingFileSystemProvider installDefaultProvider() {
    String ours = RoutingFileSystemProvider.class.getName();
    String named = System.getProperty(DEFAULT_PROVIDER);
    if (named == null || named.isBlank()) {
      System.setProperty(DEFAULT_PROVIDER, ours);
    } else if (!java.util.Arrays.asList(named.split(",")).contains(ours)) {
      System.setProperty(DEFAULT_PROVIDER, named + "," + ours);
    }
    FileSystem fs = FileSystems.getDefault();
    RoutingFileSystemProvider provider = RoutingFileSystemProvider.installed();
    if (provider == null || fs.provider() != provider) {
      throw new IllegalStateException(
          "the default file system was set up before the agent started (by another agent or"
              + " JVM option, as " + fs.provider().getClass().getName() + "), so java.nio.file"
              + " calls could not be journaled: put -javaagent:metamori-agent.jar first");
    }
    return provider;
  }

  /** Commits every {@code millis} on a daemon thread, labelled {@code auto}. */
  private static void commitEvery(Checkpointer cp, long millis) {
    ScheduledExecutorService timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "metamori-commit-every");
              t.setDaemon(true);
              return t;
            });
    timer.scheduleWithFixedDelay(
        () -> {
          try {
            cp.commit("auto");
          } catch (IOException | RuntimeException e) {
            // the logger is looked up here, not earlier: setting up logging reads files, and
            // nothing may use the default file system before the agent has replaced it
            System.getLogger(MetamoriAgent.class.getName()).log(System.Logger.Level.ERROR, "Metamori agent: automatic commit failed", e);
          }
        },
        millis,
        millis,
        TimeUnit.MILLISECONDS);
  }
}
