package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.UserPrincipal;

/** The owner view of a path: {@link #setOwner} is journaled under a tracked root. */
final class MetamoriFileOwnerAttributeView implements FileOwnerAttributeView {
  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final FileOwnerAttributeView view;

  MetamoriFileOwnerAttributeView(
      AttributeOps ops, MetamoriPath path, boolean follow, FileOwnerAttributeView view) {
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
  public UserPrincipal getOwner() throws IOException {
    return view.getOwner();
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    ops.change(path, follow, () -> view.setOwner(owner));
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
