package dev.metamori.internal.jmx;

import dev.metamori.Checkpointer;
import dev.metamori.NoSuchEpochException;
import dev.metamori.OutsideChange;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.List;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanParameterInfo;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.ReflectionException;

/**
 * The MBean {@code dev.metamori:type=Checkpointer,name=STORE} of one checkpointer (see {@code
 * Checkpointer.Builder#registerMBean()}): attributes {@code Store}, {@code CurrentEpoch} and
 * {@code Epochs}; operations {@code commit(String)}, {@code restore(long)} and {@code status()}.
 *
 * <p>A {@link DynamicMBean} rather than a standard one: the JMX server then calls it through
 * {@code javax.management}'s own interface, and never needs reflective access to this package,
 * which the module does not export. Errors reach the client as {@link IllegalArgumentException}
 * or {@link IllegalStateException} carrying the library's message and no cause: a remote client
 * has the JDK's classes, not the library's exceptions.
 */
public final class CheckpointerControl implements DynamicMBean {
  /** The domain and type of every checkpointer's name: {@code dev.metamori:type=Checkpointer,*}. */
  public static final String PATTERN = "dev.metamori:type=Checkpointer,*";

  private static final String STORE = "Store";
  private static final String CURRENT_EPOCH = "CurrentEpoch";
  private static final String EPOCHS = "Epochs";

  private static final MBeanInfo INFO =
      new MBeanInfo(
          CheckpointerControl.class.getName(),
          "A Metamori checkpointer: commit and restore its store's epochs from outside the process",
          new MBeanAttributeInfo[] {
            new MBeanAttributeInfo(STORE, "java.lang.String", "The store directory", true, false, false),
            new MBeanAttributeInfo(
                CURRENT_EPOCH, "long", "The epoch the tracked state was last committed or restored to", true, false, false),
            new MBeanAttributeInfo(EPOCHS, "int", "How many epochs the store lists, on every branch", true, false, false)
          },
          null,
          new MBeanOperationInfo[] {
            new MBeanOperationInfo(
                "commit",
                "Commits the current state as a new epoch and returns its id; a null or empty label for none",
                new MBeanParameterInfo[] {
                  new MBeanParameterInfo("label", "java.lang.String", "The epoch's label, or null")
                },
                "long",
                MBeanOperationInfo.ACTION),
            new MBeanOperationInfo(
                "restore",
                "Discards uncommitted changes and restores the tracked state to an epoch",
                new MBeanParameterInfo[] {new MBeanParameterInfo("epoch", "long", "The epoch's id")},
                "void",
                MBeanOperationInfo.ACTION),
            new MBeanOperationInfo(
                "status",
                "The current epoch, the number of epochs and the tracked entries changed outside the checkpointer",
                new MBeanParameterInfo[0],
                "java.lang.String",
                MBeanOperationInfo.INFO)
          },
          null);

  private final Checkpointer checkpointer;
  private final String store;

  private CheckpointerControl(Checkpointer checkpointer, Path store) {
    this.checkpointer = checkpointer;
    this.store = store.toString();
  }

  /** The name of the MBean of the store in {@code store} (a real path). */
  public static ObjectName nameOf(Path store) {
    String s = store.toString();
    boolean quote = s.chars().anyMatch(c -> ",=:\"*?\n".indexOf(c) >= 0);
    try {
      return new ObjectName("dev.metamori:type=Checkpointer,name=" + (quote ? ObjectName.quote(s) : s));
    } catch (MalformedObjectNameException e) {
      throw new IllegalArgumentException("store " + s + " gives no valid MBean name: " + e.getMessage(), e);
    }
  }

  /**
   * Registers the MBean of {@code checkpointer}, whose store is {@code store}, with the platform
   * MBean server; running what this returns unregisters it (once the checkpointer is closed).
   *
   * @throws IllegalStateException if an MBean of that name is registered already
   */
  public static Runnable register(Checkpointer checkpointer, Path store) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = nameOf(store);
    try {
      server.registerMBean(new CheckpointerControl(checkpointer, store), name);
    } catch (JMException e) {
      throw new IllegalStateException("the MBean " + name + " could not be registered: " + e, e);
    }
    return () -> {
      try {
        server.unregisterMBean(name);
      } catch (InstanceNotFoundException e) {
        // unregistered by someone else: nothing left to do
      } catch (JMException e) {
        // only an MBeanRegistration's hooks fail this way, and there are none
        throw new IllegalStateException("the MBean " + name + " could not be unregistered: " + e, e);
      }
    };
  }

  @Override
  public Object getAttribute(String attribute) throws AttributeNotFoundException {
    switch (attribute) {
      case STORE:
        return store;
      case CURRENT_EPOCH:
        return checkpointer.currentEpoch();
      case EPOCHS:
        return call(() -> checkpointer.epochs().size());
      default:
        throw new AttributeNotFoundException("no attribute " + attribute + ": " + STORE + ", " + CURRENT_EPOCH + ", " + EPOCHS);
    }
  }

  @Override
  public void setAttribute(Attribute attribute) throws AttributeNotFoundException {
    throw new AttributeNotFoundException("the attributes of " + INFO.getClassName() + " are read-only");
  }

  @Override
  public AttributeList getAttributes(String[] attributes) {
    AttributeList list = new AttributeList();
    for (String a : attributes) {
      try {
        list.add(new Attribute(a, getAttribute(a)));
      } catch (AttributeNotFoundException | RuntimeException e) {
        // left out, as the interface says
      }
    }
    return list;
  }

  @Override
  public AttributeList setAttributes(AttributeList attributes) {
    return new AttributeList(); // none is writable
  }

  @Override
  public Object invoke(String action, Object[] params, String[] signature) throws ReflectionException {
    Object[] p = params == null ? new Object[0] : params;
    if (action.equals("commit") && p.length == 1 && (p[0] == null || p[0] instanceof String)) {
      String label = (String) p[0];
      return call(() -> label == null || label.isEmpty() ? checkpointer.commit() : checkpointer.commit(label));
    }
    if (action.equals("restore") && p.length == 1 && p[0] instanceof Long) {
      long epoch = (Long) p[0];
      return call(
          () -> {
            checkpointer.restore(epoch);
            return null;
          });
    }
    if (action.equals("status") && p.length == 0) {
      return call(this::status);
    }
    throw new ReflectionException(
        new NoSuchMethodException(action + java.util.Arrays.toString(signature)),
        "no operation " + action + " with these parameters: commit(String), restore(long), status()");
  }

  private String status() throws IOException {
    List<OutsideChange> changes = checkpointer.status();
    StringBuilder s =
        new StringBuilder("store ")
            .append(store)
            .append(" at epoch ")
            .append(checkpointer.currentEpoch())
            .append(", ")
            .append(checkpointer.epochs().size())
            .append(" epochs; ");
    if (changes.isEmpty()) {
      return s.append("no change outside the checkpointer").toString();
    }
    s.append(changes.size()).append(changes.size() == 1 ? " entry" : " entries").append(" changed outside the checkpointer:");
    for (OutsideChange c : changes) {
      s.append('\n').append(c);
    }
    return s.toString();
  }

  /** Something the MBean asks of the checkpointer. */
  private interface Call<T> {
    T run() throws IOException;
  }

  /** Runs {@code call}, turning its errors into exceptions a remote client can read. */
  private static <T> T call(Call<T> call) {
    try {
      return call.run();
    } catch (NoSuchEpochException e) {
      throw new IllegalArgumentException(e.getMessage());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage());
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(e.getMessage() == null ? e.toString() : e.getMessage());
    }
  }

  @Override
  public MBeanInfo getMBeanInfo() {
    return INFO;
  }
}
