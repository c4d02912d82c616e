package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;

/**
 * The user-defined attributes of a path: their changes cannot be journaled, so are refused
 * under a tracked root.
 */
final class MetamoriUserDefinedFileAttributeView extends ForwardingAttributeView<UserDefinedFileAttributeView>
    implements UserDefinedFileAttributeView {
  MetamoriUserDefinedFileAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, UserDefinedFileAttributeView view) {
    super(ops, path, follow, view);
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
    unjournaled("write");
    return view.write(name, src);
  }

  @Override
  public void delete(String name) throws IOException {
    unjournaled("delete");
    view.delete(name);
  }
}
