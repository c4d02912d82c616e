package dev.metamori.internal.stream;

import dev.metamori.CorruptStoreException;
import dev.metamori.internal.journal.OwnerOnly;
import dev.metamori.internal.stream.StreamRecord.Identity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongPredicate;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * The identities of a store's epochs, which survive export and receive: an epoch committed here
 * is (this store's id, its id); one received is the identity the stream gave it. The store's id
 * is a random UUID in the store file {@value #ID} (created the first time it is needed); the
 * identities of received epochs are appended to {@value #RECEIVED} once their commit is done, as
 * 32-byte entries {@code long localEpoch, long storeMsb, long storeLsb, long epoch} followed by
 * an xxHash32 of them. A crash between a receive's commit and its entry leaves that epoch with a
 * local identity: the next incremental stream based on it is refused (receive the full stream
 * again), nothing else is lost. Epoch ids only grow, so an entry never names another epoch.
 */
public final class EpochIdentities {
  static final String ID = "store.id";
  static final String RECEIVED = "received";
  private static final int SEED = 0x52435644;
  private static final int ENTRY = 36;
  private static final XXHash32 XXHASH = XXHashFactory.fastestInstance().hash32();

  private final Path store;
  private final boolean forcing;
  private UUID id;
  private Map<Long, Identity> received;

  public EpochIdentities(Path store, boolean forcing) {
    this.store = store;
    this.forcing = forcing;
  }

  /** The store's own id, created (owner-only, durably) the first time it is asked for. */
  public synchronized UUID storeId() throws IOException {
    if (id != null) {
      return id;
    }
    Path file = store.resolve(ID);
    if (!Files.exists(file)) {
      UUID fresh = UUID.randomUUID();
      ByteBuffer b = ByteBuffer.allocate(20);
      b.putLong(fresh.getMostSignificantBits()).putLong(fresh.getLeastSignificantBits());
      b.putInt(XXHASH.hash(b.array(), 0, 16, SEED)).flip();
      OwnerOnly.replace(file, b); // the store's lock: no other checkpointer makes one meanwhile
    }
    byte[] all = Files.readAllBytes(file);
    ByteBuffer b = ByteBuffer.wrap(all);
    if (all.length != 20 || b.getInt(16) != XXHASH.hash(all, 0, 16, SEED)) {
      throw new CorruptStoreException(
          file, -1, -1, "the store's id is damaged; it names the store's epochs in export streams:"
              + " delete the file to give the store a new id (streams based on its epochs must then be received again)");
    }
    id = new UUID(b.getLong(), b.getLong());
    return id;
  }

  /** The identity of local epoch {@code epoch}. */
  public synchronized Identity of(long epoch) throws IOException {
    Identity r = received().get(epoch);
    return r != null ? r : new Identity(storeId(), epoch);
  }

  /** The local epoch with identity {@code identity} among those {@code exists} accepts, or -1. */
  public synchronized long find(Identity identity, LongPredicate exists) throws IOException {
    for (Map.Entry<Long, Identity> e : received().entrySet()) {
      if (e.getValue().equals(identity) && exists.test(e.getKey())) {
        return e.getKey();
      }
    }
    if (identity.store().equals(storeId()) && !received().containsKey(identity.epoch()) && exists.test(identity.epoch())) {
      return identity.epoch();
    }
    return -1;
  }

  /** Notes that local epoch {@code epoch} has identity {@code identity}. */
  public synchronized void received(long epoch, Identity identity) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(ENTRY);
    b.putLong(epoch).putLong(identity.store().getMostSignificantBits())
        .putLong(identity.store().getLeastSignificantBits()).putLong(identity.epoch());
    b.putInt(XXHASH.hash(b.array(), 0, ENTRY - 4, SEED)).flip();
    Path file = store.resolve(RECEIVED);
    try (FileChannel c = OwnerOnly.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      while (b.hasRemaining()) {
        c.write(b);
      }
      if (forcing) {
        c.force(true);
      }
    }
    received().put(epoch, identity);
  }

  private Map<Long, Identity> received() throws IOException {
    if (received != null) {
      return received;
    }
    Map<Long, Identity> map = new HashMap<>();
    byte[] all;
    try {
      all = Files.readAllBytes(store.resolve(RECEIVED));
    } catch (NoSuchFileException e) {
      all = new byte[0];
    }
    ByteBuffer b = ByteBuffer.wrap(all);
    int at = 0;
    for (; at + ENTRY <= all.length; at += ENTRY) {
      if (b.getInt(at + ENTRY - 4) != XXHASH.hash(all, at, ENTRY - 4, SEED)) {
        break;
      }
      map.put(b.getLong(at), new Identity(new UUID(b.getLong(at + 8), b.getLong(at + 16)), b.getLong(at + 24)));
    }
    if (at != all.length) {
      // a torn last entry (a crash while appending it): its epoch keeps a local identity, and
      // the entries appended later must follow the last whole one
      try (FileChannel c = OwnerOnly.open(store.resolve(RECEIVED), StandardOpenOption.WRITE)) {
        c.truncate(at);
      }
    }
    received = map;
    return map;
  }
}
