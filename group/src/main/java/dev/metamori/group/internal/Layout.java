package dev.metamori.group.internal;

/**
 * Where a group's znodes live: {@code /metamori/groups/{group}} and below it {@code head},
 * {@code open}, {@code members/{id}}, {@code rounds/{r}} (with {@code ready/{id}@{epoch}} and
 * {@code decision}) and {@code epochs/{g}}. A {@code ready} znode's name carries the member's
 * local epoch, so that the event of its creation tells every member the epoch, with no read.
 */
record Layout(String root) {
  static final String GROUPS = "/metamori/groups";

  static Layout of(String group) {
    return new Layout(GROUPS + "/" + group);
  }

  String head() {
    return root + "/head";
  }

  String open() {
    return root + "/open";
  }

  String members() {
    return root + "/members";
  }

  String member(String id) {
    return members() + "/" + id;
  }

  String rounds() {
    return root + "/rounds";
  }

  String round(long r) {
    return rounds() + "/" + r;
  }

  String ready(long r) {
    return round(r) + "/ready";
  }

  /** A {@code ready} znode by the name of the child ({@code {id}@{epoch}}). */
  String ready(long r, String child) {
    return ready(r) + "/" + child;
  }

  String ready(long r, String id, long epoch) {
    return ready(r, readyName(id, epoch));
  }

  static String readyName(String id, long epoch) {
    return id + "@" + epoch;
  }

  /**
   * The member and local epoch a {@code ready} child's name carries; the epoch is -1 for a name
   * without one (written by an older member: the epoch is the znode's data).
   */
  static java.util.Map.Entry<String, Long> readyOf(String child) {
    int at = child.indexOf('@');
    if (at < 0) {
      return java.util.Map.entry(child, -1L);
    }
    return java.util.Map.entry(child.substring(0, at), Long.parseLong(child.substring(at + 1)));
  }

  String decision(long r) {
    return round(r) + "/decision";
  }

  /** The round {@code r} of a {@code path} at or under {@code rounds/{r}}, or 0 if it is elsewhere. */
  long roundIn(String path) {
    String prefix = rounds() + "/";
    if (!path.startsWith(prefix)) {
      return 0;
    }
    int end = path.indexOf('/', prefix.length());
    String s = path.substring(prefix.length(), end < 0 ? path.length() : end);
    if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return 0;
    }
    return Long.parseLong(s);
  }

  String epochs() {
    return root + "/epochs";
  }

  String epoch(long g) {
    return epochs() + "/" + g;
  }
}
