package dev.metamori;

import dev.metamori.EpochTreeModel.FileOp;
import dev.metamori.EpochTreeModel.Node;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The changes of {@link EpochTreeModel} made through a {@link SecureDirectoryStream} opened on
 * the file's directory, with names relative to it: writes, deletes, renames (as renameat(2)),
 * and permissions and times set through the stream's attribute views. The model changes as
 * for the same change made through {@code Files}, and every restore must bring the tree back
 * exactly.
 */
final class EpochTreeStreamOps {
  private EpochTreeStreamOps() {}

  static SecureDirectoryStream<Path> open(EpochTreeRunner r, String dir) throws IOException {
    return StreamAndViewOps.secure(r.path(dir));
  }

  static Path child(EpochTreeRunner r, String name) {
    int slash = name.lastIndexOf('/');
    return r.cp.fileSystem().getPath(slash < 0 ? name : name.substring(slash + 1));
  }

  /** Writes at an offset through the stream's {@code newByteChannel}, creating a missing file. */
  record StreamWrite(String name, int offset, int length, long data) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.canHoldFile(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      byte[] b = EpochTreeModel.bytes(length, data);
      try (SecureDirectoryStream<Path> s = open(r, EpochTreeModel.parent(name));
          SeekableByteChannel c =
              s.newByteChannel(child(r, name), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE))) {
        c.position(offset);
        ByteBuffer buf = ByteBuffer.wrap(b);
        while (buf.hasRemaining()) {
          c.write(buf);
        }
      }
      byte[] old = r.fileBytes(name);
      byte[] now = Arrays.copyOf(old, Math.max(old.length, offset + length));
      System.arraycopy(b, 0, now, offset, length);
      r.putFile(name, now);
    }
  }

  /** {@code deleteFile} or {@code deleteDirectory}, as the name is a file or an empty directory. */
  record StreamDelete(String name) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(name) && r.children(name).isEmpty();
    }

    public void perform(EpochTreeRunner r) throws IOException {
      try (SecureDirectoryStream<Path> s = open(r, EpochTreeModel.parent(name))) {
        if (r.isDir(name)) {
          s.deleteDirectory(child(r, name));
        } else {
          s.deleteFile(child(r, name));
        }
      }
      r.files.remove(name);
    }
  }

  /** A rename between the streams of two directories, to a destination {@code Rename} allows. */
  record StreamRename(String from, int pick) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return new EpochTreeModel.Rename(from, pick, true).applicable(r);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      List<String> destinations = new EpochTreeModel.Rename(from, pick, true).destinations(r);
      String to = destinations.get(pick % destinations.size());
      r.note(" -> " + to);
      try (SecureDirectoryStream<Path> s = open(r, EpochTreeModel.parent(from));
          SecureDirectoryStream<Path> t = open(r, EpochTreeModel.parent(to))) {
        s.move(child(r, from), t, child(r, to));
      }
      EpochTreeModel.Rename.moved(r, from, to);
    }
  }

  /** Sets permissions through the stream's POSIX view of the file, as {@code Chmod} does. */
  record StreamChmod(String name, int pick) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.files.containsKey(name);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      String perms = new EpochTreeModel.Chmod(name, pick).perms(r);
      try (SecureDirectoryStream<Path> s = open(r, EpochTreeModel.parent(name))) {
        s.getFileAttributeView(child(r, name), PosixFileAttributeView.class)
            .setPermissions(PosixFilePermissions.fromString(perms));
      }
      r.files.put(name, new Node(r.files.get(name).bytes(), perms));
    }
  }

  /** Sets the last-modified time through the stream's basic view of its own directory. */
  record StreamSetDirectoryTime(String dir, long seconds) implements FileOp {
    public boolean applicable(EpochTreeRunner r) {
      return r.isDir(dir);
    }

    public void perform(EpochTreeRunner r) throws IOException {
      try (SecureDirectoryStream<Path> s = open(r, dir)) {
        s.getFileAttributeView(BasicFileAttributeView.class)
            .setTimes(FileTime.from(Instant.ofEpochSecond(seconds, seconds % 1000)), null, null);
      }
    }
  }
}
