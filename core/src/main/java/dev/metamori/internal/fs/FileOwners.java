package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.spi.FileSystemProvider;
import java.util.HashMap;
import java.util.Map;

/**
 * The permission bits, owner and group of entries, as a restore saves and compares them: one
 * stat an entry, and one look-up of a user or group name per distinct id. (Reading {@link
 * PosixFileAttributes} looks up both names again on every read, which costs more than the stat
 * on a system whose user database is a file.) Where the file system has no {@code unix} view, the
 * POSIX attributes are read as they are. Not thread-safe; meant for one restore.
 */
final class FileOwners {
  private final FileSystemProvider provider;
  private final Map<Integer, String> users = new HashMap<>();
  private final Map<Integer, String> groups = new HashMap<>();
  private boolean unix = true;

  FileOwners(FileSystemProvider provider) {
    this.provider = provider;
  }

  /** What {@link #read} found: permission bits as {@link PosixModes#toBits}, names, and whether it is a link. */
  record Owner(int permissions, String owner, String group, boolean link) {}

  /** The entry at {@code path}, not following a link. */
  Owner read(Path path) throws IOException {
    if (unix) {
      Map<String, Object> a;
      try {
        a = provider.readAttributes(path, "unix:mode,uid,gid,isSymbolicLink", NOFOLLOW_LINKS);
      } catch (UnsupportedOperationException | IllegalArgumentException noUnixView) {
        unix = false;
        return read(path);
      }
      int uid = (Integer) a.get("uid");
      int gid = (Integer) a.get("gid");
      String owner = users.get(uid);
      String group = groups.get(gid);
      if (owner == null || group == null) {
        PosixFileAttributes p = provider.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
        Map<String, Object> again = provider.readAttributes(path, "unix:uid,gid", NOFOLLOW_LINKS);
        if (!again.get("uid").equals(uid) || !again.get("gid").equals(gid)) {
          return read(path); // changed hands in between: the names may be of other ids
        }
        owner = p.owner().getName();
        group = p.group().getName();
        users.put(uid, owner);
        groups.put(gid, group);
      }
      return new Owner((Integer) a.get("mode") & 0777, owner, group, (Boolean) a.get("isSymbolicLink"));
    }
    PosixFileAttributes p = provider.readAttributes(path, PosixFileAttributes.class, NOFOLLOW_LINKS);
    return new Owner(PosixModes.toBits(p.permissions()), p.owner().getName(), p.group().getName(), p.isSymbolicLink());
  }
}
