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
final class MetamoriPosixFileAttributeView implements PosixFileAttributeView {
  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final PosixFileAttributeView view;

  MetamoriPosixFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, PosixFileAttributeView view) {
    this.ops = ops;
    this.path = path;
    this.follow = follow;
    this.view = view;
  }

  @Override
  public String name() {
    return view.name();
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
    ops.change(path, follow, () -> view.setTimes(lastModifiedTime, lastAccessTime, createTime));
  }

  @Override
  public void setPermissions(Set<PosixFilePermission> perms) throws IOException {
    ops.change(path, follow, () -> view.setPermissions(perms));
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    ops.change(path, follow, () -> view.setOwner(owner));
  }

  @Override
  public void setGroup(GroupPrincipal group) throws IOException {
    ops.change(path, follow, () -> view.setGroup(group));
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
