package dev.metamori.internal.journal;

/**
 * One entry of an epoch's log. File records ({@link Touch}, {@link Block}, {@link Created},
 * {@link Trashed}, {@link Moved}) are undo records: undoing an epoch applies them newest first,
 * each taking the tree from the state just after it was written back to the state just before.
 * Paths are absolute path strings of the underlying file system. State records ({@link Name},
 * {@link Page}, {@link Chunk}, {@link Manifest}) are written at commit and hold the volatile
 * state (memory regions, registered objects) as it was at the end of the epoch: a later epoch
 * reads them forward; undo ignores them. Redo records ({@link Redo}, {@link RedoAttributes},
 * {@link RedoRemoveDirectory}) live in an epoch's redo file, written while the epoch is undone:
 * what the undo of its record {@code step} destroyed, so that the epoch can be redone. {@link
 * TrashDigest} records, in a segment or a redo file, checksum what the store keeps in its trash.
 * Catalogue records ({@link Label} in a segment, {@link Head} and {@link Tree} in the store's
 * catalogue file) hold what the index holds besides what the other records give: labels, the
 * current epoch, the tracked roots, and what prunes changed; undo ignores them.
 */
public sealed interface UndoRecord {

  /** Type tags on disk; never renumber. */
  byte TOUCH = 1;
  byte BLOCK = 2;
  byte CREATED = 3;
  byte TRASHED = 4;
  byte MOVED = 5;
  byte COMMIT = 6;
  byte NAME = 7;
  byte PAGE = 8;
  byte CHUNK = 9;
  byte MANIFEST = 10;
  byte REDO = 11;
  byte REDO_ATTRIBUTES = 12;
  byte REDO_REMOVE_DIRECTORY = 13;
  byte REDO_MARK = 14;
  byte REDO_SKIP = 15;
  byte COMPACTED = 16;
  byte TRASH_DIGEST = 17;

  /** {@link Label}: in an epoch's segment. */
  byte LABEL = 18;
  /** {@link Head}: in the catalogue. */
  byte HEAD = 19;
  /** {@link Tree}: in the catalogue. */
  byte TREE = 20;

  byte type();

  /** Kinds of file a {@link Touch} can describe. */
  enum Kind {
    FILE,
    DIRECTORY,
    OTHER
  }

  /**
   * First change of a file or directory in the epoch: its size and attributes at the start of
   * the epoch. Undo: cut the file back to {@code size}, restore permissions, owner and
   * last-modified time.
   *
   * @param permissions POSIX permission bits, or -1 where the file system has none
   * @param owner owner name, or null where unknown
   * @param group group name, or null where unknown
   */
  record Touch(
      long fileId,
      String path,
      Kind kind,
      long size,
      long modifiedNanos,
      int permissions,
      String owner,
      String group)
      implements UndoRecord {
    @Override
    public byte type() {
      return TOUCH;
    }
  }

  /**
   * Old contents of one block, saved before its first change in the epoch. Undo: write them
   * back at {@code block * blockSize}.
   */
  record Block(long fileId, String path, long block, byte[] data) implements UndoRecord {
    @Override
    public byte type() {
      return BLOCK;
    }
  }

  /** A file, directory or link was created. Undo: delete it (and anything below it). */
  record Created(String path) implements UndoRecord {
    @Override
    public byte type() {
      return CREATED;
    }
  }

  /**
   * A file or directory was removed from the tree by renaming (or linking) it into the store's
   * trash as {@code trashName}. Undo: rename it back.
   */
  record Trashed(String path, String trashName) implements UndoRecord {
    @Override
    public byte type() {
      return TRASHED;
    }
  }

  /** A file or directory was renamed inside the tracked trees. Undo: rename it back. */
  record Moved(String from, String to) implements UndoRecord {
    @Override
    public byte type() {
      return MOVED;
    }
  }

  /**
   * Last record of a committed epoch's segment. Nothing to undo: it lets a scrub or a rebuild
   * tell committed segments from abandoned ones.
   */
  record Commit(long parent, long committedAtMillis) implements UndoRecord {
    @Override
    public byte type() {
      return COMMIT;
    }
  }

  /**
   * Gives the volatile item {@code name} (a region "r:..." or an object "o:...") its id
   * {@code item} from this epoch on.
   *
   * @param size a region's size in bytes (0 for an object)
   * @param pageSize a region's page size (0 for an object)
   */
  record Name(String name, long item, long size, int pageSize) implements UndoRecord {
    @Override
    public byte type() {
      return NAME;
    }
  }

  /** Contents of page {@code page} of region {@code item} at the end of the epoch. */
  record Page(long item, long page, byte[] data) implements UndoRecord {
    @Override
    public byte type() {
      return PAGE;
    }
  }

  /** A piece of an object's saved state, cut by content-defined chunking. */
  record Chunk(byte[] data) implements UndoRecord {
    @Override
    public byte type() {
      return CHUNK;
    }
  }

  /**
   * Part {@code part} of {@code parts} of the list of chunks making up object {@code item}'s
   * saved state ({@code length} bytes in all) at the end of the epoch. {@code entries} holds
   * {@link #ENTRY} bytes a chunk: its SHA-256, the epoch and sequence number of its {@link
   * Chunk} record, and its length.
   */
  record Manifest(long item, int part, int parts, long length, byte[] entries) implements UndoRecord {
    /** Bytes of one entry. */
    public static final int ENTRY = 32 + 8 + 8 + 4;

    @Override
    public byte type() {
      return MANIFEST;
    }
  }

  /**
   * Bytes the undo of record {@code step} overwrote or cut off. Redo, after redoing the step:
   * write {@code data} at {@code offset} of {@code path}, then cut or extend the file to {@code
   * size}.
   */
  record Redo(long step, String path, long offset, long size, byte[] data) implements UndoRecord {
    @Override
    public byte type() {
      return REDO;
    }
  }

  /**
   * Attributes of a file or directory as the epoch left it, read before the first undo step
   * that changed it ({@code key} identifies the file: its file key, or its path where the file
   * system has none). Redo, after redoing the step: set them.
   */
  record RedoAttributes(
      long step, String key, String path, long modifiedNanos, int permissions, String owner, String group)
      implements UndoRecord {
    @Override
    public byte type() {
      return REDO_ATTRIBUTES;
    }
  }

  /**
   * A directory the undo of record {@code step} had to create for a path inside it (the epoch
   * had created and removed it). Redo, after redoing the step: remove it if it is empty.
   */
  record RedoRemoveDirectory(long step, String path) implements UndoRecord {
    @Override
    public byte type() {
      return REDO_REMOVE_DIRECTORY;
    }
  }

  /**
   * The redo records above it hold everything the undo of steps {@code step} and later
   * destroys: an undo interrupted by a crash resumes capturing below {@code step}, and a mark
   * with step 0 ends a complete redo file.
   */
  record RedoMark(long step) implements UndoRecord {
    @Override
    public byte type() {
      return REDO_MARK;
    }
  }

  /**
   * The rename, deletion or creation of step {@code step} had not taken effect (it failed after
   * it was journaled): its undo did nothing, and redo must not carry it out either.
   */
  record RedoSkip(long step) implements UndoRecord {
    @Override
    public byte type() {
      return REDO_SKIP;
    }
  }

  /**
   * Stands where compaction dropped an undo record from the segment of an archived epoch (one
   * no restore passes through again), so that the sequence numbers of the records kept, which
   * the index and other epochs' manifests refer to, stay as they were.
   */
  record Compacted() implements UndoRecord {
    @Override
    public byte type() {
      return COMPACTED;
    }
  }

  /**
   * The label epoch was committed with: in its segment, before its Commit record (an epoch
   * without a segment has its label in the catalogue).
   */
  record Label(String label) implements UndoRecord {
    @Override
    public byte type() {
      return LABEL;
    }
  }

  /**
   * The store as of catalogue generation {@code generation}, the last record of every event
   * of the catalogue: the current epoch, the id the next commit gets, the next free item id, the
   * target of a restore under way (-1: none) and the tracked roots (real path strings).
   */
  record Head(long generation, long current, long next, long nextItem, long restoringTo, java.util.List<String> roots)
      implements UndoRecord {
    @Override
    public byte type() {
      return HEAD;
    }
  }

  /**
   * Epochs an event of the catalogue added (an epoch without a segment) or changed (a prune's
   * parents and flags, a compaction's segment nonce), each as it is now, and the epochs it
   * deleted; {@code root} is the index's root key (-1 until a prune writes one).
   */
  record Tree(long generation, long root, java.util.List<TreeEntry> epochs, long[] deleted) implements UndoRecord {
    @Override
    public byte type() {
      return TREE;
    }
  }

  /** One epoch in a {@link Tree} record (its sizes are read from its segment). */
  record TreeEntry(long id, long parent, long committedAtMillis, long flags, long nonce, String label) {
    static TreeEntry of(EpochInfo e) {
      return new TreeEntry(e.id(), e.parent(), e.committedAtMillis(), e.flags(), e.segmentNonce(), e.label());
    }
  }

  /**
   * The checksum of one trash entry: {@code trashName} (relative to {@code trash/}) as it was
   * when checksummed, which is what a restore brings back to {@code path}. Written at commit,
   * before the commit record, for each {@link Trashed} record of the epoch, and in an epoch's
   * redo file for each creation its undo kept. Read forward; undo and redo ignore it.
   *
   * @param state {@link #CHECKED}, or why the entry carries no checksum
   * @param bytes the bytes of the regular files of the entry (its size, for a file)
   * @param entries the files, directories and links of the entry, itself included
   * @param digest XXH64 of the entry's canonical form (see {@link TreeDigest})
   */
  record TrashDigest(String trashName, String path, byte state, long bytes, long entries, long digest)
      implements UndoRecord {
    /** The entry was read and checksummed. */
    public static final byte CHECKED = 0;
    /** The entry did not exist: the step that makes it had not taken effect. */
    public static final byte ABSENT = 1;
    /** A file of the entry had other hard links, through which it may legitimately change. */
    public static final byte LINKED = 2;
    /** A file of the entry was open for writing or mapped when it was removed. */
    public static final byte OPEN = 3;
    /** Part of the entry could not be read (its permissions). */
    public static final byte UNREADABLE = 4;

    @Override
    public byte type() {
      return TRASH_DIGEST;
    }

    /** Whether the entry's contents can be checked against this record. */
    public boolean checked() {
      return state == CHECKED;
    }
  }
}
