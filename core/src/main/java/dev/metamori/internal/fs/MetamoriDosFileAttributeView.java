package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.DosFileAttributeView;
import java.nio.file.attribute.DosFileAttributes;
import java.nio.file.attribute.FileTime;

/** The DOS view of a path: its changes cannot be journaled, so are refused under a tracked root. */
final class MetamoriDosFileAttributeView extends ForwardingAttributeView<DosFileAttributeView>
    implements DosFileAttributeView {
  MetamoriDosFileAttributeView(AttributeOps ops, MetamoriPath path, boolean follow, DosFileAttributeView view) {
    super(ops, path, follow, view);
  }

  @Override
  public DosFileAttributes readAttributes() throws IOException {
    return view.readAttributes();
  }

  @Override
  public void setTimes(FileTime lastModifiedTime, FileTime lastAccessTime, FileTime createTime)
      throws IOException {
    unjournaled("setTimes");
    view.setTimes(lastModifiedTime, lastAccessTime, createTime);
  }

  @Override
  public void setReadOnly(boolean value) throws IOException {
    unjournaled("setReadOnly");
    view.setReadOnly(value);
  }

  @Override
  public void setHidden(boolean value) throws IOException {
    unjournaled("setHidden");
    view.setHidden(value);
  }

  @Override
  public void setSystem(boolean value) throws IOException {
    unjournaled("setSystem");
    view.setSystem(value);
  }

  @Override
  public void setArchive(boolean value) throws IOException {
    unjournaled("setArchive");
    view.setArchive(value);
  }
}
