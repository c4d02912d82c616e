package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.OutsideChange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.util.Map;
import java.util.Set;
import net.jpountz.xxhash.StreamingXXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * What one stat of a tracked entry says, links not followed: its type, identity (device and
 * inode), size, modification and change times, mode and owner. The change time cannot be set by
 * user code, so an outside change that resets the modification time still shows. {@code hash}
 * is the xxHash64 of a regular file's contents where its times fall in the same clock tick as
 * the stat ({@link #NO_HASH} otherwise): a later write in that tick would leave both times
 * unchanged, so the contents are what witnesses it.
 *
 * <p>Where the file system has no {@code unix} attribute view, the basic attributes stand in:
 * the creation time for the change time, the file key's hash for the inode.
 */
record EntryStat(
    byte type, long dev, long ino, long size, long mtime, long ctime, int mode, int uid, int gid, int nlink, long hash) {

  static final byte FILE = 1;
  static final byte DIRECTORY = 2;
  static final byte LINK = 3;
  static final byte OTHER = 4;
  static final long NO_HASH = 0;

  private static final String UNIX = "unix:size,lastModifiedTime,ctime,ino,dev,mode,uid,gid,nlink,isRegularFile,isDirectory,isSymbolicLink";
  private static final XXHashFactory XXHASH = XXHashFactory.fastestInstance();

  /** The stat of {@code path}, or null if there is nothing there. */
  static EntryStat read(FileSystemProvider provider, Path path, boolean unix) throws IOException {
    try {
      if (unix) {
        Map<String, Object> a = provider.readAttributes(path, UNIX, NOFOLLOW_LINKS);
        byte type =
            (Boolean) a.get("isRegularFile") ? FILE
                : (Boolean) a.get("isDirectory") ? DIRECTORY
                : (Boolean) a.get("isSymbolicLink") ? LINK
                : OTHER;
        return new EntryStat(
            type,
            (Long) a.get("dev"),
            (Long) a.get("ino"),
            (Long) a.get("size"),
            nanos((FileTime) a.get("lastModifiedTime")),
            nanos((FileTime) a.get("ctime")),
            (Integer) a.get("mode"),
            (Integer) a.get("uid"),
            (Integer) a.get("gid"),
            (Integer) a.get("nlink"),
            type == LINK ? targetHash(provider, path) : NO_HASH);
      }
      BasicFileAttributes a = provider.readAttributes(path, BasicFileAttributes.class, NOFOLLOW_LINKS);
      byte type =
          a.isRegularFile() ? FILE : a.isDirectory() ? DIRECTORY : a.isSymbolicLink() ? LINK : OTHER;
      Object key = a.fileKey();
      return new EntryStat(
          type, 0, key == null ? 0 : key.hashCode(), a.size(), nanos(a.lastModifiedTime()),
          nanos(a.creationTime()), 0, 0, 0, 1, type == LINK ? targetHash(provider, path) : NO_HASH);
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /** The xxHash64 of a link's target: what a link holds. */
  private static long targetHash(FileSystemProvider provider, Path link) throws IOException {
    byte[] target = provider.readSymbolicLink(link).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    long h = XXHASH.hash64().hash(target, 0, target.length, 0x4d544d52);
    return h == NO_HASH ? 1 : h;
  }

  /** Whether the file system of {@code provider} offers the {@code unix} view. */
  static boolean unixView(FileSystemProvider provider, Path any) throws IOException {
    try {
      provider.readAttributes(any, "unix:ino", NOFOLLOW_LINKS);
      return true;
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      return false;
    }
  }

  static long nanos(FileTime t) {
    java.time.Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** Whether a write later in the clock tick {@code tick} (a file time read now) could go unseen. */
  boolean racy(long tick) {
    return type == FILE && Math.max(mtime, ctime) >= tick;
  }

  EntryStat withHash(long h) {
    return new EntryStat(type, dev, ino, size, mtime, ctime, mode, uid, gid, nlink, h);
  }

  /** The xxHash64 of a regular file's contents (never {@link #NO_HASH}), or {@link #NO_HASH} if it is gone. */
  static long contentHash(FileSystemProvider provider, Path path) throws IOException {
    try (SeekableByteChannel c =
            provider.newByteChannel(path, Set.of(StandardOpenOption.READ, NOFOLLOW_LINKS));
        StreamingXXHash64 h = XXHASH.newStreamingHash64(0x4d544d52)) {
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      while (c.read(buf) >= 0) {
        buf.flip();
        h.update(buf.array(), 0, buf.limit());
        buf.clear();
      }
      long v = h.getValue();
      return v == NO_HASH ? 1 : v;
    } catch (NoSuchFileException e) {
      return NO_HASH;
    }
  }

  /**
   * As {@link #compare}, for an entry of a tree copied or moved whole: by what a copy that keeps
   * times and modes keeps (not the inode, not the change time).
   */
  OutsideChange.Kind compareCopied(EntryStat now) {
    if (now.type != type) {
      return OutsideChange.Kind.REPLACED;
    }
    // a link's own time is seldom kept by a copy: its target stands for it
    if (type == LINK ? now.hash != hash : type != DIRECTORY && (now.size != size || now.mtime != mtime)) {
      return OutsideChange.Kind.MODIFIED;
    }
    if (now.mode != mode || now.uid != uid || now.gid != gid) {
      return OutsideChange.Kind.ATTRIBUTES;
    }
    return null;
  }

  /** What differs between the witnessed {@code this} and {@code now}, or null if nothing that matters. */
  OutsideChange.Kind compare(EntryStat now) {
    if (now.type != type) {
      return OutsideChange.Kind.REPLACED;
    }
    boolean sameInode = now.ino == ino && now.dev == dev;
    if (type == LINK) {
      // what a link holds is its target; its times say nothing a copy keeps
      if (now.hash != hash) {
        return sameInode ? OutsideChange.Kind.MODIFIED : OutsideChange.Kind.REPLACED;
      }
      return now.uid != uid || now.gid != gid ? OutsideChange.Kind.ATTRIBUTES : null;
    }
    if (!sameInode) {
      // another inode: a copy that keeps what a copy can keep (a tree put back from a backup)
      // is taken for the same entry; anything else is a replacement
      return compareCopied(now) == null ? null : OutsideChange.Kind.REPLACED;
    }
    if (type != DIRECTORY && (now.size != size || now.mtime != mtime)) {
      return OutsideChange.Kind.MODIFIED;
    }
    if (now.mode != mode || now.uid != uid || now.gid != gid) {
      return OutsideChange.Kind.ATTRIBUTES;
    }
    if (type != DIRECTORY && now.ctime != ctime) {
      return OutsideChange.Kind.MODIFIED; // contents or metadata, with the time set back
    }
    return null;
  }

}
