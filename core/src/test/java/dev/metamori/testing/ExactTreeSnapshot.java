package dev.metamori.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What {@link TreeSnapshot#exact(Path)} is now: everything Metamori promises to restore about a
 * tree (types, bytes, sizes, link targets, last-modified times, links' included, POSIX
 * permissions, owner and group).
 *
 * @deprecated a thin adapter kept for the tests not yet moved over; use {@link
 *     TreeSnapshot#exact(Path)} and its {@code assertSameAs}, {@code assertTreeMatches} and
 *     {@code differencesFrom}.
 */
@Deprecated
public final class ExactTreeSnapshot {
  private final TreeSnapshot snapshot;

  private ExactTreeSnapshot(TreeSnapshot snapshot) {
    this.snapshot = snapshot;
  }

  /** Reads the tree under {@code root} (a path of the default file system). */
  public static ExactTreeSnapshot of(Path root) throws IOException {
    return new ExactTreeSnapshot(TreeSnapshot.exact(root));
  }

  /** The snapshot this adapts. */
  public TreeSnapshot snapshot() {
    return snapshot;
  }

  /** The differences between this (expected) and {@code actual}, one line each; empty if equal. */
  public List<String> differencesFrom(ExactTreeSnapshot actual) {
    return snapshot.differencesFrom(actual.snapshot);
  }

  /** Fails, listing every difference, unless {@code actual} equals this snapshot. */
  public void assertSameAs(ExactTreeSnapshot actual, String context) {
    snapshot.assertSameAs(actual.snapshot, context);
  }

  /** Fails, listing every difference, unless the tree under the root now equals this snapshot. */
  public void assertTreeMatches(String context) throws IOException {
    snapshot.assertTreeMatches(context);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ExactTreeSnapshot && ((ExactTreeSnapshot) o).snapshot.equals(snapshot);
  }

  @Override
  public int hashCode() {
    return snapshot.hashCode();
  }

  @Override
  public String toString() {
    return snapshot.toString();
  }
}
