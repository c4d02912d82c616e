package dev.metamori.internal.memory;

import dev.metamori.Change;
import dev.metamori.CheckpointException;
import dev.metamori.CheckpointListener;
import dev.metamori.Checkpointable;
import dev.metamori.CorruptStoreException;
import dev.metamori.MemoryRegion;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.NameEntry;
import dev.metamori.internal.journal.StateReader;
import dev.metamori.internal.journal.StateVersions;
import dev.metamori.internal.journal.UndoRecord;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The volatile part of the checkpointed state: memory regions and registered objects, and the
 * listeners called around commits and rollbacks.
 *
 * <p>Regions and objects are stored forward, as their state at the end of each epoch, in the
 * epoch's own segment: the pages that changed (found by the region's {@link DirtyPages}) and the chunks of an object's
 * saved bytes that the store did not hold yet. The state at epoch n is, for each page, its
 * newest version at an epoch up to n; for an object, its newest manifest up to n. Rollback
 * removes the epochs after n, so every version left is on the line to n.
 */
public final class VolatileState {
  private final Journal journal;
  private final Map<String, Region> regions = new LinkedHashMap<>();
  private final Map<String, SavedObject> objects = new LinkedHashMap<>();
  private final List<CheckpointListener> listeners = new CopyOnWriteArrayList<>();

  public VolatileState(Journal journal) {
    this.journal = journal;
  }

  // ------------------------------------------------------------------ registration

  /** See {@link dev.metamori.Checkpointer#region}. */
  public synchronized MemoryRegion region(String name, long size) throws IOException {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a region needs a non-empty name");
    }
    if (size <= 0) {
      throw new IllegalArgumentException("region " + name + ": size " + size + " is not positive");
    }
    Region region = regions.get(name);
    if (region != null) {
      if (region.size() != size) {
        throw new IllegalArgumentException(
            "region " + name + " has " + region.size() + " bytes, not " + size);
      }
      return region;
    }
    NameEntry stored = journal.name("r:" + name);
    if (stored != null && stored.size() != size) {
      throw new IllegalArgumentException(
          "the store holds region " + name + " with " + stored.size() + " bytes, not " + size
              + ": ask for it with its size, or use another name");
    }
    region = new Region(name, size);
    if (stored != null) {
      region.item = stored.item();
      load(region, journal.currentEpoch());
    }
    regions.put(name, region);
    return region;
  }

  /** Fills a fresh (zeroed) region with its pages as of {@code epoch}. */
  private void load(Region region, long epoch) throws IOException {
    try (StateReader reader = journal.stateReader()) {
      StateVersions versions = reader.versionsAt(region.item, epoch);
      for (int i = 0; i < versions.count(); i++) {
        long page = versions.x(i);
        UndoRecord.Page p = readPage(reader, region, page, versions.epoch(i), versions.seq(i));
        region.memory.writePage(page, ByteBuffer.wrap(p.data()));
      }
    }
    region.pages.rebaseAll();
  }

  static UndoRecord.Page readPage(
      StateReader reader, Region region, long page, long epoch, long seq) throws IOException {
    return readPage(reader, region.item, page, region.memory.pageLength(page), epoch, seq);
  }

  /** Record {@code seq} of {@code epoch}, checked to be page {@code page} of {@code item}. */
  static UndoRecord.Page readPage(
      StateReader reader, long item, long page, int length, long epoch, long seq)
      throws IOException {
    UndoRecord r = reader.read(epoch, seq);
    if (!(r instanceof UndoRecord.Page)
        || ((UndoRecord.Page) r).item() != item
        || ((UndoRecord.Page) r).page() != page
        || ((UndoRecord.Page) r).data().length != length) {
      throw new CorruptStoreException(
          reader.indexFile(), -1, epoch, "record " + seq + " is not page " + page + " of item " + item);
    }
    return (UndoRecord.Page) r;
  }

  /** See {@link dev.metamori.Checkpointer#register}. */
  public synchronized void register(String name, Checkpointable object) throws IOException {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("an object needs a non-empty name");
    }
    SavedObject held = objects.get(name);
    if (held != null && held.object instanceof StateTransfer.Held h) {
      // received before it was registered: it starts from what was received
      object.restore(new java.io.ByteArrayInputStream(h.bytes));
      SavedObject saved = new SavedObject(name, object);
      saved.item = held.item;
      saved.known = held.known;
      objects.put(name, saved);
      listeners.add(object);
      return;
    }
    if (held != null) {
      throw new IllegalStateException("an object is already registered as " + name);
    }
    SavedObject saved = new SavedObject(name, object);
    NameEntry stored = journal.name(saved.key());
    if (stored != null) {
      saved.item = stored.item();
      try (StateReader reader = journal.stateReader()) {
        ObjectChunks.Manifest manifest = ObjectChunks.readManifest(reader, saved.item, journal.currentEpoch());
        if (manifest != null) {
          ObjectChunks.restore(reader, manifest, object);
          saved.known = manifest;
        }
      }
    }
    objects.put(name, saved);
    listeners.add(object);
  }

  /**
   * Takes the saved bytes of object {@code name} from a received stream: the registered object
   * restores them, or they are held for the object registered under that name later.
   */
  public synchronized void receiveObject(String name, byte[] bytes) throws IOException {
    SavedObject saved = objects.get(name);
    if (saved != null && !(saved.object instanceof StateTransfer.Held)) {
      saved.object.restore(new java.io.ByteArrayInputStream(bytes));
      return;
    }
    SavedObject held = new SavedObject(name, new StateTransfer.Held(bytes));
    NameEntry stored = journal.name(held.key());
    held.item = saved != null ? saved.item : stored != null ? stored.item() : -1;
    held.known = saved != null ? saved.known : null;
    objects.put(name, held);
  }

  /**
   * How each region open in this process finds its changed pages (see {@link
   * DirtyPages#method()}), by region name.
   */
  public synchronized Map<String, String> pageTracking() {
    Map<String, String> out = new LinkedHashMap<>();
    regions.forEach((name, region) -> out.put(name, region.pages.method()));
    return out;
  }

  public void addListener(CheckpointListener listener) {
    listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
  }

  public List<CheckpointListener> listeners() {
    return listeners;
  }

  // ------------------------------------------------------------------ commit

  /**
   * Captures the state at this instant for the epoch about to be sealed: copies the pages that
   * changed and saves every object. Returns what the commit writes into the epoch.
   */
  public synchronized Journal.StateWriter capture(long epoch) throws IOException {
    List<Journal.StateWriter> parts = new ArrayList<>();
    // objects first: a save that fails cancels the commit before any page hash is adopted,
    // and before any new object takes its id (an object with an id counts as named, and a
    // cancelled commit wrote no Name record for it)
    List<Runnable> adoptIds = new ArrayList<>();
    for (SavedObject saved : objects.values()) {
      boolean unnamed = saved.item < 0;
      long item = unnamed ? journal.newItem() : saved.item;
      ObjectChunks.Capture capture = ObjectChunks.capture(saved.object, saved.known);
      adoptIds.add(() -> saved.item = item);
      String key = saved.key();
      parts.add(
          sink -> {
            if (unnamed) {
              sink.name(new UndoRecord.Name(key, item, 0, 0));
            }
            saved.known = capture.write(sink, item, epoch);
          });
    }
    adoptIds.forEach(Runnable::run);
    for (Region region : regions.values()) {
      long[] dirty = region.pages.collect();
      boolean unnamed = region.item < 0;
      if (!unnamed && dirty.length == 0) {
        continue;
      }
      long item = unnamed ? journal.newItem() : region.item;
      region.item = item;
      byte[][] copies = new byte[dirty.length][];
      for (int i = 0; i < dirty.length; i++) {
        copies[i] = new byte[region.memory.pageLength(dirty[i])];
        region.memory.copyPage(dirty[i], ByteBuffer.wrap(copies[i]));
        region.pages.stored(dirty[i], ByteBuffer.wrap(copies[i]));
      }
      long size = region.size();
      String key = region.key();
      parts.add(
          sink -> {
            if (unnamed) {
              sink.name(new UndoRecord.Name(key, item, size, Region.PAGE_SIZE));
            }
            // the copies stay until the commit is done: a commit that failed for lack of
            // space writes them again when it is retried
            for (int i = 0; i < dirty.length; i++) {
              sink.append(new UndoRecord.Page(item, dirty[i], copies[i]));
            }
          });
    }
    return sink -> {
      for (Journal.StateWriter part : parts) {
        part.write(sink);
      }
    };
  }

  // ------------------------------------------------------------------ rollback

  /** What a rollback to {@code target} restores, checked readable before anything changes. */
  public final class Plan {
    private final long target;
    private final Map<Region, List<PageSource>> pages = new LinkedHashMap<>();
    private final List<Region> zeroed = new ArrayList<>();
    private final Map<SavedObject, ObjectChunks.Manifest> restored = new LinkedHashMap<>();
    private final List<SavedObject> forgotten = new ArrayList<>();
    /** The item each restored region and object has at the target. */
    private final Map<Region, Long> items = new HashMap<>();
    private final Map<SavedObject, Long> objectItems = new HashMap<>();

    private Plan(long target) {
      this.target = target;
    }
  }

  /** A page a rollback restores: version {@code seq} of {@code epoch}, or zeros if epoch is -1. */
  private record PageSource(long page, long epoch, long seq) {}

  /**
   * Works out what a rollback to {@code target} (a valid target) must restore and reads every
   * record it needs, so that damage is reported before the rollback changes anything. Call
   * before the files are rolled back: it reads the index entries of the epochs undone.
   */
  public synchronized Plan plan(long target) throws IOException {
    Plan plan = new Plan(target);
    try (StateReader reader = journal.stateReader()) {
      Map<Long, Region> byItem = new LinkedHashMap<>();
      Map<Long, TreeSet<Long>> changed = new LinkedHashMap<>();
      for (Region region : regions.values()) {
        NameEntry stored = journal.name(region.key(), target);
        if (stored == null || stored.size() != region.size()) {
          plan.zeroed.add(region);
          continue;
        }
        byItem.put(stored.item(), region);
        plan.items.put(region, stored.item());
        TreeSet<Long> set = new TreeSet<>();
        if (stored.item() != region.item) {
          // another incarnation of the region (from another branch): every page may differ
          for (long page = 0; page < region.memory.pageCount(); page++) {
            set.add(page);
          }
        } else {
          // without adopting them: a refused rollback must leave the next commit intact
          for (long page : region.pages.peek()) {
            set.add(page);
          }
        }
        changed.put(stored.item(), set);
      }
      if (!changed.isEmpty()) {
        // which pages the undone epochs changed: from their segments, not from the index
        reader.forEachStateRecordAfter(
            target,
            (item, x, e, seq) -> {
              TreeSet<Long> set = changed.get(item);
              if (set != null) {
                set.add(x);
              }
            });
      }
      for (Map.Entry<Long, TreeSet<Long>> entry : changed.entrySet()) {
        Region region = byItem.get(entry.getKey());
        long item = entry.getKey();
        StateVersions versions = reader.versionsAt(item, target);
        List<PageSource> sources = new ArrayList<>(entry.getValue().size());
        for (long page : entry.getValue()) {
          int v = versions.indexOf(page);
          if (v < 0) {
            sources.add(new PageSource(page, -1, -1));
          } else {
            sources.add(new PageSource(page, versions.epoch(v), versions.seq(v)));
            readPage(reader, item, page, region.memory.pageLength(page), versions.epoch(v), versions.seq(v));
          }
        }
        plan.pages.put(region, sources);
      }
      for (SavedObject saved : objects.values()) {
        NameEntry stored = journal.name(saved.key(), target);
        ObjectChunks.Manifest manifest =
            stored == null ? null : ObjectChunks.readManifest(reader, stored.item(), target);
        if (manifest == null) {
          plan.forgotten.add(saved);
        } else {
          ObjectChunks.check(reader, manifest);
          plan.restored.put(saved, manifest);
          plan.objectItems.put(saved, stored.item());
        }
      }
    }
    return plan;
  }

  /** Restores regions and objects as planned; call after the files were rolled back. */
  public synchronized void apply(Plan plan) throws IOException {
    try (StateReader reader = journal.stateReader()) {
      ByteBuffer zeros = ByteBuffer.allocate(Region.PAGE_SIZE);
      for (Region region : plan.zeroed) {
        for (long page = 0; page < region.memory.pageCount(); page++) {
          zeros.clear().limit(region.memory.pageLength(page));
          region.memory.writePage(page, zeros);
        }
        region.pages.rebaseAll();
        region.item = -1;
      }
      for (Map.Entry<Region, List<PageSource>> entry : plan.pages.entrySet()) {
        Region region = entry.getKey();
        region.item = plan.items.get(region);
        for (PageSource source : entry.getValue()) {
          long page = source.page();
          if (source.epoch() < 0) {
            zeros.clear().limit(region.memory.pageLength(page));
            region.memory.writePage(page, zeros);
          } else {
            UndoRecord.Page p = readPage(reader, region, page, source.epoch(), source.seq());
            region.memory.writePage(page, ByteBuffer.wrap(p.data()));
          }
          region.pages.rebase(page);
        }
      }
      for (Map.Entry<SavedObject, ObjectChunks.Manifest> entry : plan.restored.entrySet()) {
        ObjectChunks.restore(reader, entry.getValue(), entry.getKey().object);
        entry.getKey().known = entry.getValue();
        entry.getKey().item = plan.objectItems.get(entry.getKey());
      }
      for (SavedObject saved : plan.forgotten) {
        saved.item = -1;
        saved.known = null;
        if (saved.object instanceof StateTransfer.Held) {
          objects.remove(saved.name); // received, never committed: not an object of this process
        }
      }
    }
  }

  /**
   * The regions and objects whose state differs between committed epochs {@code lo} and {@code
   * hi} (on any branches): region pages are compared byte for byte where a version was
   * stored between them, objects by their manifests' chunk hashes.
   */
  public synchronized List<Change> diff(long lo, long hi) throws IOException {
    List<Change> out = new ArrayList<>();
    Map<Long, Map.Entry<String, NameEntry>> byItem = new HashMap<>();
    for (long at : new long[] {lo, hi}) {
      for (Map.Entry<String, NameEntry> e : journal.names(at).entrySet()) {
        byItem.put(e.getValue().item(), e);
      }
    }
    try (StateReader reader = journal.stateReader()) {
      Map<Long, TreeSet<Long>> pages = new TreeMap<>();
      Set<Long> manifests = new TreeSet<>();
      reader.forEachStateRecordBetween(
          lo,
          hi,
          (item, x, e, seq) -> {
            Map.Entry<String, NameEntry> named = byItem.get(item);
            if (named != null && named.getKey().startsWith("r:")) {
              pages.computeIfAbsent(item, k -> new TreeSet<>()).add(x);
            } else if (named != null) {
              manifests.add(item);
            }
          });
      for (Map.Entry<Long, TreeSet<Long>> e : pages.entrySet()) {
        Map.Entry<String, NameEntry> named = byItem.get(e.getKey());
        long size = named.getValue().size();
        StateVersions atLo = reader.versionsAt(e.getKey(), lo);
        StateVersions atHi = reader.versionsAt(e.getKey(), hi);
        List<Change.Range> ranges = new ArrayList<>();
        for (long page : e.getValue()) {
          if (!Arrays.equals(pageAt(reader, e.getKey(), page, atLo, size), pageAt(reader, e.getKey(), page, atHi, size))) {
            long at = page * Region.PAGE_SIZE;
            long length = Math.min(Region.PAGE_SIZE, size - at);
            int last = ranges.size() - 1;
            if (last >= 0 && ranges.get(last).offset() + ranges.get(last).length() == at) {
              Change.Range r = ranges.remove(last);
              ranges.add(new Change.Range(r.offset(), r.length() + length));
            } else {
              ranges.add(new Change.Range(at, length));
            }
          }
        }
        if (!ranges.isEmpty()) {
          out.add(new Change(
              Change.Kind.REGION_CHANGED, named.getKey().substring(2), null, size, size, ranges));
        }
      }
      for (long item : manifests) {
        ObjectChunks.Manifest before = ObjectChunks.readManifest(reader, item, lo);
        ObjectChunks.Manifest after = ObjectChunks.readManifest(reader, item, hi);
        if (before == null || after == null || !Arrays.equals(before.hashes, after.hashes)) {
          out.add(new Change(
              Change.Kind.OBJECT_CHANGED,
              byItem.get(item).getKey().substring(2),
              null,
              before == null ? -1 : before.length,
              after == null ? -1 : after.length,
              List.of()));
        }
      }
    }
    return out;
  }

  /** The bytes of a page in {@code versions} (zeros where no version was stored by then). */
  static byte[] pageAt(
      StateReader reader, long item, long page, StateVersions versions, long size)
      throws IOException {
    int length = (int) Math.min(Region.PAGE_SIZE, size - page * Region.PAGE_SIZE);
    int v = versions.indexOf(page);
    return v < 0
        ? new byte[length]
        : readPage(reader, item, page, length, versions.epoch(v), versions.seq(v)).data();
  }

  /** Calls {@link CheckpointListener#beforeCheckpoint()} on every listener. */
  public void beforeCheckpoint() throws CheckpointException {
    for (CheckpointListener l : listeners) {
      try {
        l.beforeCheckpoint();
      } catch (Exception e) {
        throw new CheckpointException("commit cancelled: beforeCheckpoint of " + l + " failed: " + e, e);
      }
    }
  }

  private static final class SavedObject {
    final String name;
    final Checkpointable object;
    long item = -1;
    /** The manifest of its last commit: the chunks the store holds for it. */
    ObjectChunks.Manifest known;

    SavedObject(String name, Checkpointable object) {
      this.name = name;
      this.object = java.util.Objects.requireNonNull(object, "object");
    }

    String key() {
      return "o:" + name;
    }
  }
}
