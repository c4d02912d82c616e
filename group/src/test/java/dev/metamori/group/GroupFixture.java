package dev.metamori.group;

import dev.metamori.Checkpointer;
import dev.metamori.Durability;
import dev.metamori.group.internal.MemberChannels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.curator.test.TestingServer;

/**
 * Members of one group in this JVM, each with its own store and tracked directory, on a
 * ZooKeeper server started by the test.
 */
final class GroupFixture implements AutoCloseable {
  static final MemberChannels.Factory CHANNELS = StubChannels.factory();
  private static final java.util.concurrent.atomic.AtomicInteger GROUPS = new java.util.concurrent.atomic.AtomicInteger();

  final Path dir;
  final String group;
  final Set<String> roster;
  final Duration sessionTimeout;
  final Duration timeout;
  String connectString;
  /** The members' durability: NONE unless a test sets it before start (a process death still recovers). */
  Durability durability = Durability.NONE;
  final Map<String, Member> members = new LinkedHashMap<>();
  /** Called on a member each time its store opens, before it joins: to register its objects. */
  Opened opened = m -> {};

  /** What a test does when a member's store opens. */
  interface Opened {
    void accept(Member m) throws IOException;
  }

  GroupFixture(Path dir, String connectString, String group, Duration sessionTimeout, Duration timeout, String... ids) {
    this.dir = dir;
    this.connectString = connectString;
    this.group = group;
    this.roster = new TreeSet<>(List.of(ids));
    this.sessionTimeout = sessionTimeout;
    this.timeout = timeout;
  }

  static GroupFixture of(Path dir, TestingServer zk, String... ids) {
    return of(dir, zk, m -> {}, ids);
  }

  /** As {@link #of(Path, TestingServer, String...)}, calling {@code opened} on each member whenever its store opens. */
  static GroupFixture of(Path dir, TestingServer zk, Opened opened, String... ids) {
    GroupFixture f = new GroupFixture(dir, zk.getConnectString(), "g" + GROUPS.incrementAndGet(), Duration.ofSeconds(4), Duration.ofSeconds(30), ids);
    f.opened = opened;
    return f;
  }

  /** A member: its Checkpointer and, once joined, its group. */
  final class Member {
    final String id;
    final Path data;
    final Path store;
    Checkpointer cp;
    CheckpointGroup group;
    /** Set to join through a Curator client the test owns (to watch or expire its session). */
    org.apache.curator.framework.CuratorFramework client;

    Member(String id) throws IOException {
      this.id = id;
      this.data = Files.createDirectories(dir.resolve(id).resolve("data"));
      this.store = dir.resolve(id).resolve("store");
    }

    void open() throws IOException {
      cp = Checkpointer.builder(store).track(data).durability(durability).open();
      opened.accept(this);
    }

    CheckpointGroup join() throws IOException {
      group = builder().join(CHANNELS);
      return group;
    }

    CheckpointGroup.Builder builder() {
      CheckpointGroup.Builder b = CheckpointGroup.builder(cp);
      if (client != null) {
        b.curator(client);
      } else {
        b.zookeeper(connectString);
      }
      return b.group(GroupFixture.this.group).member(id)
          .roster(roster).sessionTimeout(sessionTimeout).timeout(timeout);
    }

    void write(String name, String text) throws IOException {
      Files.writeString(cp.fileSystem().getPath(data.resolve(name).toString()), text);
    }

    String read(String name) throws IOException {
      try {
        return Files.readString(data.resolve(name), StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        return null;
      }
    }

    /** Leaves the group and closes the store, as a process that ends. */
    void stop() throws IOException {
      if (group != null) {
        group.close();
        group = null;
      }
      if (cp != null) {
        cp.close();
        cp = null;
      }
    }

    /** Reopens the store and joins again, as a restarted process. */
    CheckpointGroup restart() throws IOException {
      open();
      return join();
    }
  }

  /** Opens every member's store and joins them all (join waits for the roster, so in parallel). */
  GroupFixture start() throws Exception {
    return start(java.util.Set.of());
  }

  /** As {@link #start()}, the members in {@code withClients} through Curator clients of the test. */
  GroupFixture start(Set<String> withClients) throws Exception {
    for (String id : roster) {
      Member m = new Member(id);
      m.open();
      if (withClients.contains(id)) {
        m.client = org.apache.curator.framework.CuratorFrameworkFactory.builder().connectString(connectString)
            .sessionTimeoutMs((int) sessionTimeout.toMillis()).connectionTimeoutMs((int) sessionTimeout.toMillis())
            .retryPolicy(new org.apache.curator.retry.ExponentialBackoffRetry(100, 3)).build();
        m.client.start();
      }
      members.put(id, m);
    }
    joinAll(new ArrayList<>(members.values()));
    return this;
  }

  /** Joins {@code ms} at once. */
  static void joinAll(List<Member> ms) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(ms.size());
    try {
      List<Future<CheckpointGroup>> joins = new ArrayList<>();
      for (Member m : ms) {
        joins.add(pool.submit(m::join));
      }
      for (Future<CheckpointGroup> f : joins) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  Member member(String id) {
    return members.get(id);
  }

  CheckpointGroup group(String id) {
    return members.get(id).group;
  }

  @Override
  public void close() throws IOException {
    for (Member m : members.values()) {
      try {
        m.stop();
      } catch (IOException | RuntimeException e) {
        // the test already failed or the member is gone
      }
      if (m.client != null) {
        m.client.close();
      }
    }
  }
}
