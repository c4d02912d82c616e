package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.UserPrincipal;

/** The owner view of a path: {@link #setOwner} is journaled under a tracked root. */
final class MetamoriFileOwnerAttributeView extends ForwardingAttributeView<FileOwnerAttributeView>
    implements FileOwnerAttributeView {
  MetamoriFileOwnerAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, FileOwnerAttributeView view) {
    super(ops, path, follow, view);
  }

  @Override
  public UserPrincipal getOwner() throws IOException {
    return view.getOwner();
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    journaled(() -> view.setOwner(owner));
  }
}
