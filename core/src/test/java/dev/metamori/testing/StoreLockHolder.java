package dev.metamori.testing;

import dev.metamori.Checkpointer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * A separate process that holds a store open: {@code StoreLockHolder <store> <root>...}. It
 * prints {@code ready} once the store is open, then waits until a line arrives on standard
 * input (or input ends), closes the store, prints {@code closed} and exits.
 */
public final class StoreLockHolder {
  private StoreLockHolder() {}

  /** Starts a holder for {@code store} and {@code roots} in a new JVM with this classpath. */
  public static Process start(Path store, Path... roots) throws java.io.IOException {
    List<String> command = new ArrayList<>();
    command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--enable-native-access=ALL-UNNAMED"); // lz4-java's JNI, without a warning on JDK 24+
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(StoreLockHolder.class.getName());
    command.add(store.toString());
    for (Path root : roots) {
      command.add(root.toString());
    }
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  public static void main(String[] args) throws Exception {
    Checkpointer.Builder builder = Checkpointer.builder(Paths.get(args[0]));
    for (int i = 1; i < args.length; i++) {
      builder.track(Paths.get(args[i]));
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    Checkpointer cp = builder.open();
    try {
      System.out.println("ready");
      System.out.flush();
      in.readLine();
    } finally {
      cp.close();
    }
    System.out.println("closed");
    System.out.flush();
  }
}
