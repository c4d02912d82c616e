package dev.metamori.internal.stream;

import dev.metamori.internal.memory.StateTransfer;
import dev.metamori.internal.stream.StreamRecord.Entry;
import dev.metamori.internal.stream.StreamRecord.Identity;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes the records of an export stream ({@link StreamRecord}) through its framing ({@link
 * Chunks}); regions and objects come to it as the sink of a {@link StateTransfer}.
 */
public final class StreamWriter implements AutoCloseable, StateTransfer.Sink {
  private final Chunks.Out chunks;
  private final DataOutputStream out;
  private long records;

  public StreamWriter(OutputStream out) throws IOException {
    this.chunks = new Chunks.Out(out);
    this.out = new DataOutputStream(chunks);
  }

  private void type(byte t) throws IOException {
    out.writeByte(t);
    records++;
  }

  private void entry(Entry e) throws IOException {
    out.writeInt(e.root());
    out.writeUTF(e.path());
  }

  private static void identity(DataOutputStream out, Identity id) throws IOException {
    out.writeLong(id.store().getMostSignificantBits());
    out.writeLong(id.store().getLeastSignificantBits());
    out.writeLong(id.epoch());
  }

  public void header(StreamRecord.Header h) throws IOException {
    type(StreamReader.HEADER);
    out.writeBoolean(h.base() != null);
    if (h.base() != null) {
      identity(out, h.base());
    }
    identity(out, h.epoch());
    out.writeBoolean(h.label() != null);
    if (h.label() != null) {
      out.writeUTF(h.label());
    }
    out.writeLong(h.committedAtMillis());
    out.writeInt(h.roots());
  }

  public void directory(Entry at, long modifiedNanos, int permissions) throws IOException {
    type(StreamReader.DIRECTORY);
    entry(at);
    out.writeLong(modifiedNanos);
    out.writeInt(permissions);
  }

  public void link(Entry at, String target, long modifiedNanos) throws IOException {
    type(StreamReader.LINK);
    entry(at);
    out.writeUTF(target);
    out.writeLong(modifiedNanos);
  }

  public void file(Entry at, boolean patch, long size, long modifiedNanos, int permissions) throws IOException {
    type(StreamReader.FILE);
    entry(at);
    out.writeBoolean(patch);
    out.writeLong(size);
    out.writeLong(modifiedNanos);
    out.writeInt(permissions);
  }

  /** Bytes of the current file at {@code offset}: at most {@link StreamReader#MAX_DATA} at a time. */
  public void data(long offset, byte[] bytes, int length) throws IOException {
    type(StreamReader.DATA);
    out.writeLong(offset);
    out.writeInt(length);
    out.write(bytes, 0, length);
  }

  public void fileEnd() throws IOException {
    type(StreamReader.FILE_END);
  }

  public void delete(Entry at) throws IOException {
    type(StreamReader.DELETE);
    entry(at);
  }

  public void stage(int slot, Entry at) throws IOException {
    type(StreamReader.STAGE);
    out.writeInt(slot);
    entry(at);
  }

  public void place(int slot, Entry at) throws IOException {
    type(StreamReader.PLACE);
    out.writeInt(slot);
    entry(at);
  }

  @Override
  public void region(String name, long size, boolean whole) throws IOException {
    type(StreamReader.REGION);
    out.writeUTF(name);
    out.writeLong(size);
    out.writeBoolean(whole);
  }

  @Override
  public void page(long page, byte[] bytes) throws IOException {
    type(StreamReader.PAGE_RECORD);
    out.writeLong(page);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  @Override
  public void regionEnd() throws IOException {
    type(StreamReader.REGION_END);
  }

  @Override
  public void object(String name, byte[] bytes) throws IOException {
    type(StreamReader.OBJECT);
    out.writeUTF(name);
    out.writeInt(bytes.length);
    out.write(bytes);
  }

  /** Writes the end record and the end mark; does not close the stream below. */
  @Override
  public void close() throws IOException {
    out.writeByte(StreamReader.END);
    out.writeLong(records);
    out.flush();
    chunks.close();
  }
}
