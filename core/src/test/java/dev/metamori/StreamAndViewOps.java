package dev.metamori;

import static org.quicktheories.generators.SourceDSL.integers;

import com.google.common.io.MoreFiles;
import dev.metamori.FileSystemProperties.FileOp;
import dev.metamori.FileSystemProperties.World;
import dev.metamori.testing.TreeSnapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Operations of {@link FileSystemProperties} made through a {@link SecureDirectoryStream}
 * (relative deletes, renames, writes and attribute changes, as libraries such as Guava's
 * {@code MoreFiles} make them), through the {@code unix} attribute view, and through Guava's
 * recursive delete. Each is run on both sides like every other operation, so each must fail or
 * succeed as on the default file system and be undone exactly by a rollback or reopening.
 */
final class StreamAndViewOps {
  private StreamAndViewOps() {}

  /** Directories a stream is opened on ("" is the first root, "root2:" the second). */
  static final List<String> DIRS = List.of("", "d", "e", FileSystemProperties.SECOND_ROOT, "root2:d");

  /** The generators of these operations, with their weights. */
  static List<Pair<Integer, Gen<FileSystemProperties.Op>>> ops() {
    Gen<String> name = Generate.pick(FileSystemProperties.NAMES);
    Gen<Boolean> bool = Generate.booleans();
    return List.of(
        Pair.of(3, name.zip(bool, StreamDelete::new)),
        Pair.of(3, name.zip(name, StreamMove::new)),
        Pair.of(3, name.zip(integers().between(0, 3000), integers().between(1, 1500), StreamWrite::new)),
        Pair.of(2, name.zip(integers().between(0, 1_000_000), bool, StreamSetTimes::new)),
        Pair.of(2, name.zip(integers().between(0, 0777), StreamSetPermissions::new)),
        Pair.of(1, Generate.pick(DIRS).zip(integers().between(0, 0777), StreamSetOwnPermissions::new)),
        Pair.of(2, name.zip(integers().between(0, 0777), SetUnixMode::new)),
        Pair.of(1, name.map(DeleteRecursively::new)));
  }

  /** The directory of a name of {@link FileSystemProperties#NAMES}, as {@link #DIRS} names it. */
  static String dirOf(String name) {
    int slash = name.lastIndexOf('/');
    if (slash >= 0) {
      return name.substring(0, slash);
    }
    return name.startsWith(FileSystemProperties.SECOND_ROOT) ? FileSystemProperties.SECOND_ROOT : "";
  }

  /** The last element of a name, relative to {@link #dirOf}. */
  static String childOf(String name) {
    int slash = name.lastIndexOf('/');
    if (slash >= 0) {
      return name.substring(slash + 1);
    }
    return name.startsWith(FileSystemProperties.SECOND_ROOT)
        ? name.substring(FileSystemProperties.SECOND_ROOT.length())
        : name;
  }

  /** How an operation on {@code name} through a stream prints. */
  static String stream(String name) {
    return "stream(" + (dirOf(name).isEmpty() ? "root" : dirOf(name)) + ")";
  }

  /** Opens the stream on {@code dir}; both file systems must give a secure one here. */
  static SecureDirectoryStream<Path> open(World w, String dir) throws IOException {
    return secure(w.path(dir));
  }

  /** A {@link SecureDirectoryStream} on {@code dir}; fails where the stream is not one. */
  static SecureDirectoryStream<Path> secure(Path dir) throws IOException {
    DirectoryStream<Path> s = Files.newDirectoryStream(dir);
    if (!(s instanceof SecureDirectoryStream)) {
      s.close();
      throw new IllegalStateException("not a SecureDirectoryStream: " + s.getClass().getName());
    }
    return (SecureDirectoryStream<Path>) s;
  }

  private static FileTime time(int value) {
    return FileTime.from(Instant.ofEpochSecond(1_100_000_000L + value * 1000L, value * 977L % 1_000_000_000L));
  }

  static final class StreamDelete extends FileOp {
    final String name;
    final boolean directory;

    StreamDelete(String name, boolean directory) {
      this.name = name;
      this.directory = directory;
    }

    @Override
    void apply(World w) throws IOException {
      try (SecureDirectoryStream<Path> s = open(w, dirOf(name))) {
        if (directory) {
          s.deleteDirectory(w.fs.getPath(childOf(name)));
        } else {
          s.deleteFile(w.fs.getPath(childOf(name)));
        }
      }
    }

    @Override
    public String toString() {
      return stream(name) + (directory ? ".deleteDirectory(" : ".deleteFile(") + childOf(name) + ")";
    }
  }

  /** A rename from one stream's directory to another's (as renameat(2)). */
  static final class StreamMove extends FileOp {
    final String from;
    final String to;

    StreamMove(String from, String to) {
      this.from = from;
      this.to = to;
    }

    @Override
    void apply(World w) throws IOException {
      try (SecureDirectoryStream<Path> s = open(w, dirOf(from));
          SecureDirectoryStream<Path> t = open(w, dirOf(to))) {
        s.move(w.fs.getPath(childOf(from)), t, w.fs.getPath(childOf(to)));
      }
    }

    @Override
    public String toString() {
      return stream(from) + ".move(" + childOf(from) + " -> " + stream(to) + ", " + childOf(to) + ")";
    }
  }

  static final class StreamWrite extends FileOp {
    final String name;
    final int offset;
    final int length;

    StreamWrite(String name, int offset, int length) {
      this.name = name;
      this.offset = offset;
      this.length = length;
    }

    @Override
    void apply(World w) throws IOException {
      Set<OpenOption> options =
          length % 2 == 0
              ? Set.of(StandardOpenOption.WRITE, StandardOpenOption.CREATE)
              : Set.of(StandardOpenOption.WRITE);
      try (SecureDirectoryStream<Path> s = open(w, dirOf(name));
          SeekableByteChannel c = s.newByteChannel(w.fs.getPath(childOf(name)), options)) {
        c.position(offset);
        FileSystemProperties.writeFully(c, ByteBuffer.wrap(bytes(length)));
      }
    }

    @Override
    public String toString() {
      return stream(name) + ".write(" + childOf(name) + ", off=" + offset + ", len=" + length
          + (length % 2 == 0 ? ", CREATE" : "") + ")";
    }
  }

  static final class StreamSetTimes extends FileOp {
    final String name;
    final int value;
    final boolean noFollow;

    StreamSetTimes(String name, int value, boolean noFollow) {
      this.name = name;
      this.value = value;
      this.noFollow = noFollow;
    }

    @Override
    void apply(World w) throws IOException {
      LinkOption[] options = noFollow ? new LinkOption[] {LinkOption.NOFOLLOW_LINKS} : new LinkOption[0];
      try (SecureDirectoryStream<Path> s = open(w, dirOf(name))) {
        s.getFileAttributeView(w.fs.getPath(childOf(name)), BasicFileAttributeView.class, options)
            .setTimes(time(value), null, null);
      }
    }

    @Override
    public String toString() {
      return stream(name) + ".basicView(" + childOf(name) + (noFollow ? ", NOFOLLOW_LINKS" : "") + ").setTimes("
          + time(value) + ")";
    }
  }

  static final class StreamSetPermissions extends FileOp {
    final String name;
    final int mode;

    StreamSetPermissions(String name, int mode) {
      this.name = name;
      this.mode = mode;
    }

    @Override
    void apply(World w) throws IOException {
      try (SecureDirectoryStream<Path> s = open(w, dirOf(name))) {
        s.getFileAttributeView(w.fs.getPath(childOf(name)), PosixFileAttributeView.class)
            .setPermissions(TreeSnapshot.fromBits(mode));
      }
    }

    @Override
    public String toString() {
      return stream(name) + ".posixView(" + childOf(name) + ").setPermissions(" + String.format("%03o", mode) + ")";
    }
  }

  /** Changes the permissions of the stream's own directory, through the stream's view. */
  static final class StreamSetOwnPermissions extends FileOp {
    final String dir;
    final int mode;

    StreamSetOwnPermissions(String dir, int mode) {
      this.dir = dir;
      this.mode = mode;
    }

    @Override
    void apply(World w) throws IOException {
      try (SecureDirectoryStream<Path> s = open(w, dir)) {
        s.getFileAttributeView(PosixFileAttributeView.class).setPermissions(TreeSnapshot.fromBits(mode));
      }
    }

    @Override
    public String toString() {
      return "stream(" + (dir.isEmpty() ? "root" : dir) + ").posixView().setPermissions(" + String.format("%03o", mode) + ")";
    }
  }

  /** Permissions through {@code unix:mode}. */
  static final class SetUnixMode extends FileOp {
    final String path;
    final int mode;

    SetUnixMode(String path, int mode) {
      this.path = path;
      this.mode = mode;
    }

    @Override
    void apply(World w) throws IOException {
      Files.setAttribute(w.path(path), "unix:mode", mode);
    }

    @Override
    public String toString() {
      return "setAttribute(" + path + ", unix:mode, " + String.format("%03o", mode) + ")";
    }
  }

  /** Guava's recursive delete, which uses a SecureDirectoryStream (and refuses without one). */
  static final class DeleteRecursively extends FileOp {
    final String path;

    DeleteRecursively(String path) {
      this.path = path;
    }

    @Override
    void apply(World w) throws IOException {
      MoreFiles.deleteRecursively(w.path(path));
    }

    @Override
    public String toString() {
      return "MoreFiles.deleteRecursively(" + path + ")";
    }
  }
}
