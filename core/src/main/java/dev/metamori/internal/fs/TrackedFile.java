package dev.metamori.internal.fs;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import java.lang.ref.WeakReference;
import java.nio.MappedByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A file or directory (one inode) that is open through the file system or was changed in the
 * working epoch, with what the working epoch has saved of it. Per-epoch fields are valid only
 * while {@link #generation} equals the registry's generation; they are written under this
 * object's monitor before {@code generation} is published.
 */
final class TrackedFile {
  final Object key;
  final boolean directory;
  /** Where the inode currently is; updated by moves through the file system. */
  volatile Path path;
  /** Channels open on it; guarded by the {@link FileRegistry}'s map. */
  int openCount;

  volatile long generation = -1;
  long fileId;
  /** Size at the start of the epoch: bytes at or beyond it need no saving. */
  volatile long startSize;
  /** Created in the working epoch: its undo is its deletion, nothing else is saved. */
  volatile boolean created;
  /**
   * Left the tracked trees in the epoch that created it (deleted, replaced or moved out): no
   * longer journaled, and dropped from the registry once no channel is open on it, so that its
   * inode number, once reused, starts afresh.
   */
  volatile boolean detached;
  /** Blocks saved in the working epoch; ranges, so memory grows with runs, not blocks. */
  RangeSet<Long> saved;

  private final List<Mapping> mappings = new ArrayList<>();

  private record Mapping(WeakReference<MappedByteBuffer> buffer, long position, long size) {}

  TrackedFile(Object key, Path path, boolean directory) {
    this.key = key;
    this.path = path;
    this.directory = directory;
  }

  boolean touchedIn(long gen) {
    return generation == gen;
  }

  boolean createdIn(long gen) {
    return generation == gen && created;
  }

  /** Starts the epoch state; the caller holds this object's monitor. */
  void startEpoch(long gen, long fileId, long size, boolean created) {
    this.fileId = fileId;
    this.startSize = size;
    this.created = created;
    this.saved = created ? null : TreeRangeSet.create();
    this.generation = gen;
  }

  /**
   * Whether the working epoch saves none of its bytes: created in it, detached, or empty at
   * its start. Valid once the file is touched in the working epoch.
   */
  boolean savesNothing() {
    return detached || created || startSize == 0;
  }

  boolean isSaved(long block) {
    return saved.contains(block);
  }

  void markSaved(long block) {
    saved.add(Range.closedOpen(block, block + 1));
  }

  synchronized void addMapping(MappedByteBuffer buffer, long position, long size) {
    mappings.add(new Mapping(new WeakReference<>(buffer), position, size));
  }

  /** A range of the file mapped writable. */
  record MappedRange(long position, long size) {}

  /** Ranges of writable mappings still reachable. */
  synchronized List<MappedRange> liveMappings() {
    mappings.removeIf(m -> m.buffer.get() == null);
    List<MappedRange> live = new ArrayList<>();
    for (Mapping m : mappings) {
      live.add(new MappedRange(m.position, m.size));
    }
    return live;
  }

  synchronized void forceMappings() {
    for (Mapping m : mappings) {
      MappedByteBuffer b = m.buffer.get();
      if (b != null) {
        b.force();
      }
    }
  }

  synchronized void dropMappings() {
    mappings.clear();
  }

  synchronized boolean hasMappings() {
    mappings.removeIf(m -> m.buffer.get() == null);
    return !mappings.isEmpty();
  }
}
