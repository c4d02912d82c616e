package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;

/**
 * The user-defined attributes of a path: their changes cannot be journaled, so are refused
 * under a tracked root.
 */
final class MetamoriUserDefinedFileAttributeView implements UserDefinedFileAttributeView {
  private static final String VIEW = "UserDefinedFileAttributeView";

  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final UserDefinedFileAttributeView view;

  MetamoriUserDefinedFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, UserDefinedFileAttributeView view) {
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
  public List<String> list() throws IOException {
    return view.list();
  }

  @Override
  public int size(String name) throws IOException {
    return view.size(name);
  }

  @Override
  public int read(String name, ByteBuffer dst) throws IOException {
    return view.read(name, dst);
  }

  @Override
  public int write(String name, ByteBuffer src) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "write");
    return view.write(name, src);
  }

  @Override
  public void delete(String name) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "delete");
    view.delete(name);
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
