package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.DosFileAttributes;
import java.nio.file.attribute.FileTime;

/** The DOS view of a path: its changes cannot be journaled, so are refused under a tracked root. */
final class MetamoriDosFileAttributeView implements DosFileAttributeView {
  private static final String VIEW = "DosFileAttributeView";

  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final DosFileAttributeView view;

  MetamoriDosFileAttributeView(AttributeOps ops, MetamoriPath path, boolean follow, DosFileAttributeView view) {
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
  public DosFileAttributes readAttributes() throws IOException {
    return view.readAttributes();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setTimes");
    view.setTimes(lastModifiedTime, lastAccessTime, createTime);
  }

  @Override
  public void setReadOnly(boolean value) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setReadOnly");
    view.setReadOnly(value);
  }

  @Override
  public void setHidden(boolean value) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setHidden");
    view.setHidden(value);
  }

  @Override
  public void setSystem(boolean value) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setSystem");
    view.setSystem(value);
  }

  @Override
  public void setArchive(boolean value) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setArchive");
    view.setArchive(value);
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
