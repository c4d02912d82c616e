package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.AclEntry;
import java.nio.file.attribute.AclFileAttributeView;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;

/** The ACL view of a path: its changes cannot be journaled, so are refused under a tracked root. */
final class MetamoriAclFileAttributeView extends ForwardingAttributeView<AclFileAttributeView>
    implements AclFileAttributeView {
  MetamoriAclFileAttributeView(AttributeOps ops, MetamoriPath path, boolean follow, AclFileAttributeView view) {
    super(ops, path, follow, view);
  }

  @Override
  public UserPrincipal getOwner() throws IOException {
    return view.getOwner();
  }

  @Override
  public void setOwner(UserPrincipal owner) throws IOException {
    unjournaled("setOwner");
    view.setOwner(owner);
  }

  @Override
  public List<AclEntry> getAcl() throws IOException {
    return view.getAcl();
  }

  @Override
  public void setAcl(List<AclEntry> acl) throws IOException {
    unjournaled("setAcl");
    view.setAcl(acl);
  }
}
