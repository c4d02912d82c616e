package dev.metamori.internal.fs;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The watch service of a Metamori file system: the underlying file system's, with its keys
 * wrapped so that {@link WatchKey#watchable()} and the context of each event are paths of the
 * Metamori file system. Watching changes nothing, so nothing is journaled; changes made through
 * the Metamori file system, and the changes a restore makes, are reported like any other.
 *
 * <p>Each underlying key has one wrapper, so the key {@code register} returns is the one {@link
 * #poll} and {@link #take} return later.
 */
final class MetamoriWatchService implements WatchService {
  private final MetamoriFileSystem fs;
  private final WatchService watcher;
  private final Map<WatchKey, MetamoriWatchKey> keys = new ConcurrentHashMap<>();

  MetamoriWatchService(MetamoriFileSystem fs, WatchService watcher) {
    this.fs = fs;
    this.watcher = watcher;
  }

  /** Registers {@code dir} with the underlying service, as {@link Path#register} does. */
  WatchKey register(MetamoriPath dir, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers)
      throws IOException {
    WatchKey key = dir.delegate().register(watcher, events, modifiers);
    return keys.computeIfAbsent(key, k -> new MetamoriWatchKey(this, k, dir));
  }

  /** Forgets the wrapper of a key that is no longer valid. */
  void forget(WatchKey key) {
    keys.remove(key);
  }

  private WatchKey wrapped(WatchKey key) {
    if (key == null) {
      return null;
    }
    // every key is wrapped as it is registered; one cancelled since gets a wrapper of its own
    MetamoriWatchKey k = keys.get(key);
    return k != null ? k : new MetamoriWatchKey(this, key, fs.wrap((Path) key.watchable()));
  }

  @Override
  public WatchKey poll() {
    return wrapped(watcher.poll());
  }

  @Override
  public WatchKey poll(long timeout, TimeUnit unit) throws InterruptedException {
    return wrapped(watcher.poll(timeout, unit));
  }

  @Override
  public WatchKey take() throws InterruptedException {
    return wrapped(watcher.take());
  }

  @Override
  public void close() throws IOException {
    keys.clear();
    watcher.close();
  }
}
