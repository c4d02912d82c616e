package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;

/** The ACL view of a path: its changes cannot be journaled, so are refused under a tracked root. */
final class MetamoriAclFileAttributeView implements AclFileAttributeView {
  private static final String VIEW = "AclFileAttributeView";

  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;
  private final AclFileAttributeView view;

  MetamoriAclFileAttributeView(AttributeOps ops, MetamoriPath path, boolean follow, AclFileAttributeView view) {
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
    ops.checkUnjournaled(path, follow, VIEW, "setOwner");
    view.setOwner(owner);
  }

  @Override
  public List<AclEntry> getAcl() throws IOException {
    return view.getAcl();
  }

  @Override
  public void setAcl(List<AclEntry> acl) throws IOException {
    ops.checkUnjournaled(path, follow, VIEW, "setAcl");
    view.setAcl(acl);
  }

  @Override
  public String toString() {
    return view.toString();
  }
}
