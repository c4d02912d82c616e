package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori export [--base A] EPOCH FILE|-}: writes the stream of an epoch (the tracked
 * trees, regions and objects; from epoch {@code A} if given) to a file, or to standard output
 * for a pipe, for {@code metamori receive} to apply to another store.
 */
@Command(
    name = "export",
    description =
        "Writes a stream of the tracked trees, regions and objects at EPOCH (an id or a label) to FILE,"
            + " or to standard output with -, for receive to apply to another store; with --base, only"
            + " what changed from epoch A. FILE is written under a temporary name and renamed when"
            + " complete, so a failed export leaves no partial FILE.")
final class ExportCommand extends StoreCommand {
  @Option(
      names = "--base",
      paramLabel = "A",
      description = "Write only what changed from epoch A (an id or a label), which the receiving store is at.")
  String base;

  @Parameters(index = "0", paramLabel = "EPOCH", description = "The epoch to export: an id, or a label.")
  String target;

  @Parameters(index = "1", paramLabel = "FILE|-", description = "The file to write, or - for standard output.")
  String file;

  /** What writes the stream to an output. */
  @FunctionalInterface
  interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  private boolean toStdout() {
    return file.equals("-");
  }

  @Override
  void checkOptions() {
    if (toStdout()) {
      return;
    }
    Path f = Path.of(file).toAbsolutePath();
    if (Files.isDirectory(f)) {
      throw new ParameterException(spec.commandLine(), file + " is a directory: name the file to write the stream to");
    }
    if (!Files.isDirectory(f.getParent())) {
      throw new ParameterException(
          spec.commandLine(), "cannot write " + file + ": the directory " + f.getParent() + " does not exist");
    }
  }

  @Override
  int run(Checkpointer cp) throws IOException {
    Epoch epoch = resolve(cp, target);
    Epoch from = base == null ? null : resolve(cp, base);
    Body body = out -> {
      if (from == null) {
        cp.export(epoch.id(), out);
      } else {
        cp.export(from.id(), epoch.id(), out);
      }
    };
    long bytes;
    ProgressLine line = progress(cp, "export");
    try {
      if (toStdout()) {
        // standard output stays open: it is not ours to close
        Counted out = new Counted(new BufferedOutputStream(main.stdout, 1 << 16));
        body.writeTo(out);
        out.flush();
        bytes = out.count;
      } else {
        bytes = writeAtomically(Path.of(file), body);
      }
    } finally {
      finish(line);
    }
    // with -, standard output carries the stream alone
    PrintWriter report = toStdout() ? spec.commandLine().getErr() : out();
    if (json()) {
      JsonWriter w = new JsonWriter(report).beginObject()
          .name("store").value(store().toString())
          .name("epoch").value(epoch.id())
          .name("label").value(epoch.label())
          .name("base");
      if (from == null) {
        w.value((String) null);
      } else {
        w.value(from.id());
      }
      w.name("file").value(file)
          .name("bytes").value(bytes)
          .endObject().end();
    } else {
      report.println(
          "exported epoch " + epoch.id() + quoted(epoch.label())
              + (from == null ? " (full stream)" : " (incremental from epoch " + from.id() + quoted(from.label()) + ")")
              + " to " + (toStdout() ? "standard output" : file) + ": " + ByteSize.of(bytes));
      report.flush();
    }
    return Main.OK;
  }

  /** {@code  "label"}, or nothing if there is no label. */
  static String quoted(String label) {
    return label == null ? "" : " \"" + label + "\"";
  }

  /**
   * Writes {@code file} through {@code body}: into a new owner-only file beside it, forced to
   * storage, then renamed over {@code file}. If {@code body} fails, {@code file} is as it was and
   * the temporary file is removed. Returns the bytes written.
   */
  static long writeAtomically(Path file, Body body) throws IOException {
    Path target = file.toAbsolutePath();
    Path part = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
    try {
      long bytes;
      try (FileChannel channel = FileChannel.open(part, StandardOpenOption.WRITE);
          Counted out = new Counted(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16))) {
        body.writeTo(out);
        out.flush();
        channel.force(true);
        bytes = out.count;
      }
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return bytes;
    } finally {
      Files.deleteIfExists(part);
    }
  }

  /** An output stream that counts the bytes written through it. */
  private static final class Counted extends FilterOutputStream {
    long count;

    Counted(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }
}
