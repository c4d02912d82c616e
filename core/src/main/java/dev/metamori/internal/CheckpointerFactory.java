package dev.metamori.internal;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.internal.fs.MetamoriFileSystem;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The one way from the API package into the implementation: {@link Checkpointer.Builder} and
 * {@link Checkpointer#of} call here and nowhere else inside {@code dev.metamori.internal}.
 * Public only because the API package must reach it; the module does not export it.
 */
public final class CheckpointerFactory {
  private CheckpointerFactory() {}

  /**
   * Opens (creating or recovering) the store, and registers its MBean if asked; arguments are
   * validated by the builder.
   */
  public static Checkpointer open(
      Path store, List<Path> roots, int blockSize, Durability durability, Clock clock, boolean registerMBean,
      List<String> exclusions)
      throws IOException {
    return LocalCheckpointer.open(store, roots, blockSize, durability, clock, registerMBean, exclusions);
  }

  /** Checks a glob of {@code Builder.exclude}; see {@link dev.metamori.internal.fs.Exclusions#check}. */
  public static void checkExclusion(String glob) {
    dev.metamori.internal.fs.Exclusions.check(glob);
  }

  /** Rebuilds the index of a store that is not open; see {@link Checkpointer#repair}. */
  public static dev.metamori.RepairResult repair(Path store) throws IOException {
    return dev.metamori.internal.journal.StoreRepair.repair(store);
  }

  /**
   * The checkpointer behind a Metamori file system.
   *
   * @throws IllegalArgumentException if {@code fileSystem} is not one
   */
  public static Checkpointer checkpointerOf(FileSystem fileSystem) {
    if (fileSystem instanceof MetamoriFileSystem) {
      return ((MetamoriFileSystem) fileSystem).checkpointer();
    }
    throw new IllegalArgumentException(fileSystem + " is not a Metamori file system");
  }
}
