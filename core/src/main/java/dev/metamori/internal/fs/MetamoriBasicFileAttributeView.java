package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/** The basic view of a path: {@link #setTimes} is journaled under a tracked root. */
final class MetamoriBasicFileAttributeView extends ForwardingAttributeView<BasicFileAttributeView>
    implements BasicFileAttributeView {
  MetamoriBasicFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, BasicFileAttributeView view) {
    super(ops, path, follow, view);
  }

  @Override
  public BasicFileAttributes readAttributes() throws IOException {
    return view.readAttributes();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    journaled(() -> view.setTimes(lastModifiedTime, lastAccessTime, createTime));
  }
}
