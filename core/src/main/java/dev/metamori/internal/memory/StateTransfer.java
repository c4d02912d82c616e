package dev.metamori.internal.memory;

import dev.metamori.Change;
import dev.metamori.Checkpointable;
import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.NameEntry;
import dev.metamori.internal.journal.StateReader;
import dev.metamori.internal.journal.StateVersions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Regions and objects as they were at a committed epoch, read for an export (from the records
 * committed with it: the live regions and objects are not touched), and the received ones handed
 * to the regions and objects of this process.
 */
public final class StateTransfer {
  private StateTransfer() {}

  /** Receives the regions and objects of an epoch, in stream order. */
  public interface Sink {
    void region(String name, long size, boolean whole) throws IOException;

    void page(long page, byte[] bytes) throws IOException;

    void regionEnd() throws IOException;

    void object(String name, byte[] bytes) throws IOException;
  }

  /** Every region (its pages that are not all zeros) and object at {@code epoch}. */
  public static void all(Journal journal, long epoch, Sink sink) throws IOException {
    try (StateReader reader = journal.stateReader()) {
      for (Map.Entry<String, NameEntry> e : journal.names(epoch).entrySet()) {
        NameEntry n = e.getValue();
        if (e.getKey().startsWith("r:")) {
          sink.region(e.getKey().substring(2), n.size(), true);
          StateVersions versions = reader.versionsAt(n.item(), epoch);
          for (int i = 0; i < versions.count(); i++) {
            byte[] page = VolatileState.pageAt(reader, n.item(), versions.x(i), versions, n.size());
            if (!zeros(page)) {
              sink.page(versions.x(i), page);
            }
          }
          sink.regionEnd();
        } else if (e.getKey().startsWith("o:")) {
          byte[] bytes = object(reader, n.item(), epoch);
          if (bytes != null) {
            sink.object(e.getKey().substring(2), bytes);
          }
        }
      }
    }
  }

  /** The regions and objects {@code changes} (of a diff to {@code epoch}) name, as they are at {@code epoch}. */
  public static void changed(Journal journal, long epoch, Iterable<Change> changes, Sink sink) throws IOException {
    Map<String, NameEntry> names = journal.names(epoch);
    try (StateReader reader = journal.stateReader()) {
      for (Change c : changes) {
        if (c.kind() == Change.Kind.REGION_CHANGED) {
          NameEntry n = names.get("r:" + c.path());
          if (n == null) {
            continue;
          }
          StateVersions versions = reader.versionsAt(n.item(), epoch);
          sink.region(c.path(), n.size(), false);
          for (Change.Range r : c.ranges()) {
            for (long page = r.offset() / Region.PAGE_SIZE; page * Region.PAGE_SIZE < r.offset() + r.length(); page++) {
              sink.page(page, VolatileState.pageAt(reader, n.item(), page, versions, n.size()));
            }
          }
          sink.regionEnd();
        } else if (c.kind() == Change.Kind.OBJECT_CHANGED) {
          NameEntry n = names.get("o:" + c.path());
          byte[] bytes = n == null ? null : object(reader, n.item(), epoch);
          if (bytes != null) {
            sink.object(c.path(), bytes);
          }
        }
      }
    }
  }

  private static byte[] object(StateReader reader, long item, long epoch) throws IOException {
    ObjectChunks.Manifest m = ObjectChunks.readManifest(reader, item, epoch);
    if (m == null) {
      return null;
    }
    Held held = new Held(null);
    ObjectChunks.restore(reader, m, held);
    return held.bytes;
  }

  private static boolean zeros(byte[] page) {
    for (byte b : page) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * The saved bytes of an object received for a name no object of this process is registered
   * under: committed as they are, and handed to the object registered under that name later.
   */
  static final class Held implements Checkpointable {
    byte[] bytes;

    Held(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public void save(OutputStream out) throws IOException {
      out.write(bytes);
    }

    @Override
    public void restore(InputStream in) throws IOException {
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      bytes = all.toByteArray();
    }
  }
}
