package dev.metamori.internal.fs;

import com.google.common.collect.Iterators;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.util.Iterator;

/**
 * A directory stream of a Metamori path where the underlying file system gives a plain one:
 * its entries are paths of the Metamori file system. Where the underlying stream is a {@link
 * SecureDirectoryStream}, {@link #open} gives a {@link MetamoriSecureDirectoryStream} instead,
 * so that code probing for one finds what it finds on the default file system.
 */
final class MetamoriDirectoryStream implements DirectoryStream<Path> {
  private final MetamoriFileSystem fs;
  private final DirectoryStream<Path> stream;

  private MetamoriDirectoryStream(MetamoriFileSystem fs, DirectoryStream<Path> stream) {
    this.fs = fs;
    this.stream = stream;
  }

  /** Opens {@code dir} on the underlying file system; the filter sees Metamori paths. */
  static DirectoryStream<Path> open(MetamoriPath dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    MetamoriFileSystem fs = dir.getFileSystem();
    if (filter == null) {
      throw new NullPointerException();
    }
    DirectoryStream<Path> stream =
        fs.delegateProvider().newDirectoryStream(dir.delegate(), p -> filter.accept(fs.wrap(p)));
    if (stream instanceof SecureDirectoryStream) {
      return new MetamoriSecureDirectoryStream(dir, (SecureDirectoryStream<Path>) stream);
    }
    return new MetamoriDirectoryStream(fs, stream);
  }

  @Override
  public Iterator<Path> iterator() {
    return Iterators.transform(stream.iterator(), fs::wrap);
  }

  @Override
  public void close() throws IOException {
    stream.close();
  }
}
