package dev.metamori;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;

/**
 * Which epochs {@link Checkpointer#prune(RetentionPolicy)} keeps. Policies combine with {@link
 * #or}: an epoch is kept if any of them keeps it. {@link #dropBranch} then removes a whole branch
 * whatever the other rules say. The current epoch is always kept, whatever the policy.
 *
 * <pre>{@code
 * cp.prune(RetentionPolicy.keepLast(20)
 *     .or(RetentionPolicy.keepLabelled())
 *     .or(RetentionPolicy.keepOnePer(Duration.ofHours(1))));
 * }</pre>
 */
public final class RetentionPolicy {
  private final Function<List<Epoch>, Set<Long>> rule;
  private final String description;
  /** Roots of the branches {@link #dropBranch} removes. */
  private final List<Long> droppedBranches;

  private RetentionPolicy(Function<List<Epoch>, Set<Long>> rule, String description) {
    this(rule, description, List.of());
  }

  private RetentionPolicy(
      Function<List<Epoch>, Set<Long>> rule, String description, List<Long> droppedBranches) {
    this.rule = rule;
    this.description = description;
    this.droppedBranches = droppedBranches;
  }

  /**
   * Keeps the {@code n} newest epochs (largest ids), on whatever branch they are.
   *
   * @param n how many epochs to keep
   * @return the policy
   * @throws IllegalArgumentException if {@code n} is negative
   */
  public static RetentionPolicy keepLast(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("keepLast(" + n + "): the number of epochs to keep is negative");
    }
    return new RetentionPolicy(
        epochs -> {
          Set<Long> kept = new HashSet<>();
          for (int i = Math.max(0, epochs.size() - n); i < epochs.size(); i++) {
            kept.add(epochs.get(i).id());
          }
          return kept;
        },
        "keepLast(" + n + ")");
  }

  /**
   * Keeps every epoch committed with a label ({@link Checkpointer#commit(String)}).
   *
   * @return the policy
   */
  public static RetentionPolicy keepLabelled() {
    return keepEach(e -> e.label() != null, "keepLabelled()");
  }

  /**
   * Keeps, for every {@code interval} of commit time (counted from the Unix epoch, so hours start
   * on the hour), the newest epoch committed in it.
   *
   * @param interval the length of each interval
   * @return the policy
   * @throws IllegalArgumentException if {@code interval} is not positive
   */
  public static RetentionPolicy keepOnePer(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("keepOnePer(" + interval + "): the interval is not positive");
    }
    long millis = interval.toMillis();
    return new RetentionPolicy(
        epochs -> {
          Map<Long, Epoch> newest = new HashMap<>();
          for (Epoch e : epochs) {
            long bucket = Math.floorDiv(e.committedAt().toEpochMilli(), millis);
            Epoch best = newest.get(bucket);
            if (best == null || best.committedAt().isBefore(e.committedAt())
                || (best.committedAt().equals(e.committedAt()) && best.id() < e.id())) {
              newest.put(bucket, e);
            }
          }
          Set<Long> kept = new HashSet<>();
          newest.values().forEach(e -> kept.add(e.id()));
          return kept;
        },
        "keepOnePer(" + interval + ")");
  }

  /**
   * Keeps every epoch: useful as the start of {@code keepAll().dropBranch(e)}.
   *
   * @return the policy
   */
  public static RetentionPolicy keepAll() {
    return keepEach(e -> true, "keepAll()");
  }

  private static RetentionPolicy keepEach(java.util.function.Predicate<Epoch> test, String description) {
    return new RetentionPolicy(
        epochs -> epochs.stream().filter(test).map(Epoch::id).collect(java.util.stream.Collectors.toSet()),
        description);
  }

  /**
   * Keeps what this policy or {@code other} keeps.
   *
   * @param other the other policy
   * @return the combined policy
   */
  public RetentionPolicy or(RetentionPolicy other) {
    Objects.requireNonNull(other, "other");
    return new RetentionPolicy(
        epochs -> {
          Set<Long> kept = new HashSet<>(rule.apply(epochs));
          kept.addAll(other.rule.apply(epochs));
          return kept;
        },
        description + ".or(" + other.description + ")",
        concat(droppedBranches, other.droppedBranches));
  }

  /**
   * Keeps what this policy keeps, except epoch {@code epoch} and every epoch descending from it
   * (its branch). {@link Checkpointer#prune} refuses it while the current epoch is on that
   * branch.
   *
   * @param epoch the first epoch of the branch to drop
   * @return the narrowed policy
   */
  public RetentionPolicy dropBranch(long epoch) {
    return new RetentionPolicy(
        epochs -> {
          Set<Long> kept = new HashSet<>(rule.apply(epochs));
          kept.removeAll(branch(epochs, epoch));
          return kept;
        },
        description + ".dropBranch(" + epoch + ")",
        concat(droppedBranches, List.of(epoch)));
  }

  /**
   * The ids of the epochs among {@code epochs} that a {@link #dropBranch} rule removes.
   *
   * @param epochs the store's epochs
   * @return the ids the {@code dropBranch} rules remove
   */
  public Set<Long> dropped(List<Epoch> epochs) {
    Set<Long> dropped = new HashSet<>();
    for (long root : droppedBranches) {
      dropped.addAll(branch(epochs, root));
    }
    return Collections.unmodifiableSet(dropped);
  }

  private static List<Long> concat(List<Long> a, List<Long> b) {
    List<Long> all = new ArrayList<>(a);
    all.addAll(b);
    return List.copyOf(all);
  }

  /**
   * The ids of the epochs among {@code epochs} (as {@link Checkpointer#epochs()} lists them) this
   *     policy keeps.
   *
   * @param epochs the store's epochs
   * @return the ids this policy keeps
   */
  public Set<Long> kept(List<Epoch> epochs) {
    List<Epoch> byId = new ArrayList<>(epochs);
    byId.sort((a, b) -> Long.compare(a.id(), b.id()));
    return Collections.unmodifiableSet(rule.apply(byId));
  }

  /** {@code epoch} and every epoch descending from it. */
  static Set<Long> branch(List<Epoch> epochs, long epoch) {
    Map<Long, Long> parents = new HashMap<>();
    epochs.forEach(e -> parents.put(e.id(), e.parent()));
    Set<Long> branch = new HashSet<>();
    for (Epoch e : epochs) {
      for (long id = e.id(); id >= 0; id = parents.getOrDefault(id, -1L)) {
        if (id == epoch) {
          branch.add(e.id());
          break;
        }
      }
    }
    return branch;
  }

  @Override
  public String toString() {
    return description;
  }
}
