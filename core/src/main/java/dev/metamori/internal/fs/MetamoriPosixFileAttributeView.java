package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.Set;

/** The POSIX view of a path: its setters are journaled under a tracked root. */
final class MetamoriPosixFileAttributeView extends ForwardingAttributeView<PosixFileAttributeView>
    implements PosixFileAttributeView {
  MetamoriPosixFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, PosixFileAttributeView view) {
    super(ops, path, follow, view);
  }

  @Override
  public PosixFileAttributes readAttributes() throws IOException {
    return view.readAttributes();
  }

  @Override
  public UserPrincipal getOwner() throws IOException {
    return view.getOwner();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    journaled(() -> view.setTimes(lastModifiedTime, lastAccessTime, createTime));
  }

  @Override
  public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
    journaled(() -> view.setPermissions(perms));
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    journaled(() -> view.setOwner(owner));
  }

  @Override
  public void setGroup(GroupPrincipal group) throws IOException {
    journaled(() -> view.setGroup(group));
  }
}
