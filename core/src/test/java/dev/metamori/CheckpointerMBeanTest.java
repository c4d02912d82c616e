package dev.metamori;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.RuntimeMBeanException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MBean of {@link Checkpointer.Builder#registerMBean()}, driven through the platform MBean
 * server as a JMX client drives it (the remote path is {@code metamori ctl}'s test).
 */
class CheckpointerMBeanTest {
  private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

  @TempDir Path tmp;

  private Checkpointer open(String storeName, boolean register) throws IOException {
    Path data = Files.createDirectories(tmp.resolve("data-" + storeName));
    Checkpointer.Builder b = Checkpointer.builder(tmp.resolve(storeName)).track(data);
    return (register ? b.registerMBean() : b).open();
  }

  private ObjectName nameOf(String storeName) throws Exception {
    return new ObjectName("dev.metamori:type=Checkpointer,name=" + tmp.resolve(storeName).toRealPath());
  }

  @Test
  void theMBeanIsRegisteredUnderTheStoresPathAndUnregisteredAtClose() throws Exception {
    ObjectName name;
    try (Checkpointer cp = open("store", true)) {
      name = nameOf("store");
      assertTrue(SERVER.isRegistered(name), SERVER.queryNames(null, null).toString());
      assertEquals(tmp.resolve("store").toRealPath().toString(), SERVER.getAttribute(name, "Store"));
      assertEquals(0L, SERVER.getAttribute(name, "CurrentEpoch"));
      assertEquals(1, SERVER.getAttribute(name, "Epochs"));
    }
    assertFalse(SERVER.isRegistered(name));
  }

  @Test
  void withoutRegisterMBeanNothingIsRegistered() throws Exception {
    try (Checkpointer cp = open("plain", false)) {
      assertTrue(SERVER.queryNames(new ObjectName("dev.metamori:type=Checkpointer,*"), null).isEmpty());
    }
  }

  @Test
  void registerMBeanMayBeCalledOnce() {
    Checkpointer.Builder b = Checkpointer.builder(tmp.resolve("s")).registerMBean();
    IllegalStateException e = assertThrows(IllegalStateException.class, b::registerMBean);
    assertEquals("registerMBean() was already called", e.getMessage());
  }

  @Test
  void commitRestoreAndStatusActOnTheCheckpointer() throws Exception {
    try (Checkpointer cp = open("store", true)) {
      ObjectName name = nameOf("store");
      Path file = cp.fileSystem().getPath(tmp.resolve("data-store/f").toString());
      Files.writeString(file, "one");
      Object id = SERVER.invoke(name, "commit", new Object[] {"first"}, new String[] {"java.lang.String"});
      assertEquals(1L, id);
      assertEquals("first", cp.epochs().get(1).label());
      Files.writeString(file, "two");
      assertEquals(2L, SERVER.invoke(name, "commit", new Object[] {null}, new String[] {"java.lang.String"}));
      assertNull(cp.epochs().get(2).label());
      assertEquals(2L, SERVER.getAttribute(name, "CurrentEpoch"));

      SERVER.invoke(name, "restore", new Object[] {1L}, new String[] {"long"});
      assertEquals("one", Files.readString(tmp.resolve("data-store/f")));
      assertEquals(1L, cp.currentEpoch());
      Files.writeString(tmp.resolve("data-store/behind"), "x");
      String status = (String) SERVER.invoke(name, "status", new Object[0], new String[0]);
      assertTrue(status.startsWith("store " + tmp.resolve("store").toRealPath() + " at epoch 1, 3 epochs; 1 entry changed outside"), status);
      assertTrue(status.contains("behind"), status);
    }
  }

  @Test
  void errorsReachTheClientAsJdkExceptionsWithTheLibrarysMessage() throws Exception {
    try (Checkpointer cp = open("store", true)) {
      ObjectName name = nameOf("store");
      RuntimeMBeanException unknown =
          assertThrows(
              RuntimeMBeanException.class,
              () -> SERVER.invoke(name, "restore", new Object[] {99L}, new String[] {"long"}));
      IllegalArgumentException cause = assertInstanceOf(IllegalArgumentException.class, unknown.getCause());
      assertTrue(cause.getMessage().startsWith("no such epoch 99"), cause.getMessage());
      assertNull(cause.getCause(), "no library class travels to the client");

      RuntimeMBeanException label =
          assertThrows(
              RuntimeMBeanException.class,
              () -> SERVER.invoke(name, "commit", new Object[] {"x".repeat(1001)}, new String[] {"java.lang.String"}));
      assertInstanceOf(IllegalArgumentException.class, label.getCause());

      Files.writeString(tmp.resolve("data-store/behind"), "x");
      RuntimeMBeanException refused =
          assertThrows(
              RuntimeMBeanException.class,
              () -> SERVER.invoke(name, "restore", new Object[] {0L}, new String[] {"long"}));
      assertInstanceOf(IllegalStateException.class, refused.getCause());
      assertTrue(refused.getCause().getMessage().contains("behind"), refused.getCause().getMessage());

      assertThrows(
          ReflectionException.class,
          () -> SERVER.invoke(name, "rollback", new Object[] {0L}, new String[] {"long"}));
    }
  }

  @Test
  void aStorePathThatNeedsQuotingGivesAQuotedName() throws Exception {
    try (Checkpointer cp = open("a:b,c", true)) {
      ObjectName name =
          new ObjectName("dev.metamori:type=Checkpointer,name=" + ObjectName.quote(tmp.resolve("a:b,c").toRealPath().toString()));
      assertTrue(SERVER.isRegistered(name), SERVER.queryNames(null, null).toString());
      assertEquals(tmp.resolve("a:b,c").toRealPath().toString(), SERVER.getAttribute(name, "Store"));
    }
  }
}
