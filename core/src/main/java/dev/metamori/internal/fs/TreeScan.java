package dev.metamori.internal.fs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RecursiveAction;
import java.util.concurrent.TimeUnit;

/**
 * One stat of every entry under some directories (links not followed, never descended into),
 * directories listed in parallel: what {@link Witness} is built from and compared with.
 */
final class TreeScan {
  private final FileSystemProvider provider;
  private final boolean unix;
  private final java.util.function.Predicate<Path> skipped;

  /** A scan that leaves out the entries {@code skipped} names, and everything under them. */
  TreeScan(FileSystemProvider provider, boolean unix, java.util.function.Predicate<Path> skipped) {
    this.provider = provider;
    this.unix = unix;
    this.skipped = skipped;
  }

  /** The stat of {@code top} and of every entry under it (nothing if it does not exist). */
  Map<String, EntryStat> scan(List<Path> tops) throws IOException {
    ConcurrentSkipListMap<String, EntryStat> out = new ConcurrentSkipListMap<>();
    if (tops.isEmpty()) {
      return out; // most commits: no pool to start
    }
    // the tops and their children are stat'ed here: a tree without subdirectories needs no
    // other thread (waking one costs milliseconds on a loaded machine)
    List<Entry> tasks = new ArrayList<>();
    for (Path top : tops) {
      tasks.addAll(new Entry(top, out).visit());
    }
    if (tasks.isEmpty()) {
      return out;
    }
    try {
      POOL.invoke(
          new RecursiveAction() {
            @Override
            protected void compute() {
              invokeAll(tasks);
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return out;
  }

  /**
   * The threads that stat and list, shared by every scan (starting them for each scan cost more
   * than a small tree's stats): daemons that end after a few idle seconds. As many threads may be
   * added as {@code new ForkJoinPool(threads)} would, to stand in for ones blocked in a join.
   */
  private static final ForkJoinPool POOL = pool();

  private static ForkJoinPool pool() {
    int threads = Math.max(2, Math.min(16, 4 * Runtime.getRuntime().availableProcessors()));
    return new ForkJoinPool(
        threads, ForkJoinPool.defaultForkJoinWorkerThreadFactory, null, false, 0, 0x7fff, 1, null, 5, TimeUnit.SECONDS);
  }

  /** Stats one entry and, for a directory, its children; a subdirectory is a task of its own. */
  private final class Entry extends RecursiveAction {
    private final Path path;
    private final EntryStat known;
    private final Map<String, EntryStat> out;

    Entry(Path path, Map<String, EntryStat> out) {
      this(path, null, out);
    }

    private Entry(Path path, EntryStat known, Map<String, EntryStat> out) {
      this.path = path;
      this.known = known;
      this.out = out;
    }

    @Override
    protected void compute() {
      try {
        invokeAll(visit());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    /** Stats the entry and, for a directory, its children; returns its subdirectories, unvisited. */
    List<Entry> visit() throws IOException {
      EntryStat s = known != null ? known : EntryStat.read(provider, path, unix);
      if (s == null) {
        return List.of(); // gone while listed
      }
      out.put(path.toString(), s);
      if (s.type() != EntryStat.DIRECTORY) {
        return List.of();
      }
      List<Entry> subdirectories = new ArrayList<>();
      try (DirectoryStream<Path> ds = provider.newDirectoryStream(path, p -> true)) {
        for (Path child : ds) {
          if (skipped.test(child)) {
            continue;
          }
          EntryStat c = EntryStat.read(provider, child, unix);
          if (c == null) {
            continue;
          }
          if (c.type() == EntryStat.DIRECTORY) {
            subdirectories.add(new Entry(child, c, out));
          } else {
            out.put(child.toString(), c);
          }
        }
      } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException e) {
        return List.of();
      }
      return subdirectories;
    }
  }
}
