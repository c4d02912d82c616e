package dev.metamori.internal.journal;

import dev.metamori.CorruptStoreException;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An append-only file holding one epoch's undo records, the source of truth of the journal.
 * A 40-byte header (magic, format version, block size, epoch, nonce, checksum) is followed by
 * checksummed frames (see {@link RecordCodec}). Appends are serialised, so the file is always
 * a sequence of whole frames, possibly followed by one torn frame after a crash, and then by
 * zeros: Block records grow the file ahead of them ({@link #appendBlock}), so that they are
 * written into space the file already has, and {@link #rewind} cuts the zeros off before a
 * commit. A scan ends at the first frame boundary followed only by zeros.
 */
final class Segment implements Closeable {
  static final byte[] MAGIC = "MTMRSEG\n".getBytes(StandardCharsets.US_ASCII);
  static final int FORMAT_VERSION = 2; // CRC32C frames; 1 (xxHash32) is read and appended to too
  static final int HEADER_SIZE = 40;

  final Path file;
  final long epoch;
  final long nonce;
  final int blockSize;
  final FileChannel channel;
  final FrameChecksum checksum; // of its frames, as its header's format version says
  private long end;
  /** The file's size: {@link #end} and the zeros written ahead of it. */
  private long allocated;
  private long nextSeq;
  private final RecordCodec.Tries tries = new RecordCodec.Tries();
  /** Frames Block records; created on the first. */
  private BlockFrames blockFrames;
  /** What was appended, if this process created the segment (else null: a commit scans it). */
  private SegmentLayout layout;
  /** An append failed and its partial frame could not be cut off: no more appends. */
  private IOException brokenBy;

  private Segment(
      Path file, FileChannel channel, FrameChecksum checksum, long epoch, long nonce, int blockSize, long end) {
    this.file = file;
    this.channel = channel;
    this.checksum = checksum;
    this.epoch = epoch;
    this.nonce = nonce;
    this.blockSize = blockSize;
    this.end = end;
    this.allocated = end;
  }

  /**
   * The step by which a segment grows ahead of its Block records, written with one write: steps
   * of 32 to 128 KiB cost least here, 1 MiB written at once costs more than the extensions it
   * saves (performance.md, "First-touch overwrite").
   */
  static final int GROWTH = 64 << 10;
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(GROWTH).asReadOnlyBuffer();

  /** Header flag: created while the epoch before was sealed and not yet committed. */
  static final int AFTER_SEALED = 1;

  static Segment create(Path file, long epoch, long nonce, int blockSize, int flags)
      throws IOException {
    FileChannel channel =
        OwnerOnly.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
    header.put(MAGIC).putInt(FORMAT_VERSION).putInt(blockSize).putLong(epoch).putLong(nonce);
    header.putInt(flags);
    header.putInt(RecordCodec.XXHASH.hash(header.array(), 0, HEADER_SIZE - 4, RecordCodec.CHECKSUM_SEED));
    header.flip();
    try {
      writeFully(channel, header, 0);
    } catch (IOException | RuntimeException e) {
      // no record was appended: remove the remains, so the epoch does not seem to have a segment
      channel.close();
      try {
        Files.deleteIfExists(file);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
    Segment s = new Segment(file, channel, FrameChecksum.CRC32C, epoch, nonce, blockSize, HEADER_SIZE);
    s.flags = flags;
    return s;
  }

  /** Header flags ({@link #AFTER_SEALED}). */
  int flags;

  /** Opens an existing segment for reading, checking its header. */
  static Segment open(Path file) throws IOException {
    return open(file, StandardOpenOption.READ);
  }

  /**
   * Opens an existing segment to append to it after its first {@code records} records, which
   * end at {@code end}: whatever follows them is cut off.
   */
  static Segment openToAppend(Path file, int records, long end) throws IOException {
    Segment s = open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
    try {
      s.channel.truncate(end);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
    s.end = end;
    s.allocated = end;
    s.nextSeq = records;
    return s;
  }

  private static Segment open(Path file, StandardOpenOption... options) throws IOException {
    FileChannel channel;
    try {
      channel = FileChannel.open(file, options);
    } catch (java.nio.file.NoSuchFileException e) {
      throw new CorruptStoreException(file, -1, -1, "the segment is missing", e);
    }
    try {
      ByteBuffer header = ByteBuffer.allocate(HEADER_SIZE);
      while (header.hasRemaining() && channel.read(header, header.position()) > 0) {}
      if (header.hasRemaining()) {
        throw new CorruptStoreException(file, 0, -1, "segment header is truncated");
      }
      byte[] magic = new byte[MAGIC.length];
      header.flip().get(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new CorruptStoreException(file, 0, -1, "not a Metamori segment (bad magic)");
      }
      int checksum = header.getInt(HEADER_SIZE - 4);
      if (RecordCodec.XXHASH.hash(header.array(), 0, HEADER_SIZE - 4, RecordCodec.CHECKSUM_SEED)
          != checksum) {
        throw new CorruptStoreException(file, 0, -1, "segment header checksum mismatch");
      }
      FrameChecksum frames = FrameChecksum.of(file, header.getInt());
      int blockSize = header.getInt();
      long epoch = header.getLong();
      long nonce = header.getLong();
      Segment s = new Segment(file, channel, frames, epoch, nonce, blockSize, channel.size());
      s.flags = header.getInt();
      return s;
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
  }

  /** Appends {@code record} and returns the end of the segment just after it. */
  synchronized long append(UndoRecord record) throws IOException {
    checkUsable();
    return write(RecordCodec.encode(record, nextSeq, tries, null, checksum));
  }

  /**
   * Appends the Block record {@code header} (its data ignored) with the {@code length} old bytes
   * {@code source} reads straight into its frame, and returns the end of the segment just after
   * it. With {@code growAhead} the file grows ahead of the record when it has no room for it.
   * (Not under SYSTEM durability: there an append that extends the file cannot reach the disk
   * before a rename done after the append before it, which recovery relies on, while a write into
   * zeros can; and a force per record costs far more than the extension.)
   */
  synchronized long appendBlock(UndoRecord.Block header, int length, BlockSource source, boolean growAhead)
      throws IOException {
    checkUsable();
    if (blockFrames == null) {
      blockFrames = new BlockFrames(checksum);
    }
    ByteBuffer frame = blockFrames.encode(header, length, source, nextSeq);
    if (growAhead) {
      growFor(frame.remaining());
    }
    return write(frame);
  }

  /**
   * Appends {@code records} with one write (all of them, or none if it fails), and returns the
   * end of the segment just after them. A segment that keeps its layout appends them one by one.
   */
  synchronized long appendAll(java.util.List<UndoRecord> records) throws IOException {
    checkUsable();
    if (records.size() < 2 || layout != null) {
      long at = end;
      for (UndoRecord r : records) {
        at = append(r);
      }
      return at;
    }
    long room = 0; // what the frames take, about: no growth of the batch's array in most cases
    for (UndoRecord r : records) {
      room += 128 + (r instanceof UndoRecord.Redo redo ? redo.data().length + redo.path().length() * 3L : 0);
    }
    RecordCodec.Batch frames = new RecordCodec.Batch((int) Math.min(room, 64 << 20));
    for (int i = 0; i < records.size(); i++) {
      RecordCodec.encode(records.get(i), nextSeq + i, tries, frames, checksum);
    }
    long at = write(frames.frames());
    nextSeq += records.size() - 1; // write counted one
    return at;
  }

  private void checkUsable() throws IOException {
    if (brokenBy != null) {
      throw new IOException("an earlier append to " + file + " failed and its remains could not be cut off", brokenBy);
    }
  }

  private long write(ByteBuffer frame) throws IOException {
    int length = frame.remaining();
    ByteBuffer noted = layout == null ? null : frame.duplicate();
    try {
      writeFully(channel, frame, end);
    } catch (IOException e) {
      // a write that failed part way (a full disk) leaves part of a frame: cut it off, or a
      // shorter record written next would leave its rest behind, which reads as damage
      cutBack(e);
      if (IoFaults.recoverable(e)) {
        throw IoFaults.diskFull(
            file.toString(), file.getParent().getParent(), "cannot append to " + file.getFileName(), "", length, e);
      }
      throw e;
    }
    if (noted != null) {
      layout.add(end, noted);
    }
    end += length;
    allocated = Math.max(allocated, end);
    nextSeq++;
    return end;
  }

  /**
   * Makes room for a frame of {@code length} bytes by writing {@link #GROWTH} bytes of zeros
   * ahead of the records, in one write: a write into space the file already has costs about half
   * one that extends it. If the disk is full the zeros go again and the frame is appended as it
   * is (failing in turn if it does not fit either).
   */
  private void growFor(int length) throws IOException {
    if (end + length <= allocated) {
      return;
    }
    long target = Math.max(allocated, (end + length + 4095) & -4096L) + GROWTH;
    try {
      for (long pos = allocated; pos < target; ) {
        pos += channel.write(ZEROS.duplicate().limit((int) Math.min(GROWTH, target - pos)), pos);
      }
      allocated = target;
    } catch (IOException e) {
      cutBack(e);
      if (!IoFaults.recoverable(e)) {
        throw e;
      }
    }
  }

  /** Cuts the file back to {@link #end} after a failed write, or stops appends if it cannot. */
  private void cutBack(IOException e) throws IOException {
    try {
      channel.truncate(end);
      allocated = end;
    } catch (IOException t) {
      e.addSuppressed(t);
      brokenBy = e;
      throw IoFaults.fatal("the remains of a failed append to " + file + " could not be cut off", e);
    }
  }

  private final Object forceLock = new Object();
  private volatile long forcedTo;

  /**
   * Forces the segment at least up to {@code position} (group commit: a thread that waited
   * while another forced finds its record already covered and returns without a force).
   */
  void forceThrough(long position) throws IOException {
    if (forcedTo >= position) {
      return;
    }
    synchronized (forceLock) {
      if (forcedTo >= position) {
        return;
      }
      long target = size();
      IoFaults.force(channel, false);
      forcedTo = target;
    }
  }

  /** The sequence number the next appended record gets. */
  synchronized long nextSeq() {
    return nextSeq;
  }

  synchronized long size() {
    return end;
  }

  void force() throws IOException {
    IoFaults.force(channel, false);
  }

  /**
   * Cuts the segment back to its first {@code records} records, which end at {@code end}, and
   * the zeros grown ahead of them: what a commit that failed for lack of space appended is
   * written again by its retry.
   */
  synchronized void rewind(int records, long end) throws IOException {
    if (records == nextSeq && end == this.end && allocated == end) {
      return; // nothing to cut: most commits, with nothing grown ahead
    }
    if (layout != null) {
      layout.truncate(records);
    }
    channel.truncate(end);
    this.end = end;
    this.allocated = end;
    this.nextSeq = records;
    this.forcedTo = Math.min(forcedTo, end);
  }

  /** Reads and checks the record at {@code offset}, which must be record {@code seq}. */
  UndoRecord read(long offset, long seq) throws IOException {
    ByteBuffer head = ByteBuffer.allocate(4);
    readFully(head, offset);
    int length = head.getInt(0);
    if (length < RecordCodec.HEADER + RecordCodec.TRAILER || length > RecordCodec.MAX_FRAME) {
      throw corrupt(offset, "record length " + length + " is out of range");
    }
    ByteBuffer frame = ByteBuffer.allocate(length);
    readFully(frame, offset);
    return decodeChecked(frame.array(), 0, length, offset, seq);
  }

  /**
   * Checks and decodes the frame in {@code bytes[at, at + length)}, read at {@code offset}, which
   * must be record {@code seq}.
   */
  UndoRecord decodeChecked(byte[] bytes, int at, int length, long offset, long seq) throws CorruptStoreException {
    if (!RecordCodec.checksumOk(bytes, at, length, checksum)) {
      throw corrupt(offset, "record checksum mismatch");
    }
    long found = ByteBuffer.wrap(bytes).getLong(at + 8);
    if (found != seq) {
      throw corrupt(offset, "record " + found + " found where record " + seq + " was expected");
    }
    try {
      return RecordCodec.decode(bytes, at, length);
    } catch (RuntimeException e) {
      throw new CorruptStoreException(file, offset, epoch, "undecodable record: " + e.getMessage(), e);
    }
  }

  CorruptStoreException corrupt(long offset, String detail) {
    return new CorruptStoreException(file, offset, epoch, detail);
  }

  /** Keeps the layout of what is appended from now on, for {@link #written}: an epoch's segment. */
  Segment keepingLayout() {
    if (end != HEADER_SIZE) {
      throw new IllegalStateException("the layout of " + file + " is kept from its first record only");
    }
    layout = new SegmentLayout();
    return this;
  }

  /**
   * The records appended so far, as {@link #scan} would find them but without reading the file
   * when this process created it (then {@code blockKeys} holds state records only, see {@link
   * SegmentLayout}).
   */
  synchronized Scan written() throws IOException {
    return layout != null ? layout.scan(end) : scan();
  }

  /** What a sequential read of the segment found. */
  record Scan(long[] offsets, byte[] types, long[] blockKeys, long validEnd, boolean tornTail) {
    int count() {
      return offsets.length;
    }
  }

  /**
   * Reads the whole segment, checking every frame. The records end at the end of the file or
   * where only zeros follow the last whole frame (the space grown ahead of them). A damaged frame
   * that can only be an interrupted final append (it runs past the end of the file, or only zeros
   * follow it) ends the scan with {@code tornTail}; any other damage, zeros followed by anything
   * else among it, is a {@link CorruptStoreException}.
   * {@code blockKeys} holds, for each BLOCK record, its file id, block index and sequence
   * number, three longs a record; and likewise for each PAGE and MANIFEST record, with {@link
   * Journal#stateKey} of its item in place of the file id and the page or part number.
   */
  Scan scan() throws IOException {
    Scan scan = SegmentScan.read(this);
    synchronized (this) {
      nextSeq = scan.count();
      end = scan.validEnd();
    }
    return scan;
  }

  private void readFully(ByteBuffer buffer, long offset) throws IOException {
    long pos = offset;
    while (buffer.hasRemaining()) {
      int n = channel.read(buffer, pos);
      if (n < 0) {
        throw corrupt(offset, "record runs past the end of the segment");
      }
      pos += n;
    }
  }

  static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
    long pos = position;
    while (buffer.hasRemaining()) {
      if (buffer.isDirect() || buffer.remaining() <= WRITE_SLICE) {
        pos += channel.write(buffer, pos);
      } else {
        int n = channel.write(buffer.slice(buffer.position(), WRITE_SLICE), pos);
        buffer.position(buffer.position() + n);
        pos += n;
      }
    }
  }

  /**
   * Bytes of a heap buffer written with one system call: the JDK copies a heap buffer through a
   * direct one of its size, which it keeps for the thread's next write only while none larger is
   * asked for; a batch of redo records (megabytes, a little more or less each time) written
   * whole would map, fault in and unmap a new one every time.
   */
  private static final int WRITE_SLICE = 256 << 10;

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
