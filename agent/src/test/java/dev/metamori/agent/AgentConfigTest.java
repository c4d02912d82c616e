package dev.metamori.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AgentConfigTest {
  private static AgentConfig read(Map<String, String> properties, Map<String, String> environment) {
    return AgentConfig.read(properties::get, environment::get);
  }

  @Test
  void aPropertyWinsOverTheEnvironment() {
    AgentConfig c =
        read(
            Map.of("metamori.store", "/p/store", "metamori.commitEvery", "5m"),
            Map.of("METAMORI_STORE", "/e/store", "METAMORI_TRACK", "/e/a,/e/b", "METAMORI_COMMIT_EVERY", "1s"));
    assertEquals("/p/store", c.store());
    assertEquals(List.of("/e/a", "/e/b"), c.roots());
    assertEquals(Duration.ofMinutes(5), c.commitEvery());
  }

  @Test
  void commitEveryAndExclusionsAreOptional() {
    AgentConfig c = read(Map.of("metamori.store", "s", "metamori.track", "t"), Map.of());
    assertNull(c.commitEvery());
    assertEquals(List.of(), c.exclusions());
  }

  @Test
  void exclusionsAreGlobsSeparatedByCommas() {
    AgentConfig c =
        read(
            Map.of("metamori.store", "s", "metamori.track", "t", "metamori.exclude", "cache, **/*.tmp"),
            Map.of("METAMORI_EXCLUDE", "ignored"));
    assertEquals(List.of("cache", "**/*.tmp"), c.exclusions());
  }

  @Test
  void durationsInShortAndIsoForms() {
    assertEquals(Duration.ofMillis(500), AgentConfig.duration("500ms"));
    assertEquals(Duration.ofSeconds(30), AgentConfig.duration("30s"));
    assertEquals(Duration.ofHours(1), AgentConfig.duration("1h"));
    assertEquals(Duration.ofDays(2), AgentConfig.duration("2d"));
    assertEquals(Duration.ofSeconds(90), AgentConfig.duration("PT1M30S"));
  }

  @Test
  void badSettingsSayWhatToSet() {
    IllegalArgumentException noStore =
        assertThrows(IllegalArgumentException.class, () -> read(Map.of("metamori.track", "t"), Map.of()));
    assertTrue(noStore.getMessage().contains("METAMORI_STORE"), noStore.getMessage());
    IllegalArgumentException noRoot =
        assertThrows(IllegalArgumentException.class, () -> read(Map.of("metamori.store", "s"), Map.of()));
    assertTrue(noRoot.getMessage().contains("metamori.track"), noRoot.getMessage());
    IllegalArgumentException badDuration =
        assertThrows(IllegalArgumentException.class, () -> AgentConfig.duration("soon"));
    assertTrue(badDuration.getMessage().contains("30s"), badDuration.getMessage());
    assertThrows(IllegalArgumentException.class, () -> AgentConfig.duration("0s"));
  }
}
