package dev.metamori.cli;

import com.sun.tools.attach.AttachNotSupportedException;
import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.RuntimeMBeanException;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code metamori ctl PID commit [LABEL] | restore E | status}: commits, restores or shows the
 * checkpointer of a running JVM through the MBean that {@code Checkpointer.Builder#registerMBean()}
 * registers ({@code dev.metamori:type=Checkpointer,name=STORE}). Attaches with the Attach API,
 * starts the process's local management agent (it listens on the loopback interface, for the
 * same user only) and calls the MBean over JMX.
 */
@Command(
    name = "ctl",
    description =
        "Commits, restores or shows the status of the checkpointer of a running JVM (PID), through"
            + " the MBean it registers with Checkpointer.Builder#registerMBean(). The process must be a"
            + " JVM of the same user. Exit code 4 for an unknown epoch.")
final class CtlCommand implements Callable<Integer> {
  private static final String PATTERN = "dev.metamori:type=Checkpointer,*";

  @Parameters(index = "0", paramLabel = "PID", description = "The process id of the JVM.")
  long pid;

  @Parameters(
      index = "1",
      paramLabel = "ACTION",
      description = "commit [LABEL]: commit a new epoch; restore E: restore epoch id E; status: the current"
          + " epoch, the number of epochs and the entries changed outside the checkpointer.")
  String action;

  @Parameters(
      index = "2",
      arity = "0..1",
      paramLabel = "ARG",
      description = "commit: the epoch's label (optional); restore: the epoch id.")
  String argument;

  @Option(
      names = {"-s", "--store"},
      paramLabel = "NAME",
      description = "The store, when the process has several: its directory as registered, or that directory's name.")
  String store;

  @Option(names = "--json", description = "Print one JSON document instead of text, for scripts.")
  boolean json;

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    checkArguments();
    String address = managementAddress();
    try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(address))) {
      MBeanServerConnection server = connector.getMBeanServerConnection();
      ObjectName name = find(server);
      try {
        return act(server, name);
      } catch (RuntimeMBeanException e) {
        return refused(e.getCause() == null ? e : e.getCause());
      }
    } catch (JMException e) {
      throw new IOException("process " + pid + ": the JMX call failed: " + e, e);
    }
  }

  private void checkArguments() {
    boolean ok =
        switch (action) {
          case "commit", "status" -> action.equals("commit") || argument == null;
          case "restore" -> argument != null && argument.matches("[0-9]{1,18}");
          default -> false;
        };
    if (!ok) {
      throw new ParameterException(
          spec.commandLine(),
          "give commit [LABEL], restore EPOCH (an epoch id) or status after the process id, not: "
              + action + (argument == null ? "" : " " + argument));
    }
  }

  /** Attaches to the process and starts (or finds) its local management agent; returns its address. */
  private String managementAddress() throws IOException {
    VirtualMachine vm;
    try {
      vm = VirtualMachine.attach(Long.toString(pid));
    } catch (AttachNotSupportedException | IOException e) {
      throw new IOException(
          "cannot attach to process " + pid + " (" + e.getMessage() + "): it must be a running JVM of the"
              + " same user, started without -XX:+DisableAttachMechanism",
          e);
    }
    try {
      return vm.startLocalManagementAgent();
    } finally {
      vm.detach();
    }
  }

  /** The checkpointer's MBean: the only one, or the one {@code --store} names. */
  private ObjectName find(MBeanServerConnection server) throws IOException, JMException {
    Set<ObjectName> names = server.queryNames(new ObjectName(PATTERN), null);
    TreeMap<String, ObjectName> byStore = new TreeMap<>();
    for (ObjectName n : names) {
      byStore.put((String) server.getAttribute(n, "Store"), n);
    }
    if (byStore.isEmpty()) {
      throw new IOException(
          "process " + pid + " has no checkpointer registered as an MBean (" + PATTERN + "): open it with"
              + " Checkpointer.builder(...).registerMBean()");
    }
    String wanted = store != null ? store : main.options.store == null ? null : main.options.store.toString();
    if (wanted == null) {
      if (byStore.size() > 1) {
        throw new ParameterException(
            spec.commandLine(),
            "process " + pid + " has " + byStore.size() + " checkpointers: name one with --store, one of "
                + String.join(", ", byStore.keySet()));
      }
      return byStore.firstEntry().getValue();
    }
    List<ObjectName> matching = new ArrayList<>();
    byStore.forEach(
        (s, n) -> {
          if (s.equals(wanted) || java.nio.file.Path.of(s).getFileName().toString().equals(wanted)) {
            matching.add(n);
          }
        });
    if (matching.size() != 1) {
      throw new ParameterException(
          spec.commandLine(),
          (matching.isEmpty() ? "no checkpointer of process " + pid + " has store " : "several stores are named ")
              + wanted + ": give one of " + String.join(", ", byStore.keySet()));
    }
    return matching.get(0);
  }

  private int act(MBeanServerConnection server, ObjectName name) throws IOException, JMException {
    PrintWriter out = spec.commandLine().getOut();
    String storeName = (String) server.getAttribute(name, "Store");
    JsonWriter w = json || main.options.json ? new JsonWriter(out) : null;
    if (w != null) {
      w.beginObject().name("pid").value(pid).name("store").value(storeName);
    }
    switch (action) {
      case "commit" -> {
        long epoch = (Long) server.invoke(name, "commit", new Object[] {argument}, new String[] {"java.lang.String"});
        if (w != null) {
          w.name("epoch").value(epoch).name("label").value(argument);
        } else {
          out.println("committed epoch " + epoch + (argument == null ? "" : " \"" + argument + "\"") + " of " + storeName);
        }
      }
      case "restore" -> {
        long epoch = Long.parseLong(argument);
        server.invoke(name, "restore", new Object[] {epoch}, new String[] {"long"});
        if (w != null) {
          w.name("epoch").value(epoch);
        } else {
          out.println("restored epoch " + epoch + " of " + storeName);
        }
      }
      default -> {
        String status = (String) server.invoke(name, "status", new Object[0], new String[0]);
        if (w != null) {
          w.name("epoch").value((Long) server.getAttribute(name, "CurrentEpoch"))
              .name("epochs").value((Integer) server.getAttribute(name, "Epochs"))
              .name("status").value(status);
        } else {
          out.println(status);
        }
      }
    }
    if (w != null) {
      w.endObject().end();
    }
    out.flush();
    return Main.OK;
  }

  /** What the checkpointer refused: its message on stderr, and the exit code. */
  private int refused(Throwable e) {
    PrintWriter err = spec.commandLine().getErr();
    err.println("metamori: process " + pid + ": " + e.getMessage());
    err.flush();
    if (e instanceof IllegalArgumentException) {
      // the MBean's restore throws it for an epoch the store does not have, its commit for a bad label
      return action.equals("restore") ? Main.NO_SUCH_EPOCH : Main.USAGE;
    }
    return Main.ERROR;
  }
}
