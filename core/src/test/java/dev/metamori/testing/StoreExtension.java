package dev.metamori.testing;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import com.google.common.io.MoreFiles;
import com.google.common.io.RecursiveDeleteOption;
import dev.metamori.Checkpointer;
import dev.metamori.CorruptStoreException;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A store for one test, and its check afterwards. Before each test: a fresh temporary directory
 * with a tracked root {@code data/} (filled by {@link #withTree}, empty otherwise) and a store
 * {@code store/} beside it, and (unless {@link #unopened()}) a {@link Checkpointer} open on them.
 * After each test: every checkpointer opened through the extension is closed, the store is
 * opened once more and {@link Checkpointer#verify()} must find nothing damaged; then the
 * directory is deleted.
 *
 * <pre>{@code
 * @RegisterExtension final StoreExtension store = StoreExtension.create();
 *
 * @Test void commitsOne(Checkpointer cp) throws IOException {   // or store.cp()
 *   Files.writeString(store.path("f"), "x");
 *   assertEquals(1, cp.commit());
 * }
 * }</pre>
 *
 * <p>A test that damages its store on purpose says so, and why, with {@link
 * #skipVerifyAfter(String)}. A test that opens a checkpointer by hand closes it itself (the
 * check afterwards cannot open a locked store). Parameters of type {@link Checkpointer} and
 * {@link StoreExtension} are resolved to {@link #cp()} and the extension.
 */
public final class StoreExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
  /** Fills the tracked root before the store is created. */
  public interface Tree {
    void fill(Path root) throws IOException;
  }

  /** Adds to the builder of every checkpointer the extension opens. */
  public interface Options {
    void apply(Checkpointer.Builder builder) throws IOException;
  }

  private Tree tree = root -> {};
  private Options options = b -> {};
  private boolean openBeforeEach = true;

  private Path dir;
  private Path root;
  private Path store;
  private Checkpointer cp;
  private final List<Checkpointer> opened = new ArrayList<>();
  private String noVerifyBecause;

  private StoreExtension() {}

  /** An extension with an empty tracked root and a checkpointer opened before each test. */
  public static StoreExtension create() {
    return new StoreExtension();
  }

  /** Fills the tracked root with {@code tree} before the store is opened. */
  public StoreExtension withTree(Tree tree) {
    this.tree = tree;
    return this;
  }

  /** Configures every checkpointer the extension opens (block size, durability, clock...). */
  public StoreExtension withOptions(Options options) {
    this.options = options;
    return this;
  }

  /** Opens nothing before the test: the test calls {@link #open()} (or opens by hand). */
  public StoreExtension unopened() {
    this.openBeforeEach = false;
    return this;
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    dir = Files.createTempDirectory("metamori-test");
    root = Files.createDirectory(dir.resolve("data"));
    store = dir.resolve("store");
    cp = null;
    opened.clear();
    noVerifyBecause = null;
    tree.fill(root);
    if (openBeforeEach) {
      open();
    }
  }

  /** The temporary directory of this test: the root and the store are in it. */
  public Path dir() {
    return dir;
  }

  /** The tracked root, on the default file system. */
  public Path root() {
    return root;
  }

  /** The store's directory. */
  public Path store() {
    return store;
  }

  /** The checkpointer last opened through the extension. */
  public Checkpointer cp() {
    if (cp == null) {
      throw new IllegalStateException("no checkpointer is open: call open()");
    }
    return cp;
  }

  /** The journaling file system of {@link #cp()}. */
  public FileSystem fs() {
    return cp().fileSystem();
  }

  /** The journaling path of {@code relative} under the tracked root. */
  public Path path(String relative) {
    return fs().getPath(root.resolve(relative).toString());
  }

  /** A builder for the store with the root tracked and the extension's options applied. */
  public Checkpointer.Builder builder() throws IOException {
    Checkpointer.Builder b = Checkpointer.builder(store).track(root);
    options.apply(b);
    return b;
  }

  /** Opens a checkpointer (closed after the test if the test does not close it) and returns it. */
  public Checkpointer open() throws IOException {
    cp = builder().open();
    opened.add(cp);
    return cp;
  }

  /** Closes the current checkpointer and opens another one on the same store. */
  public Checkpointer reopen() throws IOException {
    if (cp != null) {
      cp.close();
    }
    return open();
  }

  /**
   * Leaves out the check afterwards for this test, which damages (or takes away) its store on
   * purpose: {@code why} says how, and is required.
   */
  public void skipVerifyAfter(String why) {
    if (why == null || why.isBlank()) {
      throw new IllegalArgumentException("say why the store is not verified after the test");
    }
    noVerifyBecause = why;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    try {
      IOException closing = null;
      for (int i = opened.size() - 1; i >= 0; i--) {
        try {
          opened.get(i).close();
        } catch (IOException e) {
          closing = closing == null ? e : closing;
        }
      }
      opened.clear();
      cp = null;
      if (closing != null) {
        throw closing;
      }
      if (noVerifyBecause == null && Files.isDirectory(store)) {
        verifyStore();
      }
    } finally {
      deleteDirectory(dir);
    }
  }

  /** Opens the store (its roots as it records them) and fails if verify() finds any damage. */
  private void verifyStore() throws IOException {
    List<CorruptStoreException> damage;
    try (Checkpointer c = Checkpointer.builder(store).open()) {
      damage = c.verify();
    } catch (IOException | RuntimeException e) {
      throw new AssertionError(
          "after the test, the store " + store + " does not reopen for verify(): " + e
              + "\n(a test that damages its store on purpose calls skipVerifyAfter(why); one that opens"
              + " a checkpointer by hand closes it)",
          e);
    }
    if (!damage.isEmpty()) {
      throw new AssertionError(
          "after the test, verify() finds the store " + store + " damaged:\n  "
              + damage.stream().map(Throwable::getMessage).collect(Collectors.joining("\n  ")));
    }
  }

  private static void deleteDirectory(Path dir) throws IOException {
    if (dir == null || !Files.exists(dir, NOFOLLOW_LINKS)) {
      return;
    }
    Set<PosixFilePermission> all = EnumSet.of(
        PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_EXECUTE);
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
            PosixFileAttributeView view = Files.getFileAttributeView(d, PosixFileAttributeView.class, NOFOLLOW_LINKS);
            if (view != null) {
              Set<PosixFilePermission> p = EnumSet.copyOf(view.readAttributes().permissions());
              if (p.addAll(all)) {
                view.setPermissions(p);
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
    MoreFiles.deleteRecursively(dir, RecursiveDeleteOption.ALLOW_INSECURE);
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == Checkpointer.class || type == StoreExtension.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == Checkpointer.class ? cp() : this;
  }
}
