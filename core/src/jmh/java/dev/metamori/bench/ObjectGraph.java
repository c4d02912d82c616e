package dev.metamori.bench;

import dev.metamori.Checkpointable;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The in-memory state of an agent-based simulation, as an application would register it: a
 * {@code HashMap} of agents keyed by id (each with a name, a kind shared with other agents,
 * position, velocity and energy as doubles, a genome of 48 doubles and a list of contact ids)
 * and an append-only event history. With the default 40,000 agents and 30,000 events it is
 * about 300,000 objects and serialises to 19 to 21 MiB.
 *
 * <p>Two ways to save it, as {@link Flavour}s: Java serialization of the whole graph with
 * {@link ObjectOutputStream}, and a hand-written {@link DataOutputStream} codec. {@link
 * #mutate} changes it the way a simulation step does: some agents move, a few are born and a
 * few die (which shifts every later byte of the serialised form), and events are appended.
 *
 * <p>Not thread-safe; deterministic for a given seed.
 */
final class ObjectGraph {
  /** Doubles in each agent's genome: the bulk of the serialised bytes. */
  static final int GENOME = 48;
  /** Agents born and agents that die per {@link #mutate} call. */
  static final int CHURN = 5;
  /** Events appended per {@link #mutate} call. */
  static final int EVENTS_PER_STEP = 100;

  private static final String[] KINDS = {"forager", "hunter", "trader", "builder", "scout"};
  private static final String[] EVENTS = {"moved", "met", "traded", "born", "died", "starved"};

  /** How the graph is written to a {@link Checkpointable}'s stream. */
  enum Flavour {
    /** {@link ObjectOutputStream#writeObject} of the whole {@link World}. */
    JAVA,
    /** A {@link DataOutputStream} codec writing each field in a fixed order. */
    CODEC
  }

  /** The serialisable root. */
  static final class World implements Serializable {
    private static final long serialVersionUID = 1L;
    long step;
    long nextId;
    HashMap<Long, Agent> agents = new HashMap<>();
    ArrayList<Event> history = new ArrayList<>();
  }

  /** One simulated agent. */
  static final class Agent implements Serializable {
    private static final long serialVersionUID = 1L;
    long id;
    String name;
    String kind;
    double x;
    double y;
    double vx;
    double vy;
    double energy;
    int age;
    double[] genome;
    ArrayList<Long> contacts;
  }

  /** One entry of the history. */
  static final class Event implements Serializable {
    private static final long serialVersionUID = 1L;
    long step;
    long agent;
    String what;
    double value;
  }

  private World world = new World();
  private final Random random;

  private ObjectGraph(long seed) {
    this.random = new Random(seed);
  }

  /** A graph of {@code agents} agents and {@code events} history events, from {@code seed}. */
  static ObjectGraph generate(int agents, int events, long seed) {
    ObjectGraph g = new ObjectGraph(seed);
    for (int i = 0; i < agents; i++) {
      g.addAgent();
    }
    for (int i = 0; i < events; i++) {
      g.addEvent();
    }
    return g;
  }

  /** The default graph of the benchmarks (19 to 21 MiB serialised). */
  static ObjectGraph standard() {
    return generate(40_000, 30_000, 42);
  }

  int agentCount() {
    return world.agents.size();
  }

  int eventCount() {
    return world.history.size();
  }

  /**
   * One simulation step: updates position, velocity, energy and age of a fraction {@code rate}
   * of the agents (chosen at random), adds {@link #CHURN} agents and removes as many, and
   * appends {@link #EVENTS_PER_STEP} events.
   */
  void mutate(double rate) {
    world.step++;
    List<Long> ids = new ArrayList<>(world.agents.keySet());
    int n = (int) Math.max(1, Math.round(ids.size() * rate));
    for (int i = 0; i < n; i++) {
      Agent a = world.agents.get(ids.get(random.nextInt(ids.size())));
      a.vx += random.nextGaussian() * 0.1;
      a.vy += random.nextGaussian() * 0.1;
      a.x += a.vx;
      a.y += a.vy;
      a.energy -= random.nextDouble();
      a.age++;
    }
    for (int i = 0; i < CHURN; i++) {
      world.agents.remove(ids.get(random.nextInt(ids.size())));
      addAgent();
    }
    for (int i = 0; i < EVENTS_PER_STEP; i++) {
      addEvent();
    }
  }

  private void addAgent() {
    Agent a = new Agent();
    a.id = world.nextId++;
    a.name = "agent-" + a.id;
    a.kind = KINDS[random.nextInt(KINDS.length)];
    a.x = random.nextDouble() * 1000;
    a.y = random.nextDouble() * 1000;
    a.vx = random.nextGaussian();
    a.vy = random.nextGaussian();
    a.energy = 100 * random.nextDouble();
    a.genome = new double[GENOME];
    for (int i = 0; i < GENOME; i++) {
      a.genome[i] = random.nextGaussian();
    }
    int contacts = random.nextInt(5);
    a.contacts = new ArrayList<>(contacts);
    for (int i = 0; i < contacts && a.id > 0; i++) {
      a.contacts.add((long) random.nextInt((int) Math.min(Integer.MAX_VALUE, a.id)));
    }
    world.agents.put(a.id, a);
  }

  private void addEvent() {
    Event e = new Event();
    e.step = world.step;
    e.agent = (long) random.nextInt((int) Math.max(1, Math.min(Integer.MAX_VALUE, world.nextId)));
    e.what = EVENTS[random.nextInt(EVENTS.length)];
    e.value = random.nextDouble();
    world.history.add(e);
  }

  /** This graph registered as {@code flavour}: saving writes it, restoring replaces it. */
  Checkpointable checkpointable(Flavour flavour) {
    return new Checkpointable() {
      @Override
      public void save(OutputStream out) throws IOException {
        ObjectGraph.this.save(flavour, out);
      }

      @Override
      public void restore(InputStream in) throws IOException {
        ObjectGraph.this.restore(flavour, in);
      }
    };
  }

  /** Writes the whole graph as {@code flavour}; flushes but does not close {@code out}. */
  void save(Flavour flavour, OutputStream out) throws IOException {
    if (flavour == Flavour.JAVA) {
      ObjectOutputStream objects = new ObjectOutputStream(new BufferedOutputStream(out, 1 << 16));
      objects.writeObject(world);
      objects.flush();
    } else {
      DataOutputStream data = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
      writeCodec(data);
      data.flush();
    }
  }

  /** Replaces the graph with the one {@link #save} wrote as {@code flavour}. */
  void restore(Flavour flavour, InputStream in) throws IOException {
    InputStream buffered = new BufferedInputStream(in, 1 << 16);
    if (flavour == Flavour.JAVA) {
      try {
        world = (World) new ObjectInputStream(buffered).readObject();
      } catch (ClassNotFoundException | ClassCastException e) {
        throw new InvalidObjectException("not a saved world: " + e);
      }
    } else {
      world = readCodec(new DataInputStream(buffered));
    }
  }

  private void writeCodec(DataOutputStream out) throws IOException {
    out.writeLong(world.step);
    out.writeLong(world.nextId);
    out.writeInt(world.agents.size());
    for (Map.Entry<Long, Agent> entry : world.agents.entrySet()) {
      Agent a = entry.getValue();
      out.writeLong(a.id);
      out.writeUTF(a.name);
      out.writeUTF(a.kind);
      out.writeDouble(a.x);
      out.writeDouble(a.y);
      out.writeDouble(a.vx);
      out.writeDouble(a.vy);
      out.writeDouble(a.energy);
      out.writeInt(a.age);
      out.writeInt(a.genome.length);
      for (double d : a.genome) {
        out.writeDouble(d);
      }
      out.writeInt(a.contacts.size());
      for (long c : a.contacts) {
        out.writeLong(c);
      }
    }
    out.writeInt(world.history.size());
    for (Event e : world.history) {
      out.writeLong(e.step);
      out.writeLong(e.agent);
      out.writeUTF(e.what);
      out.writeDouble(e.value);
    }
  }

  private static World readCodec(DataInputStream in) throws IOException {
    World w = new World();
    w.step = in.readLong();
    w.nextId = in.readLong();
    int agents = in.readInt();
    w.agents = new HashMap<>(Math.max(16, agents * 4 / 3 + 1));
    for (int i = 0; i < agents; i++) {
      Agent a = new Agent();
      a.id = in.readLong();
      a.name = in.readUTF();
      a.kind = in.readUTF().intern();
      a.x = in.readDouble();
      a.y = in.readDouble();
      a.vx = in.readDouble();
      a.vy = in.readDouble();
      a.energy = in.readDouble();
      a.age = in.readInt();
      a.genome = new double[in.readInt()];
      for (int k = 0; k < a.genome.length; k++) {
        a.genome[k] = in.readDouble();
      }
      int contacts = in.readInt();
      a.contacts = new ArrayList<>(contacts);
      for (int k = 0; k < contacts; k++) {
        a.contacts.add(in.readLong());
      }
      w.agents.put(a.id, a);
    }
    int events = in.readInt();
    w.history = new ArrayList<>(events);
    for (int i = 0; i < events; i++) {
      Event e = new Event();
      e.step = in.readLong();
      e.agent = in.readLong();
      e.what = in.readUTF().intern();
      e.value = in.readDouble();
      w.history.add(e);
    }
    return w;
  }
}
