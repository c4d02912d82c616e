package dev.metamori.internal.fs;

import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** POSIX permissions as the usual mode bits (0644 ...), the form the journal stores. */
public final class PosixModes {
  private static final PosixFilePermission[] ORDER = {
    PosixFilePermission.OTHERS_EXECUTE,
    PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_READ,
    PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.GROUP_WRITE,
    PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE,
    PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_READ,
  };

  private PosixModes() {}

  public static int toBits(Set<PosixFilePermission> permissions) {
    int bits = 0;
    for (int i = 0; i < ORDER.length; i++) {
      if (permissions.contains(ORDER[i])) {
        bits |= 1 << i;
      }
    }
    return bits;
  }

  public static Set<PosixFilePermission> fromBits(int bits) {
    Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < ORDER.length; i++) {
      if ((bits & (1 << i)) != 0) {
        permissions.add(ORDER[i]);
      }
    }
    return permissions;
  }
}
