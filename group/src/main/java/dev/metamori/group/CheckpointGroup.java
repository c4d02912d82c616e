package dev.metamori.group;

import dev.metamori.Checkpointer;
import dev.metamori.group.internal.GroupConfig;
import dev.metamori.group.internal.GroupMember;
import dev.metamori.group.internal.MemberChannels;
import dev.metamori.group.internal.Outside;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.apache.curator.framework.CuratorFramework;

/**
 * One member of a group of processes, each with its own {@link Checkpointer}, that commit
 * global checkpoints and roll back together, coordinated through Apache ZooKeeper.
 *
 * <pre>{@code
 * try (CheckpointGroup group = CheckpointGroup.builder(cp)
 *     .zookeeper("zk1:2181,zk2:2181,zk3:2181")
 *     .group("sim")
 *     .member("a")
 *     .roster(Set.of("a", "b", "c"))
 *     .join()) {                      // waits for b and c; restores cp to the group's global epoch
 *   GroupChannel toB = group.channel("b");
 *   while (running) {
 *     try (GroupStep step = group.step()) {
 *       toB.send(work());
 *     } catch (GroupRolledBackException e) {
 *       reload();                     // control state from the checkpointed files and objects
 *     }
 *     if (timeToCheckpoint()) {
 *       group.commit();               // between steps: every member captures at its next safe point
 *     }
 *   }
 * }
 * }</pre>
 *
 * <p>A global epoch is one local epoch per member forming a consistent cut: whatever a
 * receiver's state has received, the sender's state has sent, and what was sent but not yet
 * received is delivered after a restore, exactly once and in order. Captures and restores run
 * at safe points of each member: between its {@linkplain #step() steps}, or while it is blocked
 * in a receive. The znodes, the rounds and what happens when a member dies at each step are in
 * docs/group.md.
 *
 * <p>The group registers this member's channel state with its Checkpointer under the name
 * {@code metamori.group.channels}; the application must not restore the Checkpointer itself
 * while it belongs to a group (use {@link #restore(long)}), and must not register an object
 * under that name. A closed group's Checkpointer cannot join again: reopen its store.
 */
public interface CheckpointGroup extends Closeable {

  /**
   * Starts configuring the membership of {@code checkpointer}'s process in a group.
   *
   * @param checkpointer this process's checkpointer
   * @return a builder for the membership
   */
  static Builder builder(Checkpointer checkpointer) {
    return new Builder(checkpointer);
  }

  /**
   * Reads group {@code group}'s global epochs, where it is and which members are connected,
   * without joining it: nothing is written and no watch is left, so the group is not affected.
   * For tools, on any machine that reaches ZooKeeper.
   *
   * @param client a started Curator client; not closed here
   * @param group the group's name
   * @return the group's global epochs, where it is and who is connected
   * @throws NoSuchGroupException if there is no such group in that ZooKeeper
   * @throws GroupException if ZooKeeper cannot be reached
   */
  static GroupLog log(CuratorFramework client, String group) throws IOException {
    Objects.requireNonNull(client, "client");
    Outside outside = new Outside(client, group);
    try {
      return outside.log();
    } catch (Exception e) {
      throw Outside.failure("read group '" + group + "'", client, e);
    }
  }

  /**
   * Restores group {@code group} to global epoch {@code globalEpoch} from outside it, without
   * joining, in one of two ways:
   *
   * <ul>
   *   <li>{@code stores} empty: every member must be running. The group rolls back to the
   *       target as if a member had called {@link #restore(long)}; this returns once it has
   *       (rolling back waits for members' open steps), or throws after {@code timeout}, the
   *       rollback still owed.
   *   <li>{@code stores} holds every member's open Checkpointer, by member id: no member may be
   *       running. Each store is restored to its member's local epoch of the target (refused,
   *       with no store changed, if one has changes made behind its checkpointer's back: the
   *       core's {@link dev.metamori.OutsideChangesException}), then the group's head moves to
   *       the target, so members that join later start there.
   * </ul>
   *
   * @param client a started Curator client; not closed here
   * @param group the group's name
   * @param globalEpoch the global epoch to restore
   * @param stores every member's open Checkpointer by member id, or empty if the members are
   *     running
   * @param timeout how long to wait for a running group's rollback
   * @return the global epoch the group is now at
   * @throws NoSuchGroupException if there is no such group in that ZooKeeper
   * @throws NoSuchGlobalEpochException if the group has no global epoch {@code globalEpoch}
   * @throws GroupException if ZooKeeper cannot be reached, members are
   *     running while stores are given or missing while none are, or the rollback did not end
   *     within {@code timeout}
   */
  static GlobalEpoch restore(
      CuratorFramework client, String group, long globalEpoch, Map<String, Checkpointer> stores, Duration timeout)
      throws IOException {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(stores, "stores");
    GroupConfig.checkPositive("timeout", timeout);
    Outside outside = new Outside(client, group);
    try {
      return outside.restore(globalEpoch, Map.copyOf(stores), timeout);
    } catch (Exception e) {
      throw Outside.failure("restore group '" + group + "' to global epoch " + globalEpoch, client, e);
    }
  }

  /**
   * This member's id.
   *
   * @return this member's id
   */
  String member();

  /**
   * Commits a global epoch: opens a round in which every member captures its state at its next
   * safe point ({@code commitAsync} of its Checkpointer) and reports its local epoch once it is
   * durable; when all have, the round commits with one ZooKeeper transaction. Any member may
   * call it, between its steps (not inside one); concurrent calls commit one round after the
   * other. Waits while the group is recovering from a member's restart, and while this member
   * is fenced and rejoining (up to the builder's timeout).
   *
   * @return the new global epoch's id
   * @throws GroupException if the round aborted (a member is not connected, died, or did not
   *     capture in time) or ZooKeeper has no quorum; the members go on at their current state
   *     and a later commit may succeed
   * @throws IllegalStateException if called inside a step of this member
   */
  long commit() throws IOException;

  /**
   * As {@link #commit()}, and labels the global epoch (and each member's local epoch).
   *
   * @param label the label
   * @return the new global epoch's id
   * @throws IOException as for {@link #commit()}
   */
  long commit(String label) throws IOException;

  /**
   * Restores the whole group to global epoch {@code globalEpoch}, older or newer than the
   * current one, on any branch: every member restores its Checkpointer to its local epoch of it
   * at its next safe point, and its next step, send, receive or poll throws {@link
   * GroupRolledBackException} once (this member's too).
   *
   * @param globalEpoch the global epoch to restore
   * @throws GroupException if {@code globalEpoch} does not exist, a member is not connected, or
   *     ZooKeeper has no quorum
   * @throws IllegalStateException if called inside a step of this member
   */
  void restore(long globalEpoch) throws IOException;

  /**
   * Same as {@link #restore(long)}.
   *
   * @param globalEpoch the global epoch to restore
   * @throws IOException as for {@link #restore(long)}
   */
  void rollback(long globalEpoch) throws IOException;

  /**
   * The global epoch the group is at: the last committed, or the last restored to. 0 before the
   *     first.
   *
   * @return the current global epoch's id, or 0
   * @throws IOException if ZooKeeper cannot be reached
   */
  long currentGlobalEpoch() throws IOException;

  /**
   * Every global epoch of the group, oldest first, with each member's local epoch.
   *
   * @return every global epoch, oldest first
   * @throws IOException if ZooKeeper cannot be reached
   */
  List<GlobalEpoch> globalEpochs() throws IOException;

  /**
   * The channel from this member to {@code peer}, another member of the roster.
   *
   * @param peer the member at the other end
   * @return the channel
   */
  GroupChannel channel(String peer);

  /**
   * Opens a step of the application: no capture or restore of this member runs until it is
   * closed. Waits while a capture or restore of this member is running. A fenced member still
   * steps (its channels and outputs stop, not its computation).
   *
   * @return the open step; close it to end the step
   * @throws GroupRolledBackException once after a group rollback
   * @throws InterruptedException if interrupted while waiting for a capture or restore
   */
  GroupStep step() throws IOException, InterruptedException;

  /**
   * Adds hooks on global commits, rollbacks and fencing.
   *
   * @param listener the hooks
   */
  void addListener(GroupListener listener);

  /**
   * Leaves the group: rounds open now abort, and the group waits for this member to join
   * again. Closes the ZooKeeper client if the group created it, not the Checkpointer.
   */
  @Override
  void close() throws IOException;

  /**
   * Configures and joins a {@link CheckpointGroup}. Setters validate at once and may be called
   * once each; {@link #join()} checks the whole.
   */
  final class Builder {
    private final Checkpointer checkpointer;
    private String connectString;
    private CuratorFramework curator;
    private String group;
    private String member;
    private Set<String> roster;
    private Duration sessionTimeout;
    private Duration timeout;
    private InetAddress bind;

    private Builder(Checkpointer checkpointer) {
      this.checkpointer = Objects.requireNonNull(checkpointer, "checkpointer");
    }

    /**
     * ZooKeeper's connection string ({@code host:port,host:port}); the group opens and closes its
     *     own client.
     *
     * @param connectString the connection string
     * @return this builder
     */
    public Builder zookeeper(String connectString) {
      Objects.requireNonNull(connectString, "connectString");
      check(this.connectString == null, "ZooKeeper connection string was already set to " + this.connectString);
      check(curator == null, "a Curator client was already set; set either it or a connection string");
      if (connectString.isBlank()) {
        throw new IllegalArgumentException("ZooKeeper connection string is empty; give host:port[,host:port...]");
      }
      this.connectString = connectString;
      return this;
    }

    /**
     * A started Curator client to use instead of a connection string; the group does not close it.
     *
     * @param client the started client
     * @return this builder
     */
    public Builder curator(CuratorFramework client) {
      Objects.requireNonNull(client, "client");
      check(curator == null, "a Curator client was already set");
      check(connectString == null, "ZooKeeper connection string was already set to " + connectString + "; set either it or a Curator client");
      this.curator = client;
      return this;
    }

    /**
     * The group's name: its znodes live under {@code /metamori/groups/{name}}.
     *
     * @param name the group's name
     * @return this builder
     */
    public Builder group(String name) {
      check(group == null, "group was already set to " + group);
      this.group = GroupConfig.checkName("group", name);
      return this;
    }

    /**
     * This member's id, stable across restarts of its process.
     *
     * @param id the member's id
     * @return this builder
     */
    public Builder member(String id) {
      check(member == null, "member was already set to " + member);
      this.member = GroupConfig.checkName("member", id);
      return this;
    }

    /**
     * Every member of the group, this one included: membership is fixed.
     *
     * @param members the members' ids
     * @return this builder
     */
    public Builder roster(Set<String> members) {
      Objects.requireNonNull(members, "members");
      check(roster == null, "roster was already set to " + roster);
      if (members.isEmpty()) {
        throw new IllegalArgumentException("roster is empty; list every member of the group, this one included");
      }
      Set<String> copy = new TreeSet<>();
      for (String m : members) {
        copy.add(GroupConfig.checkName("roster member", m));
      }
      this.roster = copy;
      return this;
    }

    /**
     * The ZooKeeper session timeout (default 10 s): how soon a dead member is noticed, and how
     * long ZooKeeper may be unreachable before this member is fenced.
     *
     * @param timeout the session timeout
     * @return this builder
     */
    public Builder sessionTimeout(Duration timeout) {
      check(sessionTimeout == null, "session timeout was already set to " + sessionTimeout);
      this.sessionTimeout = GroupConfig.checkPositive("session timeout", timeout);
      return this;
    }

    /**
     * How long {@link #join()} waits for the roster, and a commit or restore for its round
     * (default 60 s).
     *
     * @param timeout the timeout
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      check(this.timeout == null, "timeout was already set to " + this.timeout);
      this.timeout = GroupConfig.checkPositive("timeout", timeout);
      return this;
    }

    /**
     * The address this member's channels listen on and publish (default: the loopback address).
     *
     * @param address the address
     * @return this builder
     */
    public Builder bind(InetAddress address) {
      check(bind == null, "bind address was already set to " + bind);
      this.bind = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * Joins the group: connects to ZooKeeper, publishes this member, waits until the whole
     * roster is connected, and brings this member to the group's current global epoch: if the
     * group has one, the whole group rolls back to it (this member may have died after it); if
     * it has none yet, the members commit the first one together.
     *
     * @return this member of the group
     * @throws IllegalStateException if a setting is missing or the roster lacks this member
     * @throws GroupException if ZooKeeper cannot be reached or the roster does not gather in time
     */
    public CheckpointGroup join() throws IOException {
      return join(MemberChannels.REAL);
    }

    CheckpointGroup join(MemberChannels.Factory channels) throws IOException {
      check(group != null, "group is not set; call group(name)");
      check(member != null, "member is not set; call member(id)");
      check(roster != null, "roster is not set; call roster(members)");
      check(connectString != null || curator != null, "ZooKeeper is not set; call zookeeper(connectString) or curator(client)");
      check(roster.contains(member), "roster " + roster + " does not contain this member '" + member + "'");
      GroupConfig config =
          new GroupConfig(
              checkpointer,
              connectString,
              curator,
              group,
              member,
              Set.copyOf(roster),
              sessionTimeout == null ? Duration.ofSeconds(10) : sessionTimeout,
              timeout == null ? Duration.ofSeconds(60) : timeout,
              bind == null ? InetAddress.getLoopbackAddress() : bind);
      return GroupMember.join(config, channels);
    }

    private static void check(boolean ok, String message) {
      if (!ok) {
        throw new IllegalStateException(message);
      }
    }
  }
}
