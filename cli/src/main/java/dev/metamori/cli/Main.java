package dev.metamori.cli;

import dev.metamori.CorruptStoreException;
import dev.metamori.NoSuchEpochException;
import dev.metamori.StoreLockedException;
import dev.metamori.StreamException;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.Charset;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code metamori} command: looks at, restores and prunes a store on disk.
 *
 * <pre>{@code java -jar metamori-cli.jar --store DIR log|verify|stats|diff FROM TO|restore EPOCH|prune OPTIONS|repair [--json]
 * java -jar metamori-cli.jar --store DIR export [--base A] EPOCH FILE|-|receive FILE|- [--json]
 * java -jar metamori-cli.jar ctl PID commit [LABEL]|restore EPOCH|status [--store NAME] [--json]
 * java -jar metamori-cli.jar group log|restore G --zookeeper HOST:PORT --group NAME [--store ID=DIR...] [--json]}</pre>
 *
 * <p>Exit codes: {@value #OK} ok, {@value #DAMAGE} damage found, {@value #USAGE} usage error,
 * {@value #LOCKED} store held by a live process, {@value #NO_SUCH_EPOCH} no such epoch,
 * {@value #ERROR} any other error (message on stderr), {@value #REFUSED} refused: it would
 * remove the current epoch (or a refused group restore, or a refused stream), {@value #CHANGED}
 * tracked entries changed outside the checkpointer, {@value #UNREACHABLE} ZooKeeper cannot be reached, {@value #NO_SUCH_GROUP} no
 * such group. See docs/cli.md.
 */
@Command(
    name = "metamori",
    description = "Looks at, restores, prunes, repairs, exports and receives a Metamori checkpoint store.",
    subcommands = {
      LogCommand.class,
      VerifyCommand.class,
      StatsCommand.class,
      DiffCommand.class,
      StatusCommand.class,
      RestoreCommand.class,
      PruneCommand.class,
      RepairCommand.class,
      ExportCommand.class,
      ReceiveCommand.class,
      CtlCommand.class,
      HelpCommand.class
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:ok",
      "1:damage found in the store (repair: damage the index cannot be rebuilt past)",
      "2:usage error",
      "3:the store is held by a live process",
      "4:no such epoch",
      "5:any other error (message on stderr)",
      "6:refused: it would remove the current epoch; group restore: members running with --store, or not"
          + " running without; receive: the stream is damaged or does not fit the store",
      "7:tracked entries were changed outside the checkpointer (status; a refused restore)",
      "8:ZooKeeper cannot be reached (group commands)",
      "9:no group of that name in that ZooKeeper (group commands)"
    })
public final class Main implements Callable<Integer> {
  /** Exit code: the command did what it was asked. */
  public static final int OK = 0;
  /** Exit code: the store is damaged ({@code verify} found damage, or a damaged record stopped the command). */
  public static final int DAMAGE = 1;
  /** Exit code: the command line is wrong, or the directory is not a store. */
  public static final int USAGE = 2;
  /** Exit code: another process (or Checkpointer) has the store open. */
  public static final int LOCKED = 3;
  /** Exit code: no epoch in the store has the id or label asked for. */
  public static final int NO_SUCH_EPOCH = 4;
  /** Exit code: any other error; the message is on stderr. */
  public static final int ERROR = 5;
  /**
   * Exit code: the command was refused because it would remove the current epoch (a {@code prune
   * --drop-branch} of the branch the store is on), or a {@code group restore} was refused because
   * members are running while stores were given, or not running while none were, or {@code
   * receive} refused the stream (damaged, cut short, or not for this store's state); nothing changed.
   */
  public static final int REFUSED = 6;
  /**
   * Exit code: tracked entries were changed outside the checkpointer: {@code status} lists them,
   * and a {@code restore} was refused because of them; nothing changed.
   */
  public static final int CHANGED = 7;

  /**
   * Exit code: a group command could not reach ZooKeeper within its connection timeout, or lost
   * it; nothing was changed unless the message says otherwise.
   */
  public static final int UNREACHABLE = 8;

  /**
   * Exit code: a group command named a group that its ZooKeeper does not have; the message
   * lists the groups it has. Nothing was changed.
   */
  public static final int NO_SUCH_GROUP = 9;

  @Mixin StoreOptions options;

  @picocli.CommandLine.Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help and exit.")
  boolean help;

  @Spec CommandSpec spec;

  /** Whether stderr is a terminal a progress line may be drawn on. */
  boolean terminal;

  /** Standard input as bytes: what {@code receive -} reads. */
  InputStream stdin;

  /** Standard output as bytes: where {@code export ... -} writes the stream. */
  OutputStream stdout;

  /** The top command, with no options set; {@link #run(String...)} parses into a new one. */
  public Main() {}

  /**
   * Runs the command line and exits with its exit code.
   *
   * @param args the command line
   */
  public static void main(String... args) {
    System.exit(run(args));
  }

  /**
   * Runs the command line, writing to {@code System.out} and {@code System.err}, and returns
   * the exit code instead of exiting.
   *
   * @param args the command line
   * @return the exit code (docs/cli.md)
   */
  public static int run(String... args) {
    Charset cs = Charset.defaultCharset();
    PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
    PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
    // not System.out: a PrintStream swallows write errors, and a stream cut short must fail
    return run(System.in, new FileOutputStream(FileDescriptor.out), out, err, System.console() != null, args);
  }

  /**
   * Runs the command line, writing to {@code out} and {@code err}; {@code terminal} says whether
   * a progress line may be drawn on {@code err}. Returns the exit code.
   */
  static int run(PrintWriter out, PrintWriter err, boolean terminal, String... args) {
    return run(System.in, new FileOutputStream(FileDescriptor.out), out, err, terminal, args);
  }

  /**
   * As {@link #run(PrintWriter, PrintWriter, boolean, String...)}, with {@code stdin} and {@code
   * stdout} as the bytes {@code receive -} reads and {@code export ... -} writes.
   */
  static int run(
      InputStream stdin, OutputStream stdout, PrintWriter out, PrintWriter err, boolean terminal, String... args) {
    Main main = new Main();
    main.terminal = terminal;
    main.stdin = stdin;
    main.stdout = stdout;
    CommandLine cl = new CommandLine(main);
    addGroupCommands(cl);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          commandLine.getErr().println("metamori: " + message(e));
          commandLine.getErr().flush();
          return exitCode(e);
        });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  /**
   * Adds {@code group log|restore}. They are named here rather than in the annotation because
   * the module check of the store commands compiles without them (see the pom).
   */
  private static void addGroupCommands(CommandLine cl) {
    try {
      Object group = Class.forName("dev.metamori.cli.GroupCommand").getDeclaredConstructor().newInstance();
      cl.addSubcommand("group", group);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the group commands are missing from this build", e);
    }
  }

  /** With no command: the usage, and a usage error. */
  @Override
  public Integer call() {
    spec.commandLine().getErr().println("metamori: name a command");
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  private static int exitCode(Exception e) {
    if (e instanceof StoreLockedException) {
      return LOCKED;
    }
    if (e instanceof NoSuchEpochException) {
      return NO_SUCH_EPOCH;
    }
    if (e instanceof CorruptStoreException) {
      return DAMAGE;
    }
    if (e instanceof dev.metamori.OutsideChangesException) {
      return CHANGED;
    }
    if (e instanceof StreamException) {
      return REFUSED;
    }
    return ERROR;
  }

  private static String message(Exception e) {
    String m = e.getMessage();
    return m == null ? e.toString() : m;
  }
}
