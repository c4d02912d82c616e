package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/** The basic view of a path: {@link #setTimes} is journaled under a tracked root. */
final class MetamoriBasicFileAttributeView implements BasicFileAttributeView {
  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final BasicFileAttributeView view;

  MetamoriBasicFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, BasicFileAttributeView view) {
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
  public BasicFileAttributes readAttributes() throws IOException {
    return view.readAttributes();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    ops.change(path, follow, () -> view.setTimes(lastModifiedTime, lastAccessTime, createTime));
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
