package dev.metamori.demo.group;

import dev.metamori.Checkpointable;
import dev.metamori.Checkpointer;
import dev.metamori.group.CheckpointGroup;
import dev.metamori.group.GlobalEpoch;
import dev.metamori.group.GroupChannel;
import dev.metamori.group.GroupException;
import dev.metamori.group.GroupListener;
import dev.metamori.group.GroupRolledBackException;
import dev.metamori.group.GroupStep;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * One member of the group demo, in its own JVM: it runs its part of the {@link Ring} inside
 * {@link CheckpointGroup#step()}s, keeps its control state in a registered object and its
 * results in a tracked file, and, if it is member "a", commits a global epoch every few steps.
 * It prints one line per event ("joined", "step", "committed", "rolledback", "done", ...) for
 * {@link GroupDemo}, which waits on them.
 *
 * <p>Arguments: ZooKeeper connect string, group, member id, directory, steps, commit every
 * this many steps, hold at this step (0: never; else the member then waits on its standard
 * input, so that the demo kills it at a known step).
 */
public final class RingMember {
  static final String COMMITTER = "a";
  static final String FINAL = "final";
  /** What b and c send to a after their last step, so that the final global epoch has every member's last step. */
  private static final long END = -1;
  private static final Duration WAIT = Duration.ofSeconds(90);

  /**
   * The member's control state, captured and restored with its store: the steps done, the
   * value, whether this step's value is already sent (a capture may run while the member waits
   * in {@code receive}, after its send), and how many end markers it sent (b, c) or received
   * (a) after the last step.
   */
  static final class State implements Checkpointable {
    int step;
    long value;
    boolean sent;
    int markers;

    State(long value) {
      this.value = value;
    }

    @Override
    public void save(OutputStream out) throws IOException {
      DataOutputStream d = new DataOutputStream(out);
      d.writeInt(step);
      d.writeLong(value);
      d.writeBoolean(sent);
      d.writeInt(markers);
      d.flush();
    }

    @Override
    public void restore(InputStream in) throws IOException {
      DataInputStream d = new DataInputStream(in);
      step = d.readInt();
      value = d.readLong();
      sent = d.readBoolean();
      markers = d.readInt();
    }
  }

  /** What the group's listener saw: whether the final global epoch is committed, and how many events. */
  static final class Events implements GroupListener {
    private boolean finalCommitted;
    private long count;

    @Override
    public synchronized void onGlobalCommit(GlobalEpoch epoch) {
      finalCommitted |= FINAL.equals(epoch.label());
      count++;
      notifyAll();
    }

    @Override
    public synchronized void onGroupRollback(GlobalEpoch epoch) {
      finalCommitted = false;
      count++;
      notifyAll();
    }

    synchronized boolean finalCommitted() {
      return finalCommitted;
    }

    synchronized long count() {
      return count;
    }

    /** Waits for an event after the {@code seen}th, at most {@link #WAIT}. */
    synchronized void awaitAfter(long seen) throws InterruptedException {
      long deadline = System.nanoTime() + WAIT.toNanos();
      while (count == seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("no global commit or rollback within " + WAIT.toSeconds() + " s");
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  @SuppressWarnings("try") // a GroupStep is held open around the work, not called
  public static void main(String[] args) throws Exception {
    String zookeeper = args[0];
    String groupName = args[1];
    String id = args[2];
    Path dir = Path.of(args[3]);
    int steps = Integer.parseInt(args[4]);
    int every = Integer.parseInt(args[5]);
    int holdAt = Integer.parseInt(args[6]);
    boolean committer = id.equals(COMMITTER);

    Path data = Files.createDirectories(dir.resolve("data"));
    try (Checkpointer cp = Checkpointer.builder(dir.resolve("store")).track(data).open()) {
      State state = new State(Ring.initial(id));
      cp.register("ring", state); // as of the store's current epoch, if it has one
      Path results = cp.fileSystem().getPath(data.resolve("results.csv").toString());
      Events events = new Events();
      try (CheckpointGroup group = CheckpointGroup.builder(cp)
          .zookeeper(zookeeper)
          .group(groupName)
          .member(id)
          .roster(Set.copyOf(Ring.MEMBERS))
          .sessionTimeout(Duration.ofSeconds(5))
          .timeout(WAIT)
          .join()) {
        group.addListener(events);
        say("joined at global epoch %d: step %d, value %d, local epoch %d", group.currentGlobalEpoch(), state.step, state.value,
            cp.currentEpoch());
        GroupChannel next = group.channel(Ring.next(id));
        GroupChannel previous = group.channel(Ring.previous(id));
        Set<Integer> committed = new HashSet<>(); // steps whose global epoch this process committed
        int reached = state.step;
        boolean done = false;
        while (!done) {
          try {
            if (state.step < steps) {
              try (GroupStep step = group.step()) {
                if (!state.sent) {
                  next.send(ByteBuffer.allocate(Long.BYTES).putLong(0, state.value));
                  state.sent = true;
                }
                long received = previous.receive().getLong(0);
                state.value = Ring.next(state.value, received, state.step + 1);
                state.step++;
                state.sent = false;
                Files.writeString(results, Ring.line(state.step, received, state.value),
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND);
              }
              reached = Math.max(reached, state.step);
              say("step %d: value %d", state.step, state.value);
              if (state.step == holdAt) {
                say("holding after step %d", state.step);
                System.in.read(); // the demo kills this process here
              }
            }
            if (committer && state.step % every == 0 && state.step < steps && !committed.contains(state.step)) {
              commit(group, cp, state, committed, "step " + state.step);
            }
            if (state.step == steps) {
              done = committer ? finishAsCommitter(group, cp, state, committed) : finish(group, state, events);
            }
          } catch (GroupRolledBackException e) {
            say("rolled back to global epoch %d: step %d -> %d, value %d, local epoch %d", e.globalEpoch(), reached,
                state.step, state.value, cp.currentEpoch());
            committed.removeIf(s -> s > state.step);
            reached = state.step;
          } catch (GroupException e) {
            say("commit aborted: %s", e.getMessage().replace('\n', ' '));
          }
        }
        if (committer) {
          for (GlobalEpoch g : group.globalEpochs()) {
            say("global epoch %d (parent %d, %s): local epochs %s", g.id(), g.parent(),
                g.label() == null ? "no label" : "'" + g.label() + "'",
                g.localEpochs().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" ")));
          }
        }
        say("done: step %d, value %d", state.step, state.value);
      }
    }
  }

  private static void commit(CheckpointGroup group, Checkpointer cp, State state, Set<Integer> committed, String label)
      throws IOException {
    long g = group.commit(label);
    committed.add(state.step);
    say("committed global epoch %d at step %d (local epoch %d)", g, state.step, cp.currentEpoch());
  }

  /**
   * a, after its last step: receives b's and c's end markers, then commits the final global
   * epoch; every member is then at its last step in it. Returns whether it is committed.
   */
  @SuppressWarnings("try")
  private static boolean finishAsCommitter(CheckpointGroup group, Checkpointer cp, State state, Set<Integer> committed)
      throws IOException, InterruptedException {
    List<String> others = Ring.MEMBERS.subList(1, Ring.MEMBERS.size());
    while (state.markers < others.size()) {
      try (GroupStep step = group.step()) {
        String peer = others.get(state.markers);
        long marker = group.channel(peer).receive().getLong(0);
        if (marker != END) {
          throw new IllegalStateException("after the last step " + peer + " sent " + marker + ", not the end marker");
        }
        state.markers++;
      }
    }
    if (!committed.contains(state.step)) {
      commit(group, cp, state, committed, FINAL);
    }
    return true;
  }

  /**
   * b and c, after their last step: send a the end marker, then wait for the final global
   * epoch. Returns whether it is committed; throws {@link GroupRolledBackException} if the
   * group rolled back instead.
   */
  @SuppressWarnings("try")
  private static boolean finish(CheckpointGroup group, State state, Events events)
      throws IOException, InterruptedException {
    if (state.markers == 0) {
      try (GroupStep step = group.step()) {
        group.channel(COMMITTER).send(ByteBuffer.allocate(Long.BYTES).putLong(0, END));
        state.markers = 1;
      }
    }
    long seen = events.count();
    if (events.finalCommitted()) {
      return true;
    }
    events.awaitAfter(seen);
    group.step().close(); // throws if the event was a rollback
    return events.finalCommitted();
  }

  private static void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
