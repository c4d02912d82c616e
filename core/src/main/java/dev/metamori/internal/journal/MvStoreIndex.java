package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;

/**
 * {@link EpochIndex} on H2 MVStore, with auto-commit disabled: nothing reaches the file
 * except through {@link #commit(boolean)} (MVStore commit, then sync when durable). Payloads
 * stay in the segments, so the B-tree holds only small fixed-size entries.
 */
final class MvStoreIndex implements EpochIndex {
  private final Path file;
  private final MVStore store;
  private final MVMap<Long, byte[]> epochs;
  /** Record offsets of stores from before format 5, one entry a record: read, never written. */
  private final MVMap<long[], Long> records;
  /** Record offsets, {@link OffsetRun#SIZE} records an entry: ((epoch, run) → run). */
  private final MVMap<long[], byte[]> offsets;
  /** Reads and writes {@link #offsets}, and {@link #records} of older stores. */
  private final RecordOffsets recordRuns;
  private final MVMap<long[], Long> blocks;
  private final MVMap<String, Long> meta;
  /** (item, page or part, epoch) to sequence number: state records read forward. */
  private final MVMap<long[], Long> versions;
  /**
   * (name NUL epoch) of a volatile item to {id, size, page size, epoch that named it, seq of the
   * Name record}: one entry per epoch that named it, on every branch. Stored as five longs;
   * {@link NameEntry} outside this class.
   */
  private final MVMap<String, long[]> names;
  /** Tracked root (real path string) to its position in the list. */
  private final MVMap<String, Long> roots;
  private final IndexEntryRemoval removal;

  MvStoreIndex(Path file) throws IOException {
    this.file = file;
    // MVStore creates its file itself, with the umask's mode: it finds it created 0600 instead
    OwnerOnly.createFileIfAbsent(file);
    MVStore opened = null;
    try {
      opened =
          new MVStore.Builder()
              .fileName(file.toString())
              .autoCommitDisabled()
              .autoCommitBufferSize(0)
              // no rewriting of old chunks: with space never reused it frees nothing, and it
              // reads (and may trip over) pages of any map at any commit; a prune compacts the
              // index by copying it instead
              .autoCompactFillRate(0)
              .open();
      store = opened;
      // Chunks are only ever appended, never written into the space of old ones: with reuse,
      // a SIGKILL was seen (twice in about 2,300 kills) to leave a chain of chunks that MVStore
      // reopened at a version many commits old (refused by the consistency checks as lost
      // commits, but then the store cannot be opened). The index holds only small entries; the
      // file grows by one small chunk per index commit.
      store.setReuseSpace(false);
      epochs =
          store.openMap(
              "epochs",
              new MVMap.Builder<Long, byte[]>()
                  .keyType(LongDataType.INSTANCE)
                  .valueType(ByteArrayDataType.INSTANCE));
      records =
          store.openMap(
              "records",
              new MVMap.Builder<long[], Long>()
                  .keyType(LongTuple.INSTANCE)
                  .valueType(LongDataType.INSTANCE));
      offsets =
          store.openMap(
              "offsets",
              new MVMap.Builder<long[], byte[]>()
                  .keyType(LongTuple.INSTANCE)
                  .valueType(ByteArrayDataType.INSTANCE));
      blocks =
          store.openMap(
              "blocks",
              new MVMap.Builder<long[], Long>()
                  .keyType(LongTuple.INSTANCE)
                  .valueType(LongDataType.INSTANCE));
      meta =
          store.openMap(
              "meta",
              new MVMap.Builder<String, Long>()
                  .keyType(StringDataType.INSTANCE)
                  .valueType(LongDataType.INSTANCE));
      versions =
          store.openMap(
              "versions",
              new MVMap.Builder<long[], Long>()
                  .keyType(LongTuple.INSTANCE)
                  .valueType(LongDataType.INSTANCE));
      names =
          store.openMap(
              "names",
              new MVMap.Builder<String, long[]>()
                  .keyType(StringDataType.INSTANCE)
                  .valueType(LongTuple.INSTANCE));
      roots =
          store.openMap(
              "roots",
              new MVMap.Builder<String, Long>()
                  .keyType(StringDataType.INSTANCE)
                  .valueType(LongDataType.INSTANCE));
      recordRuns = new RecordOffsets(records, offsets);
      removal = new IndexEntryRemoval(this, epochs, records, offsets, blocks, versions, names);
    } catch (RuntimeException | AssertionError e) {
      // MVStoreException, but also h2's DbException, others and its assertions on a damaged file
      if (opened != null) {
        opened.closeImmediately();
      }
      if (e instanceof MVStoreException m && m.getErrorCode() == org.h2.mvstore.DataUtils.ERROR_FILE_LOCKED) {
        throw new IOException("the index " + file + " is in use: " + e.getMessage(), e); // not damage
      }
      throw new CorruptStoreException(file, -1, -1, "the index cannot be opened: " + e.getMessage(), e);
    }
  }

  @Override
  public EpochInfo epoch(long id) throws CorruptStoreException {
    byte[] bytes = read(() -> epochs.get(id));
    return bytes == null ? null : decodeEpoch(id, bytes);
  }

  @Override
  public List<EpochInfo> epochs() throws CorruptStoreException {
    List<Long> ids = new ArrayList<>();
    List<byte[]> values = new ArrayList<>();
    read(
        () -> {
          Cursor<Long, byte[]> cursor = epochs.cursor(null);
          while (cursor.hasNext()) {
            ids.add(cursor.next());
            values.add(cursor.getValue());
          }
          return null;
        });
    List<EpochInfo> all = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      all.add(decodeEpoch(ids.get(i), values.get(i)));
    }
    return all;
  }

  /**
   * An epoch's entry, which repeats its key: a flipped id would otherwise name another
   * epoch's segment, or make a rollback remove another epoch from the index than it undid.
   */
  private EpochInfo decodeEpoch(long id, byte[] bytes) throws CorruptStoreException {
    EpochInfo info = read(() -> legacyEntries ? EpochInfo.decodeLegacy(bytes) : EpochInfo.decode(bytes));
    if (info.id() != id) {
      throw new CorruptStoreException(file, -1, id, "the entry of epoch " + id + " names epoch " + info.id());
    }
    return info;
  }

  /** Whether epoch entries are of format 2 (no checksum): set while such an index is migrated. */
  private boolean legacyEntries;

  void readLegacyEntries(boolean legacy) {
    legacyEntries = legacy;
  }

  private interface Read<T> {
    T get();
  }

  /** Runs a read, reporting any failure of a damaged index file as what it is. */
  private <T> T read(Read<T> read) throws CorruptStoreException {
    try {
      return read.get();
    } catch (RuntimeException | AssertionError e) {
      throw new CorruptStoreException(file, -1, -1, "the index is damaged: " + e, e);
    }
  }

  @Override
  public void putEpoch(EpochInfo epoch) {
    epochs.put(epoch.id(), epoch.encode());
  }

  @Override
  public void removeEpoch(long id) {
    epochs.remove(id);
  }

  /** Entries put between two intermediate commits. */
  private static final int CHUNK = IndexEntryRemoval.CHUNK;

  @Override
  public void removeRecords(long epoch) throws IOException {
    try {
      removal.removeRecordsOf(epoch);
    } catch (RuntimeException | AssertionError e) {
      throw new CorruptStoreException(file, -1, epoch, "the index is damaged: " + e, e);
    }
  }

  @Override
  public void removeOrphans() throws IOException {
    try {
      removal.removeOrphans();
    } catch (RuntimeException | AssertionError e) {
      throw new CorruptStoreException(file, -1, -1, "the index is damaged: " + e, e);
    }
  }

  @Override
  public void putRecordsInChunks(long epoch, long[] recordOffsets, long[] blockKeys) throws IOException {
    int pending = 0;
    for (int size : recordRuns.put(epoch, recordOffsets)) {
      pending += size;
      if (pending >= CHUNK) {
        commit(false); // runs are put all at once: commits may come less often, never more
        pending = 0;
      }
    }
    for (int i = 0; i < blockKeys.length; i += 3) {
      if (blockKeys[i] >= 0) {
        continue; // a file's block: a restore reads the epoch's records in order, never by block
      }
      putBlock(epoch, blockKeys[i], blockKeys[i + 1], blockKeys[i + 2]);
      versions.put(new long[] {Journal.stateKey(blockKeys[i]), blockKeys[i + 1], epoch}, blockKeys[i + 2]);
      if (++pending == CHUNK) {
        commit(false);
        pending = 0;
      }
    }
  }

  @Override
  public void forEachVersion(long item, long atMost, StateVisitor visitor) throws IOException {
    Cursor<long[], Long> cursor =
        versions.cursor(new long[] {item}, new long[] {item, Long.MAX_VALUE, Long.MAX_VALUE}, false);
    while (true) {
      long[] key = read(() -> cursor.hasNext() ? cursor.next() : null);
      if (key == null) {
        return;
      }
      if (key.length != 3 || key[0] != item) {
        throw new CorruptStoreException(file, -1, -1, "a damaged version key " + Arrays.toString(key));
      }
      if (key[2] <= atMost) {
        visitor.visit(item, key[1], key[2], cursor.getValue());
      }
    }
  }

  @Override
  public List<Long> stateItems(long epoch) throws CorruptStoreException {
    return read(
        () -> {
          List<Long> items = new ArrayList<>();
          long[] key = blocks.ceilingKey(new long[] {epoch, Long.MIN_VALUE});
          while (key != null && key.length == 3 && key[0] == epoch && key[1] < 0) {
            items.add(Journal.stateKey(key[1]));
            key = blocks.ceilingKey(new long[] {epoch, key[1] + 1});
          }
          return items;
        });
  }

  @Override
  public void forEachStateOf(long epoch, long item, StateVisitor visitor) throws IOException {
    long key = Journal.stateKey(item);
    Cursor<long[], Long> cursor =
        blocks.cursor(new long[] {epoch, key}, new long[] {epoch, key, Long.MAX_VALUE}, false);
    while (true) {
      long[] found = read(() -> cursor.hasNext() ? cursor.next() : null);
      if (found == null) {
        return;
      }
      if (found.length != 3 || found[0] != epoch || found[1] != key) {
        throw new CorruptStoreException(file, -1, epoch, "a damaged state key " + Arrays.toString(found));
      }
      visitor.visit(item, found[2], epoch, cursor.getValue());
    }
  }

  @Override
  public List<NameEntry> nameVersions(String name) throws CorruptStoreException {
    return read(
        () -> {
          List<NameEntry> found = new ArrayList<>();
          for (java.util.Iterator<String> keys = names.keyIterator(name + '\0');
              keys.hasNext(); ) {
            String key = keys.next();
            if (!key.startsWith(name + '\0')) {
              break;
            }
            found.add(NameEntry.fromArray(names.get(key)));
          }
          return found;
        });
  }

  /** The name in a key of the names map: {@code name NUL epoch}. */
  static String nameOf(String key) {
    int nul = key.lastIndexOf('\0');
    return nul < 0 ? key : key.substring(0, nul);
  }

  @Override
  public java.util.Map<String, NameEntry> names() throws CorruptStoreException {
    return read(
        () -> {
          java.util.Map<String, NameEntry> all = new java.util.TreeMap<>();
          for (java.util.Map.Entry<String, long[]> e : names.entrySet()) {
            all.put(e.getKey(), NameEntry.fromArray(e.getValue()));
          }
          return all;
        });
  }

  @Override
  public void putName(String name, NameEntry entry) {
    names.put(name + '\0' + String.format("%020d", entry.epoch()), entry.toArray());
  }

  @Override
  public List<String> roots() throws CorruptStoreException {
    return read(
        () -> {
          List<String> all = new ArrayList<>(roots.keySet());
          all.sort(java.util.Comparator.comparing(roots::get));
          return all;
        });
  }

  @Override
  public void putRoots(List<String> list) {
    roots.clear();
    for (int i = 0; i < list.size(); i++) {
      roots.put(list.get(i), (long) i);
    }
  }

  @Override
  public void putBlock(long epoch, long fileId, long block, long seq) {
    blocks.put(new long[] {epoch, fileId, block}, seq);
  }

  @Override
  public void replaceRecords(long epoch, long[] recordOffsets) {
    recordRuns.replace(epoch, recordOffsets);
  }

  @Override
  public long recordOffset(long epoch, long seq) throws CorruptStoreException {
    return read(() -> recordRuns.offset(epoch, seq));
  }

  @Override
  public long[] recordOffsets(long epoch) throws CorruptStoreException {
    return read(() -> recordRuns.all(epoch));
  }

  @Override
  public long meta(String key, long absent) throws CorruptStoreException {
    Long value = read(() -> meta.get(key));
    return value == null ? absent : value;
  }

  @Override
  public void putMeta(String key, long value) {
    meta.put(key, value);
  }

  @Override
  public List<String> metaKeys(String prefix) throws CorruptStoreException {
    return read(
        () -> {
          List<String> keys = new ArrayList<>();
          for (java.util.Iterator<String> it = meta.keyIterator(prefix); it.hasNext(); ) {
            String key = it.next();
            if (!key.startsWith(prefix)) {
              break;
            }
            keys.add(key);
          }
          return keys;
        });
  }

  @Override
  public void removeMeta(String key) {
    meta.remove(key);
  }

  @Override
  public void commit(boolean durable) throws IOException {
    try {
      store.commit();
    } catch (MVStoreException e) {
      throw new IOException("cannot write the index " + file + ": " + e.getMessage(), e);
    }
    if (durable) {
      try {
        store.sync();
      } catch (MVStoreException e) {
        throw IoFaults.fatal("cannot force the index " + file, e);
      }
    }
  }

  /**
   * Writes a copy of every map into a new index file {@code target}, forced if {@code durable}:
   * the way to give back the space of removed entries, since this index never reuses chunk space.
   */
  void copyTo(Path target, boolean durable) throws IOException {
    java.nio.file.Files.deleteIfExists(target);
    MvStoreIndex copy = new MvStoreIndex(target);
    try {
      read(
          () -> {
            copy.epochs.putAll(epochs);
            copy.records.putAll(records);
            copy.offsets.putAll(offsets);
            copy.blocks.putAll(blocks);
            copy.meta.putAll(meta);
            copy.versions.putAll(versions);
            copy.names.putAll(names);
            copy.roots.putAll(roots);
            return null;
          });
      copy.commit(durable);
    } catch (IOException | RuntimeException e) {
      copy.close();
      throw e;
    }
    if (durable) {
      copy.close();
    } else {
      copy.closeUnforced();
      copiedUnforced = true;
    }
  }

  /**
   * Set once {@link #copyTo} wrote an unforced copy of this index (durability NONE), which is
   * about to replace it: {@link #close} then does not write and force the clean shutdown of a
   * file the rename discards.
   */
  private boolean copiedUnforced;

  /**
   * Closes the index as it was last committed, without MVStore's clean shutdown (a write and a
   * force): with durability NONE nothing is forced, and the file reopens at its last commit as
   * after a crash.
   */
  private void closeUnforced() throws IOException {
    if (store.hasUnsavedChanges()) {
      closeClean();
    } else {
      store.closeImmediately();
    }
  }

  @Override
  public void close() throws IOException {
    if (copiedUnforced) {
      closeUnforced();
    } else {
      closeClean();
    }
  }

  private void closeClean() throws IOException {
    try {
      if (store.hasUnsavedChanges()) {
        store.rollback();
      }
      store.close();
    } catch (RuntimeException | AssertionError e) {
      // a damaged file can fail MVStore's own checks (and assertions) when it re-reads it
      store.closeImmediately();
      throw new CorruptStoreException(file, -1, -1, "the index cannot be closed: " + e, e);
    }
  }
}
