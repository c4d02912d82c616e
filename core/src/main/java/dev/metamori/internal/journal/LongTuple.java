package dev.metamori.internal.journal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/** MVStore keys (and values) of longs compared element by element; a prefix sorts before its extensions. */
final class LongTuple extends BasicDataType<long[]> {
  static final LongTuple INSTANCE = new LongTuple();

  @Override
  public int getMemory(long[] key) {
    return 24 + 8 * key.length;
  }

  @Override
  public void write(WriteBuffer buffer, long[] key) {
    buffer.putVarInt(key.length);
    for (long k : key) {
      buffer.putVarLong(k);
    }
  }

  @Override
  public long[] read(ByteBuffer buffer) {
    long[] key = new long[DataUtils.readVarInt(buffer)];
    for (int i = 0; i < key.length; i++) {
      key[i] = DataUtils.readVarLong(buffer);
    }
    return key;
  }

  @Override
  public int compare(long[] a, long[] b) {
    return Arrays.compare(a, b);
  }

  @Override
  public long[][] createStorage(int size) {
    return new long[size][];
  }
}
