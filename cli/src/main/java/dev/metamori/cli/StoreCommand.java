package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import dev.metamori.NoSuchEpochException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * A command that works on one existing store: opens it (which recovers it, as any open does),
 * runs, closes it, and returns the exit code.
 */
abstract class StoreCommand implements Callable<Integer> {
  @Mixin StoreOptions options;
  @ParentCommand Main main;
  @Spec CommandSpec spec;

  /** Runs the command on the open store; returns the exit code. */
  abstract int run(Checkpointer cp) throws IOException;

  /**
   * Rejects options that do not go together with a {@link ParameterException} (a usage error),
   * before the store is opened: opening recovers it, which a wrong command line should not do.
   */
  void checkOptions() {}

  @Override
  public final Integer call() throws IOException {
    Path store = store();
    checkOptions();
    try (Checkpointer cp = open(store)) {
      return run(cp);
    }
  }

  /** Opens {@code store}, with the roots it records. */
  Checkpointer open(Path store) throws IOException {
    return Checkpointer.builder(store).open();
  }

  /** Whether the command may create the store when the directory holds none (opening creates one). */
  boolean createsStore() {
    return false;
  }

  /** The store named here or before the command; it must hold an index. */
  Path store() {
    Path store = options.store != null ? options.store : main.options.store;
    if (store == null) {
      throw new ParameterException(spec.commandLine(), "Missing required option: '--store=DIR'");
    }
    if (!isStore(store) && !createsStore()) {
      // opening would create a new, empty store there
      throw new ParameterException(spec.commandLine(), notAStore(store));
    }
    return store;
  }

  /**
   * Whether {@code store} holds a store: an index, or a catalogue from which an open rebuilds
   * a lost index.
   */
  static boolean isStore(Path store) {
    return Files.isRegularFile(store.resolve("index.mv")) || Files.isRegularFile(store.resolve("catalogue.seg"));
  }

  static String notAStore(Path store) {
    return store + " is not a Metamori store (it has neither index.mv nor catalogue.seg): give the directory"
        + " that was passed to Checkpointer.builder";
  }

  boolean json() {
    return options.json || main.options.json;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /**
   * A progress line for {@code what} on stderr when attached to a terminal and printing text,
   * reporting the store's progress from now on; null otherwise.
   */
  ProgressLine progress(Checkpointer cp, String what) {
    if (!main.terminal || json()) {
      return null;
    }
    ProgressLine line = new ProgressLine(spec.commandLine().getErr(), what, System::nanoTime);
    cp.reportProgressTo(line);
    return line;
  }

  /** Ends a progress line started by {@link #progress}, if any. */
  static void finish(ProgressLine line) {
    if (line != null) {
      line.finish();
    }
  }

  /** {@code file} relative to the store where it lies inside it, as people know its files. */
  static String storeRelative(Path store, Path file) {
    if (file == null) {
      return null;
    }
    try {
      Path real = store.toRealPath();
      if (file.startsWith(real)) {
        return real.relativize(file).toString();
      }
    } catch (IOException e) {
      // the absolute path says the same, only longer
    }
    return file.toString();
  }

  /**
   * The epoch {@code target} names, on any branch: digits are an id, anything else a label (the
   * newest epoch with it).
   */
  static Epoch resolve(Checkpointer cp, String target) throws IOException {
    if (target.matches("[0-9]+")) {
      long id;
      try {
        id = Long.parseLong(target);
      } catch (NumberFormatException e) {
        throw new NoSuchEpochException(-1, "epoch id " + target + " is out of range");
      }
      for (Epoch e : cp.epochs()) {
        if (e.id() == id) {
          return e;
        }
      }
      throw new NoSuchEpochException(id, "it is not in the store (see metamori log)");
    }
    return cp.epoch(target);
  }
}
