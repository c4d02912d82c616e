package dev.metamori.internal.fs;

import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.Watchable;
import java.util.ArrayList;
import java.util.List;

/**
 * A key of a {@link MetamoriWatchService}: the underlying key, reporting the registered
 * Metamori path as its watchable and events whose context is a (relative) Metamori path.
 */
final class MetamoriWatchKey implements WatchKey {
  private final MetamoriWatchService service;
  private final WatchKey key;
  private final MetamoriPath dir;

  MetamoriWatchKey(MetamoriWatchService service, WatchKey key, MetamoriPath dir) {
    this.service = service;
    this.key = key;
    this.dir = dir;
  }

  @Override
  public boolean isValid() {
    return key.isValid();
  }

  @Override
  public List<WatchEvent<?>> pollEvents() {
    List<WatchEvent<?>> events = new ArrayList<>();
    for (WatchEvent<?> e : key.pollEvents()) {
      Object context = e.context();
      events.add(context instanceof Path ? new Event<>(e, dir.getFileSystem().wrap((Path) context)) : e);
    }
    return events;
  }

  @Override
  public boolean reset() {
    boolean valid = key.reset();
    if (!valid) {
      service.forget(key);
    }
    return valid;
  }

  @Override
  public void cancel() {
    key.cancel();
    service.forget(key);
  }

  @Override
  public Watchable watchable() {
    return dir;
  }

  @Override
  public String toString() {
    return "WatchKey[" + watchable() + "]";
  }

  /** An event of the underlying key with its context given as a Metamori path. */
  private static final class Event<T> implements WatchEvent<T> {
    private final WatchEvent<?> event;
    private final T context;

    Event(WatchEvent<?> event, T context) {
      this.event = event;
      this.context = context;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Kind<T> kind() {
      return (Kind<T>) event.kind();
    }

    @Override
    public int count() {
      return event.count();
    }

    @Override
    public T context() {
      return context;
    }

    @Override
    public String toString() {
      return "Event[" + kind() + ", " + count() + ", " + context + "]";
    }
  }
}
