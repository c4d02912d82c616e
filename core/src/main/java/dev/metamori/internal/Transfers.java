package dev.metamori.internal;

import dev.metamori.CheckpointException;
import dev.metamori.Checkpointer;
import dev.metamori.MemoryRegion;
import dev.metamori.NoSuchEpochException;
import dev.metamori.OutsideChange;
import dev.metamori.internal.journal.ProgressListener;
import dev.metamori.StreamException;
import dev.metamori.internal.fs.Tracker;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.memory.VolatileState;
import dev.metamori.internal.stream.EpochIdentities;
import dev.metamori.internal.stream.StreamReader;
import dev.metamori.internal.stream.StreamRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Export and receive of epochs ({@link Checkpointer#export}, {@link Checkpointer#receive}) for one checkpointer. */
final class Transfers {
  private final Journal journal;
  private final Tracker tracker;
  private final VolatileState state;
  private final Checkpointer checkpointer;
  private final EpochIdentities ids;

  Transfers(Journal journal, Tracker tracker, VolatileState state, Checkpointer checkpointer) {
    this.journal = journal;
    this.tracker = tracker;
    this.state = state;
    this.checkpointer = checkpointer;
    this.ids = new EpochIdentities(journal.store(), journal.forcing());
  }

  private boolean excluded(String path) {
    return tracker.exclusions().excludes(tracker.delegate().getPath(path));
  }

  /** Writes the stream of {@code epoch}: whole if {@code base} is null, else from {@code base}. */
  void export(Long base, long epoch, OutputStream out, ProgressListener progress) throws IOException {
    java.util.Objects.requireNonNull(out, "out");
    for (long id : base == null ? new long[] {epoch} : new long[] {base, epoch}) {
      if (id < 0 || journal.epoch(id) == null) {
        throw new NoSuchEpochException(id, "it is not in the store (valid epochs: the ones listed by epochs())");
      }
    }
    long from = base == null ? -1 : base;
    tracker.whileQuiet(
        () -> {
          // the records and the checksums of the trash entries the trees at the epoch are read from
          journal.prepareRollback(epoch);
          Exporter.export(journal, state, tracker.delegate(), this::excluded, ids, from, epoch, out, progress);
        });
  }

  /** Receives a stream and commits what it holds as a new epoch; returns its id. */
  long receive(InputStream in, ProgressListener progress) throws IOException {
    StreamReader reader = new StreamReader(java.util.Objects.requireNonNull(in, "in"));
    StreamRecord.Header header = (StreamRecord.Header) reader.next();
    Receiver receiver =
        new Receiver(checkpointer.fileSystem(), journal.roots(), this::excluded, new Receiver.Target() {
          @Override
          public MemoryRegion region(String name, long size) throws IOException {
            return checkpointer.region(name, size);
          }

          @Override
          public void receiveObject(String name, byte[] bytes) throws IOException {
            state.receiveObject(name, bytes);
          }
        });
    try {
      tracker.whileQuiet(
          () -> {
            check(header);
            receiver.apply(reader, progress);
          });
    } catch (IOException | RuntimeException e) {
      if (e instanceof Refused r) {
        throw r.reason;
      }
      try {
        checkpointer.restore(journal.currentEpoch()); // undoes what was applied
      } catch (IOException | RuntimeException undo) {
        e.addSuppressed(undo);
      }
      throw e;
    }
    long id = header.label() == null ? checkpointer.commit() : checkpointer.commit(header.label());
    ids.received(id, header.epoch());
    return id;
  }

  /** A stream refused before anything changed (after its header). */
  private static final class Refused extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final IOException reason;

    Refused(IOException reason) {
      super(reason.getMessage(), null, false, false);
      this.reason = reason;
    }
  }

  /** Checks that this store can take the stream now; throws {@link Refused} if not. */
  private void check(StreamRecord.Header h) throws IOException {
    List<String> roots = journal.roots();
    if (h.roots() != roots.size()) {
      throw new Refused(new StreamException(
          "the stream holds " + h.roots() + " tracked root(s), this store tracks " + roots.size()
              + ": open the store with as many roots, in the order the exporting store had them; nothing was changed"));
    }
    long held = ids.find(h.epoch(), this::exists);
    if (held >= 0) {
      throw new Refused(new StreamException(
          "this store already holds the stream's " + h.epoch() + " as its epoch " + held + "; nothing was changed"));
    }
    long current = journal.currentEpoch();
    if (h.base() == null) {
      for (String root : roots) {
        Path r = tracker.delegate().getPath(root);
        try (DirectoryStream<Path> s = Files.newDirectoryStream(r)) {
          for (Path p : s) {
            if (!excluded(p.toString())) {
              throw new Refused(new StreamException(
                  "a full stream is received into empty trees, but " + p + " is there: receive it into a new"
                      + " store (or empty the trees and commit), or export an incremental stream; nothing was changed"));
            }
          }
        }
      }
    } else if (!ids.of(current).equals(h.base())) {
      long local = ids.find(h.base(), this::exists);
      throw new Refused(new StreamException(local >= 0
          ? "the stream applies to " + h.base() + ", which this store holds as its epoch " + local
              + ", but the store is at epoch " + current + ": restore epoch " + local + " first; nothing was changed"
          : "this store does not hold the stream's base (" + h.base() + "): receive the streams up to it"
              + " first, or a full stream; nothing was changed"));
    }
    boolean[] working = {false};
    journal.forEachWorkingRecord((r, frame, payload) -> working[0] = true);
    if (working[0]) {
      throw new Refused(new CheckpointException(
          "the tracked trees have changes not committed yet: commit them (or restore epoch " + current
              + ") before receiving a stream; nothing was changed"));
    }
    List<OutsideChange> outside = tracker.outsideChanges();
    if (!outside.isEmpty()) {
      throw new Refused(new CheckpointException(
          "the tracked trees were changed behind the checkpointer's back (" + outside.size() + " entries, e.g. "
              + outside.get(0).path() + "): see status(), adopt or restore them before receiving; nothing was changed"));
    }
  }

  private boolean exists(long id) {
    try {
      return journal.epoch(id) != null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
