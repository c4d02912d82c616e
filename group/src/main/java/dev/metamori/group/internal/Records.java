package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The data of the group's znodes, as UTF-8 text: a first line {@code metamori-group-<kind>
 * <version>}, then {@code key=value} lines; free text (labels, reasons) is URL-encoded, maps are
 * {@code key:value,key:value}. The format is in docs/group.md.
 */
final class Records {
  static final int VERSION = 1;

  private Records() {}

  /** The {@code head} znode: where the group is. */
  record Head(long round, long global, long incarnation, boolean pending, Map<String, Long> epochs) {
    static final Head EMPTY = new Head(0, 0, 0, false, Map.of());

    Head {
      epochs = Map.copyOf(epochs);
    }

    byte[] encode() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("round", Long.toString(round));
      m.put("global", Long.toString(global));
      m.put("incarnation", Long.toString(incarnation));
      m.put("pending", Boolean.toString(pending));
      m.put("epochs", encodeMap(epochs));
      return write("head", m);
    }

    static Head decode(byte[] data) {
      Map<String, String> m = read("head", data);
      return new Head(
          num(m, "round"), num(m, "global"), num(m, "incarnation"),
          Boolean.parseBoolean(m.get("pending")), decodeMap(m.get("epochs")));
    }

    Head opened(long r) {
      return new Head(r, global, incarnation, pending, epochs);
    }
  }

  enum Kind { COMMIT, ROLLBACK }

  /**
   * A {@code rounds/{r}} znode: what the round does, and {@code headVersion}, the version its
   * open left {@code head} at (-1 if the opener did not record it): the fence of the round's
   * decision, whoever writes it.
   */
  record Round(long id, Kind kind, String label, long target, long incarnation, int headVersion) {
    byte[] encode() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("kind", kind.name());
      if (label != null) {
        m.put("label", text(label));
      }
      m.put("target", Long.toString(target));
      m.put("incarnation", Long.toString(incarnation));
      m.put("headVersion", Integer.toString(headVersion));
      return write("round", m);
    }

    static Round decode(long id, byte[] data) {
      Map<String, String> m = read("round", data);
      String label = m.get("label");
      return new Round(id, Kind.valueOf(m.get("kind")), label == null ? null : untext(label),
          num(m, "target"), num(m, "incarnation"), Integer.parseInt(m.getOrDefault("headVersion", "-1")));
    }
  }

  enum Outcome { COMMIT, ABORT, ROLLED_BACK }

  /** A {@code rounds/{r}/decision} znode: created once, by the first writer. */
  record Decision(Outcome outcome, String reason) {
    byte[] encode() {
      return write("decision", Map.of("outcome", outcome.name(), "reason", text(reason == null ? "" : reason)));
    }

    static Decision decode(byte[] data) {
      Map<String, String> m = read("decision", data);
      return new Decision(Outcome.valueOf(m.get("outcome")), untext(m.getOrDefault("reason", "")));
    }
  }

  /** An {@code epochs/{g}} znode. */
  static byte[] encodeEpoch(GlobalEpoch e) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("parent", Long.toString(e.parent()));
    if (e.label() != null) {
      m.put("label", text(e.label()));
    }
    m.put("epochs", encodeMap(e.localEpochs()));
    return write("epoch", m);
  }

  static GlobalEpoch decodeEpoch(long id, byte[] data) {
    Map<String, String> m = read("epoch", data);
    String label = m.get("label");
    return new GlobalEpoch(id, num(m, "parent"), label == null ? null : untext(label), decodeMap(m.get("epochs")));
  }

  /** A {@code members/{id}} znode: where the member listens, and who it is. */
  record MemberInfo(String host, int port, long pid, String machine, long session) {
    byte[] encode() {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("address", text(host) + ":" + port);
      m.put("pid", Long.toString(pid));
      m.put("machine", text(machine));
      m.put("session", Long.toHexString(session));
      return write("member", m);
    }

    static MemberInfo decode(byte[] data) {
      Map<String, String> m = read("member", data);
      String a = m.get("address");
      int colon = a.lastIndexOf(':');
      return new MemberInfo(untext(a.substring(0, colon)), Integer.parseInt(a.substring(colon + 1)),
          num(m, "pid"), untext(m.get("machine")), Long.parseUnsignedLong(m.get("session"), 16));
    }
  }

  static byte[] encodeLong(long v) {
    return Long.toString(v).getBytes(StandardCharsets.UTF_8);
  }

  static long decodeLong(byte[] data) {
    return Long.parseLong(new String(data, StandardCharsets.UTF_8).trim());
  }

  private static byte[] write(String kind, Map<String, String> fields) {
    StringBuilder b = new StringBuilder("metamori-group-").append(kind).append(' ').append(VERSION).append('\n');
    fields.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Map<String, String> read(String kind, byte[] data) {
    String[] lines = new String(data, StandardCharsets.UTF_8).split("\n");
    String head = "metamori-group-" + kind + " ";
    if (lines.length == 0 || !lines[0].startsWith(head)) {
      throw new IllegalStateException("not a metamori group " + kind + " record: " + new String(data, StandardCharsets.UTF_8));
    }
    int version = Integer.parseInt(lines[0].substring(head.length()).trim());
    if (version > VERSION) {
      throw new IllegalStateException("group " + kind + " record of format version " + version
          + ", newer than this library's " + VERSION + "; upgrade metamori-group on every member");
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int eq = lines[i].indexOf('=');
      if (eq > 0) {
        m.put(lines[i].substring(0, eq), lines[i].substring(eq + 1));
      }
    }
    return m;
  }

  private static long num(Map<String, String> m, String key) {
    String v = m.get(key);
    if (v == null) {
      throw new IllegalStateException("group record lacks '" + key + "': " + m);
    }
    return Long.parseLong(v);
  }

  private static String encodeMap(Map<String, Long> map) {
    StringBuilder b = new StringBuilder();
    new TreeMap<>(map).forEach((k, v) -> b.append(b.length() == 0 ? "" : ",").append(k).append(':').append(v));
    return b.toString();
  }

  private static Map<String, Long> decodeMap(String s) {
    Map<String, Long> m = new TreeMap<>();
    if (s != null && !s.isEmpty()) {
      for (String kv : s.split(",")) {
        int c = kv.lastIndexOf(':');
        m.put(kv.substring(0, c), Long.parseLong(kv.substring(c + 1)));
      }
    }
    return m;
  }

  private static String text(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static String untext(String s) {
    return URLDecoder.decode(s, StandardCharsets.UTF_8);
  }
}
