package dev.metamori.group.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** A listener that records what it hears, in order: {@code commit G}, {@code rollback G}, {@code fenced}. */
public class Heard implements GroupListener {
  /** What it heard and no one has taken yet. */
  public final BlockingQueue<String> events = new LinkedBlockingQueue<>();
  private final long after;

  /** Records everything. */
  public Heard() {
    this(0);
  }

  /**
   * Records commits after global epoch {@code after} only: the one the group was at when the
   * listener was added may be told of, or not, as its decision and the adding race.
   */
  public Heard(long after) {
    this.after = after;
  }

  @Override
  public void onGlobalCommit(GlobalEpoch epoch) {
    if (epoch.id() > after) {
      events.add("commit " + epoch.id());
    }
  }

  @Override
  public void onGroupRollback(GlobalEpoch epoch) {
    events.add("rollback " + epoch.id());
  }

  @Override
  public void onFenced() {
    events.add("fenced");
  }

  /** The next event, waiting up to 60 s for it. */
  public String next() throws InterruptedException {
    String e = events.poll(60, TimeUnit.SECONDS);
    assertNotNull(e, "nothing heard within 60 s");
    return e;
  }

  /** The next {@code n} events. */
  public List<String> next(int n) throws InterruptedException {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(next());
    }
    return l;
  }
}
