package dev.metamori.internal.fs;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import dev.metamori.internal.journal.Journal;
import dev.metamori.internal.journal.UndoRecord.Created;
import java.io.IOException;
import java.nio.channels.AsynchronousFileChannel;
import java.nio.channels.Channel;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.locks.Lock;

/**
 * Opens channels: a journaling {@link MetamoriFileChannel} for writing under a tracked root,
 * the underlying file system's own channel otherwise. Remembers both kinds until they close,
 * so that a rollback or close of the file system can close them.
 */
final class ChannelFactory {
  private static final ExecutorService ASYNC_EXECUTOR =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "metamori-async-io");
            t.setDaemon(true);
            return t;
          });

  private final FileSystemProvider provider;
  private final Journal journal;
  private final EpochGate gate;
  private final PathZones zones;
  private final FileRegistry files;
  private final BeforeImages beforeImages;
  private final Set<MetamoriFileChannel> channels = ConcurrentHashMap.newKeySet();
  /** Channels handed out unwrapped (read-only, untracked); weak, so closed ones are let go. */
  private final Set<Channel> passthrough =
      Collections.synchronizedSet(Collections.newSetFromMap(new WeakHashMap<>()));

  ChannelFactory(
      FileSystemProvider provider,
      Journal journal,
      EpochGate gate,
      PathZones zones,
      FileRegistry files,
      BeforeImages beforeImages) {
    this.provider = provider;
    this.journal = journal;
    this.gate = gate;
    this.zones = zones;
    this.files = files;
    this.beforeImages = beforeImages;
  }

  FileChannel newFileChannel(MetamoriPath path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    gate.checkOpen();
    boolean write = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
    boolean deleteOnClose = options.contains(StandardOpenOption.DELETE_ON_CLOSE);
    if (!write && !deleteOnClose) {
      return unwrapped(provider.newFileChannel(path.delegate(), options, attrs));
    }
    // like the default file system, DELETE_ON_CLOSE never opens (or deletes) through a link
    boolean noFollow =
        options.contains(LinkOption.NOFOLLOW_LINKS)
            || (deleteOnClose && !options.contains(StandardOpenOption.CREATE_NEW));
    // CREATE_NEW (O_EXCL) fails on any existing name, a dangling link included
    boolean createNew = write && options.contains(StandardOpenOption.CREATE_NEW);
    PathZones.Located loc = zones.route(path.delegate(), !noFollow && !createNew);
    if (!loc.tracked()) {
      return unwrapped(provider.newFileChannel(path.delegate(), options, attrs));
    }
    if (options.contains(StandardOpenOption.APPEND) && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
      // refused as by the default file system (TRUNCATE_EXISTING is not passed down to it)
      throw new IllegalArgumentException("APPEND + TRUNCATE_EXISTING not allowed");
    }
    Lock lock = gate.shared();
    try {
      gate.checkOpen();
      Path real = loc.real();
      boolean creating =
          write
              && (options.contains(StandardOpenOption.CREATE)
                  || options.contains(StandardOpenOption.CREATE_NEW))
              && Trees.attributesOrNull(provider, real) == null;
      if (creating) {
        beforeImages.touchParent(real);
        journal.append(new Created(real.toString()));
      }
      Set<OpenOption> opts = new HashSet<>(options);
      opts.remove(StandardOpenOption.TRUNCATE_EXISTING);
      opts.remove(StandardOpenOption.DELETE_ON_CLOSE);
      if (noFollow) {
        opts.add(LinkOption.NOFOLLOW_LINKS);
      }
      boolean userReadable = options.contains(StandardOpenOption.READ) || !write;
      if (write && !options.contains(StandardOpenOption.APPEND)) {
        opts.add(StandardOpenOption.READ);
      }
      FileChannel channel;
      try {
        channel = provider.newFileChannel(real, opts, attrs);
      } catch (AccessDeniedException e) {
        if (userReadable || !opts.remove(StandardOpenOption.READ)) {
          throw e;
        }
        channel = provider.newFileChannel(real, opts, attrs);
      }
      try {
        BasicFileAttributes a = provider.readAttributes(real, BasicFileAttributes.class, NOFOLLOW_LINKS);
        TrackedFile f = files.track(real, a, true);
        boolean channelReadable = opts.contains(StandardOpenOption.READ);
        MetamoriFileChannel mc =
            new MetamoriFileChannel(
                this,
                gate,
                beforeImages,
                f,
                channel,
                userReadable,
                write,
                options.contains(StandardOpenOption.APPEND),
                channelReadable,
                deleteOnClose ? path : null);
        channels.add(mc);
        if (creating) {
          files.markCreated(f);
        } else if (write && options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
          beforeImages.beforeTruncate(f, channel, channelReadable, 0);
          channel.truncate(0);
        }
        return mc;
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    } finally {
      lock.unlock();
    }
  }

  AsynchronousFileChannel newAsynchronousFileChannel(
      MetamoriPath path, Set<? extends OpenOption> options, ExecutorService executor, FileAttribute<?>... attrs)
      throws IOException {
    FileChannel channel = newFileChannel(path, options, attrs);
    if (!(channel instanceof MetamoriFileChannel)) {
      channel.close();
      return unwrapped(provider.newAsynchronousFileChannel(path.delegate(), options, executor, attrs));
    }
    return new MetamoriAsynchronousFileChannel(
        (MetamoriFileChannel) channel, executor == null ? ASYNC_EXECUTOR : executor);
  }

  /** Remembers a channel handed out without journaling, so rollback and close close it. */
  private <C extends Channel> C unwrapped(C channel) {
    passthrough.add(channel);
    return channel;
  }

  /** {@code channel}, open on {@code file}, was closed. */
  void closed(MetamoriFileChannel channel, TrackedFile file) {
    channels.remove(channel);
    files.released(file);
  }

  /**
   * Closes the journaling channels, and with {@code all} the unwrapped ones too (read-only or
   * untracked). A rollback closes only the former: an application's channels on files outside
   * the tracked roots have nothing to do with it.
   */
  void closeAll(boolean all) throws IOException {
    IOException failure = null;
    RuntimeException unchecked = null;
    for (MetamoriFileChannel c : new ArrayList<>(channels)) {
      try {
        c.close();
      } catch (IOException e) {
        failure = e;
      } catch (RuntimeException e) {
        unchecked = e;
      }
    }
    channels.clear();
    List<Channel> unwrapped = new ArrayList<>();
    if (all) {
      synchronized (passthrough) {
        unwrapped.addAll(passthrough);
        passthrough.clear();
      }
    }
    for (Channel c : unwrapped) {
      try {
        c.close();
      } catch (IOException e) {
        failure = e;
      }
    }
    if (failure != null) {
      throw failure;
    }
    if (unchecked != null) {
      throw unchecked;
    }
  }
}
