package dev.metamori.group.internal;

/**
 * Where a group's znodes live: {@code /metamori/groups/{group}} and below it {@code head},
 * {@code open}, {@code members/{id}}, {@code rounds/{r}} (with {@code ready/{id}} and {@code
 * decision}) and {@code epochs/{g}}.
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

  String ready(long r, String id) {
    return ready(r) + "/" + id;
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
