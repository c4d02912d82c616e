package dev.metamori.group.internal;

import dev.metamori.Checkpointer;
import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.apache.curator.framework.CuratorFramework;

/** A member's settings, checked by the builder. Exactly one of connectString and curator is set. */
public record GroupConfig(
    Checkpointer checkpointer,
    String connectString,
    CuratorFramework curator,
    String group,
    String member,
    Set<String> roster,
    Duration sessionTimeout,
    Duration timeout,
    InetAddress bind) {

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** {@code name} if it can name a group or member (a znode name), else IllegalArgumentException. */
  public static String checkName(String what, String name) {
    Objects.requireNonNull(name, what);
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          what + " '" + name + "' is not a valid name: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    return name;
  }

  /** {@code d} if positive, else IllegalArgumentException. */
  public static Duration checkPositive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(what + " must be positive, was " + d);
    }
    return d;
  }
}
