package dev.metamori.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.metamori.Checkpointer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointGroupBuilderTest {
  @Test
  void settersMayBeCalledOnceAndSaySo(@TempDir Path dir) throws Exception {
    try (Checkpointer cp = open(dir)) {
      CheckpointGroup.Builder b = CheckpointGroup.builder(cp).group("sim").member("a").zookeeper("localhost:2181");
      assertEquals("group was already set to sim", assertThrows(IllegalStateException.class, () -> b.group("x")).getMessage());
      assertEquals("member was already set to a", assertThrows(IllegalStateException.class, () -> b.member("b")).getMessage());
      assertEquals("ZooKeeper connection string was already set to localhost:2181; set either it or a Curator client",
          assertThrows(IllegalStateException.class, () -> b.curator(dummyClient())).getMessage());
      b.sessionTimeout(Duration.ofSeconds(2));
      assertEquals("session timeout was already set to PT2S",
          assertThrows(IllegalStateException.class, () -> b.sessionTimeout(Duration.ofSeconds(3))).getMessage());
    }
  }

  @Test
  void badValuesAreRefusedAtOnce(@TempDir Path dir) throws Exception {
    try (Checkpointer cp = open(dir)) {
      CheckpointGroup.Builder b = CheckpointGroup.builder(cp);
      assertEquals("member 'a/b' is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
          assertThrows(IllegalArgumentException.class, () -> b.member("a/b")).getMessage());
      assertEquals("roster is empty; list every member of the group, this one included",
          assertThrows(IllegalArgumentException.class, () -> b.roster(Set.of())).getMessage());
      assertEquals("session timeout must be positive, was PT0S",
          assertThrows(IllegalArgumentException.class, () -> b.sessionTimeout(Duration.ZERO)).getMessage());
    }
  }

  @Test
  void joinChecksTheWholeBeforeConnecting(@TempDir Path dir) throws Exception {
    try (Checkpointer cp = open(dir)) {
      assertEquals("group is not set; call group(name)",
          assertThrows(IllegalStateException.class, () -> CheckpointGroup.builder(cp).join()).getMessage());
      assertEquals("roster [b, c] does not contain this member 'a'",
          assertThrows(IllegalStateException.class, () -> CheckpointGroup.builder(cp).group("g").member("a")
              .roster(Set.of("b", "c")).zookeeper("localhost:1").join()).getMessage());
      assertEquals("ZooKeeper is not set; call zookeeper(connectString) or curator(client)",
          assertThrows(IllegalStateException.class, () -> CheckpointGroup.builder(cp).group("g").member("a")
              .roster(Set.of("a")).join()).getMessage());
    }
  }

  private static org.apache.curator.framework.CuratorFramework dummyClient() {
    return org.apache.curator.framework.CuratorFrameworkFactory.newClient("localhost:1",
        new org.apache.curator.retry.RetryOneTime(1));
  }

  private static Checkpointer open(Path dir) throws Exception {
    return Checkpointer.builder(dir.resolve("store")).track(Files.createDirectories(dir.resolve("data"))).open();
  }
}
