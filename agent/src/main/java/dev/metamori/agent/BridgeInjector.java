package dev.metamori.agent;

import java.io.File;
import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.util.Set;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.loading.ClassInjector;

/**
 * Loads the two classes of {@code dev.metamori.agent.bootstrap} with the bootstrap class loader.
 * Refers to them by name only: no class of the agent may load them before this has run.
 */
final class BridgeInjector {
  private static final String BRIDGE = "dev.metamori.agent.bootstrap.IoBridge";
  private static final String HOOK = "dev.metamori.agent.bootstrap.IoHook";

  private BridgeInjector() {}

  /**
   * Puts the bridge and the hook interface into the bootstrap class loader, where {@code
   * java.base} can see them. Must run before anything here refers to either.
   */
  static void injectBridge(Instrumentation inst) throws IOException {
    // a private directory (0700) for the small jar the classes are appended from
    File dir = Files.createTempDirectory("metamori-agent").toFile();
    dir.deleteOnExit();
    ClassLoader own = BridgeInjector.class.getClassLoader();
    ClassInjector.UsingInstrumentation.of(dir, ClassInjector.UsingInstrumentation.Target.BOOTSTRAP, inst)
        .injectRaw(Set.of(HOOK, BRIDGE), ClassFileLocator.ForClassLoader.of(own));
    File[] jars = dir.listFiles();
    if (jars != null) {
      for (File jar : jars) {
        jar.deleteOnExit();
      }
    }
  }

}
