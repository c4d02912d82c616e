package dev.metamori;

import dev.metamori.internal.CheckpointerFactory;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Incremental checkpoints of the files under one or more tracked directory trees, of named
 * off-heap {@linkplain MemoryRegion memory regions} and of registered {@linkplain Checkpointable
 * objects}, committed and rolled back together as one epoch.
 *
 * <p>The application does its file I/O through {@link #fileSystem()} (same path strings as the
 * default file system). Every change under a tracked root is journaled: the first change of a
 * block in an epoch saves the block's old contents once. {@link #commit()} makes a durable
 * checkpoint; {@link #rollback(long)} (or {@link #restore(long)}) puts every tracked file back
 * exactly as it was at any checkpoint, earlier or later, on any branch of the epoch tree, in time
 * proportional to what changed between the two. {@link #prune(RetentionPolicy)} keeps the store
 * small.
 *
 * <pre>{@code
 * try (Checkpointer cp = Checkpointer.builder(storeDir).track(dataDir).open()) {
 *   FileSystem fs = cp.fileSystem();
 *   Path results = fs.getPath(dataDir.toString(), "results.csv");
 *   Files.writeString(results, "step,energy\n");
 *   long good = cp.commit();
 *   Files.writeString(results, "garbage", StandardOpenOption.APPEND);
 *   cp.rollback(good); // results.csv holds exactly "step,energy\n" again
 * }
 * }</pre>
 *
 * <p>A store is used by one {@code Checkpointer} at a time. Closing does not commit: the next
 * {@link Builder#open()} undoes whatever was not committed, exactly as it does after a crash,
 * so a store always reopens at a committed epoch.
 *
 * <p>Implementations are thread-safe: many threads may write through the file system while
 * another commits; each write belongs wholly to one epoch.
 */
public interface Checkpointer extends Closeable {

  /**
   * Starts configuring a checkpointer whose journal lives in {@code store} (a directory,
   * created if missing, that must not lie inside a tracked root).
   *
   * @param store the store directory
   * @return a builder for a checkpointer whose journal lives in {@code store}
   */
  static Builder builder(Path store) {
    return new Builder(store);
  }

  /**
   * Returns the checkpointer behind a file system opened through the {@code metamori} URI
   * scheme ({@code FileSystems.newFileSystem(URI.create("metamori:" + store.toUri()), env)}).
   *
   * @param fileSystem a file system opened through the {@code metamori} URI scheme
   * @return the checkpointer that journals {@code fileSystem}
   * @throws IllegalArgumentException if {@code fileSystem} is not a Metamori file system
   */
  static Checkpointer of(FileSystem fileSystem) {
    return CheckpointerFactory.checkpointerOf(fileSystem);
  }

  /**
   * Rebuilds the index ({@code index.mv}) of the store in {@code store} from its segments and
   * its catalogue, whatever state the index is in, and says what it found. The store must not
   * be open; its tracked trees are not touched (the next open recovers them, as always). Opening
   * a store rebuilds a missing, stale or damaged index by itself; this rebuilds it explicitly,
   * e.g. after damage to the index was reported while the store was in use.
   *
   * @param store the store directory
   * @return the state the index was found in and what the rebuilt index holds
   * @throws CorruptStoreException if a segment or the catalogue is damaged, so that the index
   *     cannot be rebuilt; the store is left as it was
   * @throws StoreLockedException if the store is open
   * @throws IllegalArgumentException if {@code store} is not a Metamori store
   */
  static RepairResult repair(Path store) throws IOException {
    return CheckpointerFactory.repair(store);
  }

  /**
   * The journaling view of the default file system. Paths have the same strings as on the
   * default file system; changes under tracked roots are journaled, changes elsewhere pass
   * through, changes inside the store are refused with {@code AccessDeniedException}.
   * Closing it closes this checkpointer.
   *
   * @return the journaling file system
   */
  FileSystem fileSystem();

  /**
   * Makes the current state of the tracked trees, regions and objects a durable checkpoint:
   * the journal, the changed files and their directories are forced to storage before this
   * returns. Same as {@code commitAsync().join()}, with its exception unwrapped. If the store's
   * disk is full, this throws a {@link DiskFullException} and the store stays at its epoch with
   * the changes still journaled: once space is freed, the next {@code commit()} (or restore)
   * commits the epoch that failed, under its id, then what changed since. After any other I/O
   * error the checkpointer stops: later calls fail with it as the cause, and the next open
   * recovers the store to its last committed epoch.
   *
   * @return the new epoch's id, larger than every id used before
   * @throws IOException if the commit failed: a {@link DiskFullException}, or an I/O error that
   *     stops the checkpointer
   */
  long commit() throws IOException;

  /**
   * Discards uncommitted changes and restores every tracked tree to exactly its state at
   * {@code epoch}: which files and directories exist, their bytes, sizes, last-modified times
   * and POSIX permissions; and every region and registered object to its state at {@code
   * epoch} (a region the store did not have then is zeroed; an object it did not have is left
   * as it is). {@code epoch} may be any epoch in the store ({@link #epochs()}): older or newer
   * than the current one, on any branch. The restore undoes the epochs from the current one up
   * to the common ancestor, then redoes those down to {@code epoch}, in time proportional to
   * what changed on that way; no epoch is lost: after {@code restore(3)} from epoch 7 and a new
   * commit (epoch 8, a child of 3), epochs 4 to 7 form a branch that {@code restore(7)} brings
   * back. A crash during a restore is finished by the next {@link Builder#open()}. If the
   * store's disk fills up, this throws a {@link DiskFullException} and the tracked files are
   * left part of the way (changes to them are refused): once space is freed, the next restore
   * or commit finishes it first. Any other I/O error stops the checkpointer, as for {@link
   * #commit()}.
   *
   * <p>First it compares every tracked entry with what the store knows of it ({@link
   * #status()}): a file, directory or link changed behind the checkpointer's back would be
   * destroyed or mixed into the restored state, so the restore is refused and nothing changes.
   *
   * @param epoch the epoch to restore: any epoch of the store, on any branch
   * @throws NoSuchEpochException if {@code epoch} is not in the store; nothing changes
   * @throws OutsideChangesException if tracked entries were changed outside the checkpointer;
   *     nothing changes
   */
  void restore(long epoch) throws IOException;

  /**
   * As {@link #restore(long)}, but with tracked entries changed outside the checkpointer handled
   * as {@code option} says instead of refused.
   *
   * @param epoch the epoch to restore, as for {@link #restore(long)}
   * @param option what to do with tracked entries changed outside the checkpointer
   * @return the outside changes found: overwritten (their entries not exact), or adopted into
   *     the epoch committed first; empty if there were none
   * @throws NoSuchEpochException if {@code epoch} is not in the store; nothing changes
   */
  List<OutsideChange> restore(long epoch, RestoreOption option) throws IOException;

  /**
   * Commits the changes made to the tracked trees behind the checkpointer's back ({@link
   * #status()}) into a new epoch, together with the uncommitted work, so that nothing is lost:
   * entries created outside are journaled as created (a restore to an earlier epoch removes
   * them, and a restore to the new epoch brings them back), the others as they are now. Their
   * state before the new epoch was destroyed by the outside change, so a restore to an earlier
   * epoch restores them as nearly as the journal allows, with a warning in the log. Afterwards
   * {@link #status()} is empty.
   *
   * @return the id of the new epoch, or the current epoch if there was no outside change
   * @throws IOException if the new epoch cannot be committed, as for {@link #commit()}
   */
  long adoptOutsideChanges() throws IOException;

  /**
   * Same as {@link #restore(long)}: discards uncommitted changes and restores {@code epoch}.
   *
   * @param epoch the epoch to restore
   * @throws IOException as {@link #restore(long)} throws it
   */
  void rollback(long epoch) throws IOException;

  /**
   * Starts a commit and returns once the epoch is captured: the files, {@linkplain
   * MemoryRegion regions} and {@linkplain Checkpointable objects} as they are at this instant
   * make the epoch (changed region pages are copied, objects saved), and the application may
   * go on writing all three at once. The future completes with the epoch's id when it is
   * durable as {@link #commit()} describes, or exceptionally with the I/O error that stopped
   * it (a {@link DiskFullException}, or an error that stops the checkpointer, see {@link
   * #commit()}). One commit is in flight at a
   * time: a second call waits until the first is durable. Renames and deletes of tracked files
   * wait too; writes and creates do not.
   *
   * @return a future that completes with the new epoch's id once the epoch is durable
   * @throws IOException if the epoch cannot be captured: the checkpointer has stopped, or an I/O
   *     error happened while capturing
   */
  java.util.concurrent.CompletableFuture<Long> commitAsync() throws IOException;

  /**
   * As {@link #commit()}, and labels the epoch so that {@link #epoch(String)} finds it.
   *
   * @param label the label: 1 to 1000 characters
   * @return the new epoch's id
   * @throws IllegalArgumentException if {@code label} is empty or longer than 1000 characters
   * @throws IOException as for {@link #commit()}
   */
  long commit(String label) throws IOException;

  /**
   * As {@link #commitAsync()}, with a label (see {@link #commit(String)}).
   *
   * @param label the label, as for {@link #commit(String)}
   * @return a future that completes with the new epoch's id, as for {@link #commitAsync()}
   * @throws IOException as for {@link #commitAsync()}
   */
  java.util.concurrent.CompletableFuture<Long> commitAsync(String label) throws IOException;

  /**
   * Records an output of the working epoch (output commit): something that cannot be rolled
   * back once done (a message sent, a payment made, a mail posted), held back until the epoch is
   * committed and durable, then handed to the {@linkplain #onCommitted(OutputHandler) handler}.
   * The outputs of an epoch that is never committed (undone by a restore, or lost with the
   * process) are never delivered; those of a committed epoch are delivered at least once, also
   * after a crash (see {@link OutputHandler}).
   *
   * @param key the application's key for the output, 1 to 1000 characters, handed over with it
   *     at every delivery (an idempotency key)
   * @param payload what to deliver, at most 64 MiB (copied)
   * @throws IllegalArgumentException if the key or the payload is out of bounds
   * @throws IOException if the checkpointer has stopped after an I/O error
   */
  void deferUntilCommitted(String key, byte[] payload) throws IOException;

  /**
   * Registers the one handler that receives the outputs of committed epochs, in the order they
   * were recorded, on a thread of the checkpointer's own. Outputs committed before it was
   * registered, also by an earlier process whose delivery a crash cut short, are handed to it at
   * once. The handler must not call this checkpointer.
   *
   * @param handler the handler
   * @throws IllegalStateException if a handler is already registered
   * @throws IOException if the checkpointer has stopped after an I/O error
   */
  void onCommitted(OutputHandler handler) throws IOException;

  /**
   * The newest valid epoch committed with {@code label}.
   *
   * @param label a label given to {@link #commit(String)}
   * @return the newest valid epoch with that label
   * @throws NoSuchEpochException if no valid epoch has that label
   */
  Epoch epoch(String label) throws IOException;

  /**
   * A named region of off-heap memory that is part of the checkpointed state: zeroed if new,
   * or with its contents as of the current epoch if the store has it. The same name gives the
   * same region for the life of this checkpointer.
   *
   * @param name the region's name
   * @param size the region's size in bytes
   * @return the region
   * @throws IllegalArgumentException if {@code size} is not positive, or the store holds a
   *     region of that name with another size
   * @throws IOException if the store cannot be read
   */
  MemoryRegion region(String name, long size) throws IOException;

  /**
   * Makes {@code object}'s state part of the checkpointed state. If the store holds a state
   * saved under {@code name} at the current epoch, {@link Checkpointable#restore} is called
   * with it before this returns (restart from checkpoint). The object is also registered as a
   * {@link CheckpointListener}.
   *
   * @param name the name the object's state is saved under
   * @param object the object
   * @throws IllegalStateException if an object is already registered under {@code name}
   * @throws IOException if the saved state cannot be read, or the object's {@code restore} fails
   */
  void register(String name, Checkpointable object) throws IOException;

  /**
   * The differences between the states at epochs {@code from} and {@code to}: files and
   * directories created, deleted, moved and changed (with the byte ranges that may differ, at
   * block granularity, and the sizes), regions whose bytes differ (by page) and objects whose
   * saved state differs. The two may be any epochs of the store ({@link #epochs()}), on one
   * line (either may be the older) or on different branches; neither needs to be the current
   * one, and nothing is restored.
   *
   * <p>Files are followed by identity, not by name: a file moved on the way (or inside a moved
   * directory) is {@link Change.Kind#MOVED}; a file replaced by another one, or created at the
   * same path on both branches, is {@link Change.Kind#DELETED} and {@link Change.Kind#CREATED}.
   * Bytes outside the reported ranges are equal in both states; a block written with the bytes
   * it already held still counts as changed. A file changed on one branch and deleted on the
   * other is created or deleted (with its size where it exists).
   *
   * <p>Computed from the journal, in time proportional to what changed on the way between the
   * two epochs (from each of them up to their common ancestor). A file's size at an epoch
   * where it was last changed is read from that epoch's redo records (saved when it was
   * undone) or, for an epoch on the current line never undone, from the first later record
   * of the current line that mentions the file, or from the disk: that part reads later epochs
   * until each changed file is found. Memory grows with the number of paths changed, not with
   * their bytes. {@link Change#sizeBefore()} and {@link Change#sizeAfter()} are -1 where no
   * record on the way tells them (a file only moved; a file the base epoch had, not on the
   * current line, that one side deleted without changing it).
   *
   * @param from the epoch whose state is the first of the two
   * @param to the epoch whose state is the second
   * @return the differences; close the stream when done
   * @throws NoSuchEpochException if either epoch is not in the store
   */
  java.util.stream.Stream<Change> diff(long from, long to) throws IOException;

  /**
   * Writes a self-contained stream of the tracked trees, regions and objects as they were at
   * committed epoch {@code epoch} (like {@code zfs send}): every file, directory and link under
   * the tracked roots (paths relative to their root, roots by their position in the builder;
   * excluded paths left out), every region and every registered object's saved bytes. Another
   * store receives it with {@link #receive(InputStream)}. The stream is compressed (LZ4),
   * checksummed (xxHash64 per chunk and over the whole) and versioned; docs/format.md describes
   * it. The epoch need not be the current one: the trees at any epoch are read from the live
   * trees and the journal, without changing either. Writes of other threads wait until the
   * stream is written; {@code out} is flushed, not closed.
   *
   * @param epoch the committed epoch to export
   * @param out where to write the stream
   * @throws NoSuchEpochException if the epoch is not in the store
   * @throws IOException if the store, the trees or {@code out} fail
   */
  void export(long epoch, OutputStream out) throws IOException;

  /**
   * Writes a stream of what changed from committed epoch {@code base} to committed epoch {@code
   * epoch} (any two epochs of the tree, as {@link #diff(long, long)} finds them): the changed
   * byte ranges of files, what was created, removed or moved, the changed pages of regions and
   * the objects whose bytes changed. A store whose current epoch is {@code base} (committed
   * there, or received from a stream that ended at it) receives it with {@link
   * #receive(InputStream)}. Epochs keep their identity across stores, so the stream of B to C
   * applies wherever B was received.
   *
   * @param base the epoch the receiving store is at
   * @param epoch the epoch the stream leads to
   * @param out where to write the stream
   * @throws NoSuchEpochException if either epoch is not in the store
   * @throws IOException if the store, the trees or {@code out} fail
   */
  void export(long base, long epoch, OutputStream out) throws IOException;

  /**
   * Reads a stream written by {@link #export(long, OutputStream)} or {@link #export(long, long,
   * OutputStream)}, applies it to this store's tracked trees (root by root, in the builder's
   * order), regions and objects, and commits the result as a new epoch, labelled as the exported
   * one was. A full stream needs empty trees; an incremental one needs this store to be at its
   * base epoch, which its header says before anything changes. Each chunk's checksum, each
   * record's structure and each path (relative, plain names) are checked before the record is
   * applied, through the journal: a stream refused part way (damaged, cut short, a path below a
   * link) or a failure (a full disk) is undone, and the trees, regions and objects are as they
   * were; a crash part way is undone by the next open, as any uncommitted change.
   * Nothing is written outside the tracked roots, and nothing through a link. Registered objects
   * restore the received bytes; an object not registered yet gets them when it is. There must be
   * no uncommitted changes; writes of other threads wait meanwhile.
   *
   * @param in the stream; read up to its end mark, not closed
   * @return the id of the epoch committed
   * @throws StreamException if the stream is damaged, cut short, of another version, for another
   *     base or number of roots, or names a path the trees cannot take; nothing was changed
   * @throws IOException if the store or the trees fail (what was applied is undone)
   */
  long receive(InputStream in) throws IOException;

  /**
   * Removes the epochs {@code policy} does not keep (the current epoch is always kept) and
   * reclaims the space no restore between the remaining epochs needs: branches without a kept
   * epoch go entirely, and so does everything older than the common ancestor of the kept
   * epochs (except the region, object and name records the kept epochs still read). An epoch
   * removed between two kept ones stops being listed or restorable, but its undo and redo stay:
   * restores pass through it, so it costs what it cost before. Restores of the kept epochs stay
   * exact. Crash-safe: after a crash the next open finishes the deletions of a prune that took
   * effect, or the store is as before it.
   *
   * @param policy which epochs to keep
   * @return the epochs removed and the space given back
   * @throws IllegalArgumentException if the policy would drop the current epoch's branch
   * @throws IOException if the store cannot be read or written
   */
  PruneResult prune(RetentionPolicy policy) throws IOException;

  /**
   * Adds hooks called around every commit and restore.
   *
   * @param listener the hooks
   */
  void addListener(CheckpointListener listener);

  /**
   * The epoch the tracked state was last committed or rolled back to.
   *
   * @return the current epoch's id
   */
  long currentEpoch();

  /**
   * Every epoch in the store, oldest (smallest id) first, on every branch: follow {@link
   * Epoch#parent()} to see the tree. The current epoch's line is {@link #currentEpoch()} and its
   * ancestors.
   *
   * @return every epoch of the store, oldest first
   * @throws IOException if the store cannot be read
   */
  List<Epoch> epochs() throws IOException;

  /**
   * Every change made to the tracked trees behind the checkpointer's back, like {@code git
   * status}: each entry (file, directory or link) whose type, inode, size, modification or change
   * time, permissions or owner differs from what the store recorded of it at the current epoch,
   * with the changes made through the checkpointer since taken as they are; entries the store
   * does not know, and known ones that are gone. Empty when the trees are as the store knows
   * them. Costs one stat per tracked entry, in parallel; writes wait meanwhile.
   *
   * @return the outside changes; empty if there are none
   * @throws IOException if the store or a tracked entry cannot be read
   */
  List<OutsideChange> status() throws IOException;

  /**
   * Reads the whole journal like a scrub and returns every damaged record, segment or index
   * entry found, each naming the file, offset and epoch. Changes nothing; empty when the store
   * is sound. Runs while writes continue; commits and rollbacks wait for it. Changes made to the
   * tracked trees behind the checkpointer's back are not damage of the store: {@link #status()}
   * lists them ({@code metamori verify} reports both).
   *
   * @return every damaged record, segment, index entry and trash entry found; empty if the store is
   *     sound
   * @throws IOException if the store cannot be read at all
   */
  List<CorruptStoreException> verify() throws IOException;

  /**
   * Reads every committed record of the valid epochs and the sizes of the store's files, and
   * tells where the store's bytes go: per epoch (with the compression ratio of what it saved),
   * per tracked file, per region and object (with the bytes chunk dedupe saved). Changes
   * nothing; takes time proportional to the size of the journal. Writes go on meanwhile;
   * commits and rollbacks wait for it.
   *
   * @return where the store's bytes go
   * @throws IOException if the store cannot be read
   */
  StoreStats stats() throws IOException;

  /**
   * Reports the progress of the {@link #verify()}, {@link #stats()} and {@link #restore(long)}
   * calls that follow, until another listener is set; null for none.
   *
   * @param listener the listener, or null for none
   */
  void reportProgressTo(ProgressListener listener);

  /**
   * The globs of the paths under the tracked roots that are not tracked ({@link
   * Builder#exclude(String)}), as the store was created with them; empty if none.
   *
   * @return the globs, in the order given
   */
  List<String> exclusions();

  /** Closes the store without committing; open channels of {@link #fileSystem()} are closed. */
  @Override
  void close() throws IOException;

  /**
   * Configures and opens a {@link Checkpointer}. Setters validate at once and may be called
   * once each (except {@link #track(Path)}, which is repeatable); cross-checks run in
   * {@link #open()}.
   */
  final class Builder {
    /** Default journal block size: the unit whose old contents are saved on first change. */
    public static final int DEFAULT_BLOCK_SIZE = 4096;

    private final Path store;
    private final List<Path> roots = new ArrayList<>();
    private final List<String> exclusions = new ArrayList<>();
    private int blockSize;
    private Clock clock;
    private Durability durability;
    private boolean registerMBean;

    private Builder(Path store) {
      this.store = Objects.requireNonNull(store, "store");
    }

    /**
     * Adds a directory tree whose files are checkpointed. It must exist.
     *
     * @param root the directory tree's root
     * @return this builder
     */
    public Builder track(Path root) {
      Objects.requireNonNull(root, "root");
      if (roots.contains(root)) {
        throw new IllegalArgumentException("root " + root + " is already tracked");
      }
      roots.add(root);
      return this;
    }

    /**
     * Excludes the paths under a tracked root that match {@code glob} (repeatable): they are
     * neither journaled nor touched by restores, and not looked at for outside changes (caches,
     * scratch files, sockets). The glob is relative to the root it applies under, in the syntax
     * of {@link java.nio.file.FileSystem#getPathMatcher} with {@code glob:}, and is matched
     * against the path and each of its parents: {@code cache} excludes the directory {@code
     * cache} at the top of a root and everything in it, {@code **}{@code /*.tmp} every
     * {@code .tmp} file below the top, {@code *.sock} those at the top. A store keeps the
     * exclusions it was created with; reopening it with others fails in {@link #open()}
     * (without any, it uses its own).
     *
     * @param glob the glob, relative to a tracked root
     * @return this builder
     * @throws IllegalArgumentException if the glob is empty, absolute, climbs out with {@code ..}
     *     or is not a valid glob
     */
    public Builder exclude(String glob) {
      CheckpointerFactory.checkExclusion(glob);
      if (exclusions.contains(glob)) {
        throw new IllegalArgumentException("'" + glob + "' is already excluded");
      }
      exclusions.add(glob);
      return this;
    }

    /**
     * Sets the journal block size for a new store: a power of two from 512 bytes to 1 MiB
     * (default 4 KiB). An existing store keeps the block size it was created with; asking for
     * another one fails in {@link #open()}.
     *
     * @param bytes the block size in bytes
     * @return this builder
     */
    public Builder blockSize(int bytes) {
      if (blockSize != 0) {
        throw new IllegalStateException("block size was already set to " + blockSize);
      }
      if (bytes < 512 || bytes > (1 << 20) || Integer.bitCount(bytes) != 1) {
        throw new IllegalArgumentException(
            "block size must be a power of two from 512 to 1048576 bytes, was " + bytes);
      }
      this.blockSize = bytes;
      return this;
    }

    /**
     * Sets what is forced to stable storage (default {@link Durability#PROCESS}).
     *
     * @param durability what a commit forces to stable storage
     * @return this builder
     */
    public Builder durability(Durability durability) {
      if (this.durability != null) {
        throw new IllegalStateException("durability was already set to " + this.durability);
      }
      this.durability = Objects.requireNonNull(durability, "durability");
      return this;
    }

    /**
     * Sets the clock that stamps commit times (default: the system UTC clock).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      if (this.clock != null) {
        throw new IllegalStateException("clock was already set to " + this.clock);
      }
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Registers an MBean for the checkpointer with the platform MBean server when it opens, so
     * that an operator can commit, restore and look at it from outside the process ({@code
     * metamori ctl PID}, JConsole, any JMX client); it is unregistered when the checkpointer
     * closes. Its name is {@code dev.metamori:type=Checkpointer,name=STORE}, where {@code STORE}
     * is the store directory's real path, quoted as {@link javax.management.ObjectName#quote}
     * does if it holds a character that must be quoted ({@code , = : " * ?} or a newline).
     * Attributes: {@code Store} (the path), {@code CurrentEpoch}, {@code Epochs} (how many are
     * listed); operations: {@code long commit(String label)} (null or empty for no label),
     * {@code void restore(long epoch)}, {@code String status()}. Their errors reach the client
     * as {@link IllegalArgumentException} (an unknown epoch, a bad label) or {@link
     * IllegalStateException} (any other) with the library's message, which any JMX client can
     * read. Off by default: the MBean lets anyone who may attach to the process restore its
     * files.
     *
     * @return this builder
     */
    public Builder registerMBean() {
      if (registerMBean) {
        throw new IllegalStateException("registerMBean() was already called");
      }
      registerMBean = true;
      return this;
    }

    /**
     * Creates the store, or reopens it and recovers it to its last committed epoch (finishing
     * an interrupted rollback first). A store remembers the roots it was last opened with: an
     * existing store may be reopened without {@link #track(Path)}, with those roots.
     *
     * @return the open checkpointer
     * @throws StoreLockedException if the store is open elsewhere
     * @throws CorruptStoreException if the store cannot be read
     * @throws IllegalArgumentException if no root is tracked (and the store records none), roots
     *     overlap, a root is missing, the store lies inside a root, or the exclusions differ from
     *     those the store was created with
     * @throws IllegalStateException if {@link #registerMBean()} was called and an MBean of that
     *     name is already registered
     */
    public Checkpointer open() throws IOException {
      return CheckpointerFactory.open(
          store,
          List.copyOf(roots),
          blockSize,
          durability == null ? Durability.PROCESS : durability,
          clock == null ? Clock.systemUTC() : clock,
          registerMBean,
          List.copyOf(exclusions));
    }
  }
}
