package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.attribute.FileAttributeView;

/**
 * What every attribute view of a Metamori path shares: it reads through the default provider's
 * view of the same file, and each change is either journaled first ({@link #journaled}) or, for
 * attributes a restore cannot bring back, refused under a tracked root ({@link #unjournaled}).
 */
abstract class ForwardingAttributeView<V extends FileAttributeView> implements FileAttributeView {
  final V view;
  private final AttributeOps ops;
  private final MetamoriPath path;
  private final boolean follow;

  ForwardingAttributeView(AttributeOps ops, MetamoriPath path, boolean follow, V view) {
    this.ops = ops;
    this.path = path;
    this.follow = follow;
    this.view = view;
  }

  /** Journals the path's attributes, then makes the change. */
  final void journaled(AttributeOps.Change change) throws IOException {
    ops.change(path, follow, change);
  }

  /** Refuses {@code method} under a tracked root; elsewhere the caller goes on. */
  final void unjournaled(String method) throws IOException {
    ops.checkUnjournaled(path, follow, getClass().getSimpleName().replace("Metamori", ""), method);
  }

  @Override
  public final String name() {
    return view.name();
  }

  @Override
  public final String toString() {
    return view.toString();
  }
}
