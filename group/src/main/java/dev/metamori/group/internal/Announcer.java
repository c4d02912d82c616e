package dev.metamori.group.internal;

import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupListener;
import dev.metamori.group.internal.Records.Decision;
import dev.metamori.group.internal.Records.Round;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * Tells a member's listeners what the group did, on a thread of the member's own, one call at a
 * time: every round decided since the member joined (a global epoch committed, the group rolled
 * back), in the order of the rounds and once each, and its fencing. A pass of the {@link
 * Coordinator} may see only the newest of several rounds decided since the pass before, so each
 * pass tells of every round up to the one {@code head} names; and a slow listener holds up
 * neither the passes nor the rounds, only the calls after its own.
 */
final class Announcer {
  private static final System.Logger LOG = System.getLogger("dev.metamori.group");

  private final Znodes z;
  private final String member;
  private final List<GroupListener> listeners;
  private final ExecutorService thread;
  /** The rounds up to this one are told of, or had nothing to tell; -1 before the first pass. */
  private long told = -1;

  Announcer(Znodes z, String member, List<GroupListener> listeners) {
    this.z = z;
    this.member = member;
    this.listeners = listeners;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "metamori-group-" + member + "-listeners");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Called by each pass, one at a time, with the round {@code head} names and its decision if it
   * has one: queues what the listeners are to hear of every round decided since the pass before.
   * The first pass only notes where the group is (the rounds before it were decided before this
   * member joined). A round before {@code head}'s that has no decision was superseded: it can
   * decide nothing any more. Commits are not told of while the member is fenced.
   */
  void decided(long head, Optional<Decision> headDecision, boolean fenced) throws Exception {
    long upTo = headDecision.isPresent() || head == 0 ? head : head - 1;
    if (told < 0) {
      told = upTo;
      return;
    }
    for (long r = told + 1; r <= upTo; r++) {
      tell(r, r == head ? headDecision : z.decision(r), fenced);
      told = r;
    }
  }

  private void tell(long r, Optional<Decision> d, boolean fenced) throws Exception {
    Optional<Round> round = z.round(r);
    boolean committed = round.isEmpty() // pruned: only a committed round leaves a trace, its global epoch
        || (d.isPresent() && d.get().outcome() == Records.Outcome.COMMIT);
    if (committed) {
      Optional<GlobalEpoch> e = fenced ? Optional.empty() : z.epoch(r);
      e.ifPresent(epoch -> queue(l -> l.onGlobalCommit(epoch), "global epoch " + r));
    } else if (d.isPresent() && d.get().outcome() == Records.Outcome.ROLLED_BACK) {
      long target = round.get().target();
      z.epoch(target).ifPresent(epoch -> queue(l -> l.onGroupRollback(epoch), "the rollback to global epoch " + target));
    }
  }

  /** The member lost its session. */
  void fenced() {
    queue(GroupListener::onFenced, "its fencing");
  }

  /** Tells the listeners registered now; a listener added later hears of the events after it. */
  private void queue(Consumer<GroupListener> event, String what) {
    List<GroupListener> to = List.copyOf(listeners);
    if (to.isEmpty()) {
      return;
    }
    try {
      thread.execute(() -> {
        for (GroupListener l : to) {
          try {
            event.accept(l);
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "a listener of member {0} failed on {1}: {2}", member, what, e.toString());
          }
        }
      });
    } catch (RejectedExecutionException e) {
      // the member left
    }
  }

  /** The member left: what is queued is still told, nothing more. */
  void stop() {
    thread.shutdown();
  }
}
