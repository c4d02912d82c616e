package dev.metamori.internal.journal;

import static dev.metamori.internal.journal.JournalStore.META_CURRENT;
import static dev.metamori.internal.journal.JournalStore.META_NEXT;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

/**
 * Commits a sealed epoch: appends its state records, the checksums of the trash entries it
 * made ({@link TrashDigests}), its label and its commit record (the commit point), forces its
 * segment, indexes its records and names, and makes it the current epoch durably (the undo
 * progress witnessing it first: forced beside the commit record). An epoch without a segment
 * is committed by the index commit, and then written to the catalogue.
 */
final class EpochCommit {
  private final JournalStore store;
  private final StateCatalogue catalogue;
  /** The segment the commit created for its state records, if it had none: kept after a failure. */
  private Segment created;

  EpochCommit(JournalStore store, StateCatalogue catalogue) {
    this.store = store;
    this.catalogue = catalogue;
  }

  /** The sealed epoch's segment, created on the first state record if it has none yet. */
  private final class SealedSink implements Journal.StateSink {
    private final long id;
    private Segment segment;
    private final List<UndoRecord.Name> named = new ArrayList<>();
    private final List<Long> namedSeqs = new ArrayList<>();

    SealedSink(long id, Segment segment) {
      this.id = id;
      this.segment = segment;
    }

    @Override
    public long append(UndoRecord record) throws IOException {
      if (segment == null) {
        segment = store.createSegment(id, 0);
        created = segment;
      }
      long seq = segment.nextSeq();
      segment.append(record);
      return seq;
    }

    @Override
    public void name(UndoRecord.Name name) throws IOException {
      namedSeqs.add(append(name));
      named.add(name);
    }
  }

  /** The segment this commit created for the sealed epoch (which had none), or null. */
  Segment created() {
    return created;
  }

  /**
   * Commits epoch {@code id}, child of {@code parent}, whose segment is {@code segment} (null if
   * it has no record yet) and whose trash entries are {@code trash}, with the state records
   * {@code state} writes (if not null). {@code directoriesForced}: the directories of its
   * segment and trash are durable already ({@link Journal#forcesBeforeCommit}).
   */
  EpochInfo commit(
      long id, long parent, Segment sealed, TrashDigests.Made trash, boolean directoriesForced, long nowMillis,
      Journal.StateWriter state, String label)
      throws IOException {
    SealedSink sink = new SealedSink(id, sealed);
    if (state != null) {
      state.write(sink);
    }
    // last before the commit record, where restores look for them
    for (UndoRecord.TrashDigest d : trash.digests(store.files, store.forcing())) {
      sink.append(d);
    }
    Segment segment = sink.segment;
    EpochIndex index = store.index();
    EpochInfo epoch;
    if (segment != null) {
      if (label != null) {
        segment.append(new UndoRecord.Label(label));
      }
      if (store.forcing() && !directoriesForced) {
        // the commit record is the commit point (the index follows it, or is brought up to it on
        // open): the segment's and the trash's entries must be durable before it
        store.files.forceSegmentsAndTrashOf(id);
      }
      segment.append(new UndoRecord.Commit(parent, nowMillis));
      // The witness, forced beside the commit record: it must be durable before the index
      // commit (an index naming a current epoch the witness has not seen is damage), and may be
      // before the commit record. A power loss that keeps it and not the record leaves it
      // naming an epoch that neither the index nor a segment commits: the open takes that for
      // a commit cut short and witnesses the index's current epoch again
      // (JournalOpener.checkCurrent; a rebuild too, IndexRebuilder.checkUncommitted).
      store.progress.head(id);
      if (store.forcing()) {
        ParallelForce.runAll(List.<ParallelForce.Force>of(segment::force, store.progress::force));
      }
      Segment.Scan scan = segment.written();
      if (scan.tornTail()) {
        throw segment.corrupt(scan.validEnd(), "the working segment ends in a damaged record");
      }
      long files = 0;
      long blocks = 0;
      for (byte type : scan.types()) {
        if (type == UndoRecord.TOUCH || type == UndoRecord.CREATED) {
          files++;
        } else if (type == UndoRecord.BLOCK) {
          blocks++;
        }
      }
      long[] keys = scan.blockKeys();
      // entries of an earlier, abandoned incarnation of this id would mix with ours
      index.removeRecords(id);
      // in chunks, so memory stays bounded; invisible until the epoch itself is put below
      index.putRecordsInChunks(id, scan.offsets(), keys);
      epoch = new EpochInfo(id, parent, nowMillis, scan.validEnd(), blocks, files, segment.nonce, label);
    } else {
      // the remains of a segment whose creation failed before any record reached it
      Files.deleteIfExists(store.files.segment(id));
      epoch = new EpochInfo(id, parent, nowMillis, 0, 0, 0, 0, label);
    }
    catalogue.putNames(id, sink.named, sink.namedSeqs);
    if (segment == null) {
      // the witness first: after a crash before the index commit it names an epoch the index
      // does not have, which tells it from damage
      store.progress.head(id);
      if (store.forcing()) {
        store.progress.force();
      }
    }
    index.putEpoch(epoch);
    index.putMeta(META_CURRENT, id);
    index.putMeta(META_NEXT, store.next);
    if (segment != null) {
      index.commit(store.forcing());
    } else {
      // no segment holds this epoch: the catalogue does (the index commit comes first)
      store.commitEvent(true, List.of(UndoRecord.TreeEntry.of(epoch)), new long[0]);
    }
    store.current = id;
    if (segment != null) {
      segment.close();
    }
    return epoch;
  }
}
