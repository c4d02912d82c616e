package dev.metamori.cli;

import dev.metamori.Checkpointer;
import dev.metamori.Epoch;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/**
 * {@code metamori receive FILE|-}: applies a stream written by {@code metamori export} to the
 * store's tracked trees, regions and objects and commits it as a new epoch.
 */
@Command(
    name = "receive",
    description =
        "Applies a stream written by export (from FILE, or standard input with -) to the store's"
            + " tracked trees, regions and objects, root by root, and commits it as a new epoch with the"
            + " exported epoch's label. The whole stream is read and checked before anything changes:"
            + " a damaged stream, or one that does not fit the store, is refused (exit code 6). With"
            + " --track, a directory that holds no store yet becomes one, tracking those roots.")
final class ReceiveCommand extends StoreCommand {
  @Parameters(index = "0", paramLabel = "FILE|-", description = "The stream to apply, or - for standard input.")
  String file;

  @Option(
      names = "--track",
      paramLabel = "ROOT",
      description =
          "Create the store if the directory holds none, tracking ROOT (an existing, empty directory);"
              + " repeatable, in the exporting store's order of roots.")
  List<Path> roots = new ArrayList<>();

  private boolean fromStdin() {
    return file.equals("-");
  }

  @Override
  boolean createsStore() {
    return !roots.isEmpty();
  }

  @Override
  Checkpointer open(Path store) throws IOException {
    Checkpointer.Builder builder = Checkpointer.builder(store);
    roots.forEach(builder::track);
    return builder.open();
  }

  @Override
  void checkOptions() {
    if (!roots.isEmpty() && isStore(store())) {
      throw new ParameterException(
          spec.commandLine(), store() + " is already a store, which tracks the roots it records: drop --track");
    }
    if (!fromStdin() && !Files.isRegularFile(Path.of(file))) {
      throw new ParameterException(
          spec.commandLine(), file + " is not a file: name a stream written by metamori export, or - for standard input");
    }
  }

  @Override
  int run(Checkpointer cp) throws IOException {
    long from = cp.currentEpoch();
    long id;
    Counted in;
    ProgressLine line = progress(cp, "receive");
    try {
      if (fromStdin()) {
        // standard input stays open: it is not ours to close
        in = new Counted(new BufferedInputStream(main.stdin, 1 << 16));
        id = cp.receive(in);
      } else {
        try (InputStream stream = Files.newInputStream(Path.of(file))) {
          in = new Counted(new BufferedInputStream(stream, 1 << 16));
          id = cp.receive(in);
        }
      }
    } finally {
      finish(line);
    }
    String label = null;
    for (Epoch e : cp.epochs()) {
      if (e.id() == id) {
        label = e.label();
      }
    }
    if (json()) {
      new JsonWriter(out()).beginObject()
          .name("store").value(store().toString())
          .name("created").value(createsStore())
          .name("epoch").value(id)
          .name("label").value(label)
          .name("parent").value(from)
          .name("file").value(file)
          .name("bytes").value(in.count)
          .endObject().end();
    } else {
      if (createsStore()) {
        out().println(
            "created the store " + store() + ", tracking "
                + roots.stream().map(Path::toString).collect(java.util.stream.Collectors.joining(", ")));
      }
      out().println(
          "received epoch " + id + ExportCommand.quoted(label) + " (on epoch " + from + ") from "
              + (fromStdin() ? "standard input" : file) + ": " + ByteSize.of(in.count));
      out().flush();
    }
    return Main.OK;
  }

  /** An input stream that counts the bytes read through it. */
  private static final class Counted extends FilterInputStream {
    long count;

    Counted(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long skipped = in.skip(n);
      count += skipped;
      return skipped;
    }
  }
}
