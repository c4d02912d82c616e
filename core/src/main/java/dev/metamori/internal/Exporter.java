package dev.metamori.internal;

import dev.metamori.Change;
import dev.metamori.internal.journal.ProgressListener;
import dev.metamori.internal.journal.EpochInfo;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.memory.StateTransfer;
import dev.metamori.internal.memory.VolatileState;
import dev.metamori.internal.stream.EpochIdentities;
import dev.metamori.internal.stream.StreamReader;
import dev.metamori.internal.stream.StreamRecord.Entry;
import dev.metamori.internal.stream.StreamRecord.Header;
import dev.metamori.internal.stream.StreamWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.FileSystem;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * Writes an export stream ({@link StreamWriter}) of a committed epoch: whole (every entry of the
 * trees at the epoch, read through an {@link EpochView}, and every region and object), or from a
 * base epoch (what {@link DiffCollector} finds changed between them, with the bytes of the
 * changed ranges read at the epoch). An incremental stream first moves aside (stages) what moved
 * and deletes what is gone, deepest paths first, so that every path it names is one of the base;
 * then puts back the staged entries and creates the new ones, shallowest first; then writes the
 * changed ranges of the files that stayed or moved, and the attributes of the directories
 * around them.
 */
final class Exporter {
  private final List<String> roots;
  private final Predicate<String> excluded;
  private final StreamWriter out;
  private final ProgressListener progress;
  private final byte[] buffer = new byte[StreamReader.MAX_DATA];
  private long done;
  private long total;

  private Exporter(Journal journal, Predicate<String> excluded, StreamWriter out,
      ProgressListener progress) throws IOException {
    this.roots = journal.roots();
    this.excluded = excluded;
    this.out = out;
    this.progress = progress;
  }

  /** Writes the stream of {@code epoch}, whole if {@code base} is -1, else from {@code base}. */
  static void export(Journal journal, VolatileState state, FileSystem fs, Predicate<String> excluded,
      EpochIdentities ids, long base, long epoch, OutputStream stream, ProgressListener progress)
      throws IOException {
    EpochInfo info = journal.epoch(epoch);
    DiffCollector.Detailed diff = base < 0 ? null : DiffCollector.collectWithDirectories(journal, state, fs, base, epoch);
    EpochView view = EpochView.at(journal, fs, epoch, excluded);
    StreamWriter out = new StreamWriter(stream);
    Exporter e = new Exporter(journal, excluded, out, progress);
    out.header(new Header(base < 0 ? null : ids.of(base), ids.of(epoch), info.label(),
        info.committedAtMillis(), e.roots.size()));
    if (diff == null) {
      e.total = -1; // not known before the trees are walked: the walk is the export
      for (String root : e.roots) {
        e.whole(view, root);
      }
      StateTransfer.all(journal, epoch, out);
    } else {
      e.changes(view, diff.changes(), diff.touchedDirectories());
      StateTransfer.changed(journal, epoch, diff.changes(), out);
    }
    out.close();
    progress.advanced(e.done, e.done);
  }

  /** The position of the tracked root {@code path} is, or is below; -1 if none. */
  private int rootOf(String path) {
    for (int i = 0; i < roots.size(); i++) {
      String root = roots.get(i);
      if (path.equals(root) || path.startsWith(root.endsWith("/") ? root : root + "/")) {
        return i;
      }
    }
    return -1;
  }

  /** The entry of real path {@code path}: its root's position and the path below it. */
  private Entry entry(String path) {
    int i = rootOf(path);
    if (i < 0) {
      throw new IllegalStateException(path + " is under no tracked root " + roots);
    }
    String root = roots.get(i);
    return new Entry(i, path.equals(root) ? "" : path.substring(root.length() + (root.endsWith("/") ? 0 : 1)));
  }

  private static String child(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  private static int depth(String path) {
    int n = 0;
    for (int i = 0; i < path.length(); i++) {
      if (path.charAt(i) == '/') {
        n++;
      }
    }
    return n;
  }

  /** Writes {@code path} and everything below it, as new entries, parents first. */
  private void whole(EpochView view, String path) throws IOException {
    EpochView.Node n = view.stat(path);
    if (n == null) {
      return;
    }
    Entry at = entry(path);
    if (n.kind() == EpochView.Kind.DIRECTORY) {
      out.directory(at, n.modifiedNanos(), n.permissions());
      for (String name : view.list(path)) {
        String c = child(path, name);
        if (!excluded.test(c)) {
          whole(view, c);
        }
      }
    } else if (n.kind() == EpochView.Kind.FILE) {
      out.file(at, false, n.size(), n.modifiedNanos(), n.permissions());
      data(view, path, 0, n.size(), true);
      out.fileEnd();
    } else if (n.kind() == EpochView.Kind.LINK) {
      out.link(at, n.linkTarget(), n.modifiedNanos());
    }
  }

  /** Writes the bytes of {@code [from, to)} of the file at {@code path}; {@code sparse}: skips pieces of zeros. */
  private void data(EpochView view, String path, long from, long to, boolean sparse) throws IOException {
    for (long at = from; at < to; ) {
      int want = (int) Math.min(buffer.length, to - at);
      ByteBuffer b = ByteBuffer.wrap(buffer, 0, want);
      while (b.hasRemaining()) {
        int n = view.read(path, at + b.position(), b);
        if (n < 0) {
          throw new IOException(path + " at the epoch ends before its size " + to + " (read " + (at + b.position()) + ")");
        }
      }
      if (!sparse || !zeros(buffer, want)) {
        out.data(at, buffer, want);
      }
      at += want;
      done += want;
      progress.advanced(done, total);
    }
  }

  private static boolean zeros(byte[] b, int n) {
    for (int i = 0; i < n; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  // ---- incremental ----

  /** One entry to put in place at the epoch: a staged slot ({@code slot} ≥ 0) or a new entry. */
  private record Build(String path, int slot) {}

  private void changes(EpochView view, List<Change> changes, Set<String> touched) throws IOException {
    List<Change> files = new ArrayList<>();
    for (Change c : changes) {
      if (c.kind() != Change.Kind.REGION_CHANGED && c.kind() != Change.Kind.OBJECT_CHANGED && !excluded.test(c.path())) {
        files.add(c);
        for (Change.Range r : c.ranges()) {
          total += r.length();
        }
        if (c.kind() == Change.Kind.CREATED && c.sizeAfter() > 0) {
          total += c.sizeAfter();
        }
      }
    }
    // 1. the base side, deepest first: what moved is staged, what is gone deleted
    record Away(String path, Change change) {}
    List<Away> away = new ArrayList<>();
    for (Change c : files) {
      if (c.kind() == Change.Kind.MOVED) {
        away.add(new Away(c.previousPath(), c));
      } else if (c.kind() == Change.Kind.DELETED) {
        away.add(new Away(c.path(), c));
      }
    }
    away.sort(Comparator.comparingInt((Away a) -> -depth(a.path())));
    List<Build> builds = new ArrayList<>();
    int slots = 0;
    for (Away a : away) {
      if (a.change().kind() == Change.Kind.MOVED) {
        out.stage(slots, entry(a.path()));
        builds.add(new Build(a.change().path(), slots++));
      } else {
        out.delete(entry(a.path()));
      }
    }
    // 2. the epoch's side, shallowest first: staged entries back, new entries created
    Set<String> placed = new HashSet<>();
    for (Build b : builds) {
      placed.add(b.path());
    }
    for (Change c : files) {
      if (c.kind() == Change.Kind.CREATED) {
        builds.add(new Build(c.path(), -1));
      }
    }
    builds.sort(Comparator.comparingInt((Build b) -> depth(b.path())));
    Set<String> created = new HashSet<>();
    for (Build b : builds) {
      if (b.slot() >= 0) {
        out.place(b.slot(), entry(b.path()));
      } else if (created.add(b.path())) {
        created(view, b.path(), placed, created);
      }
    }
    // 3. the bytes and attributes of what stayed or moved
    TreeSet<String> parents = new TreeSet<>(Comparator.comparingInt(Exporter::depth).thenComparing(p -> p));
    parents.addAll(touched);
    for (Change c : files) {
      parents.add(c.path().substring(0, Math.max(c.path().lastIndexOf('/'), 1)));
      if (c.previousPath() != null) {
        parents.add(c.previousPath().substring(0, Math.max(c.previousPath().lastIndexOf('/'), 1)));
      }
      if (c.kind() != Change.Kind.MOVED && c.kind() != Change.Kind.CHANGED) {
        continue;
      }
      EpochView.Node n = view.stat(c.path());
      if (n == null) {
        throw new IOException(c.path() + " changed on the way to the epoch but is not there");
      }
      if (n.kind() == EpochView.Kind.FILE) {
        out.file(entry(c.path()), true, n.size(), n.modifiedNanos(), n.permissions());
        for (Change.Range r : c.ranges()) {
          data(view, c.path(), r.offset(), Math.min(n.size(), r.offset() + r.length()), false);
        }
        out.fileEnd();
      } else if (n.kind() == EpochView.Kind.DIRECTORY) {
        parents.add(c.path());
      }
    }
    for (String dir : parents) {
      EpochView.Node n = view.stat(dir);
      if (n != null && n.kind() == EpochView.Kind.DIRECTORY && rootOf(dir) >= 0) {
        out.directory(entry(dir), n.modifiedNanos(), n.permissions());
      }
    }
  }

  /**
   * Writes a created entry with what is below it at the epoch, except what a staged entry is
   * placed as (it comes with its own contents) and what is already written.
   */
  private void created(EpochView view, String path, Set<String> placed, Set<String> created) throws IOException {
    EpochView.Node n = view.stat(path);
    if (n == null) {
      return; // created and gone again before the epoch
    }
    created.add(path);
    if (n.kind() != EpochView.Kind.DIRECTORY) {
      whole(view, path);
      return;
    }
    out.directory(entry(path), n.modifiedNanos(), n.permissions());
    for (String name : view.list(path)) {
      String c = child(path, name);
      if (!excluded.test(c) && !placed.contains(c) && !created.contains(c)) {
        created(view, c, placed, created);
      }
    }
  }
}
