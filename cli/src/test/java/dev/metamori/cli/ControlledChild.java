package dev.metamori.cli;

import dev.metamori.Checkpointer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A process for {@code metamori ctl} to control: opens a checkpointer with {@code
 * registerMBean()} for each {@code STORE=ROOT} argument, writes {@code a} = "one" in the first
 * root, prints "ready" and obeys its stdin, a line at a time, answering "ok": {@code write I TEXT}
 * writes TEXT to {@code a} of store I through its checkpointer; {@code close I} closes store I.
 * At the end of stdin it closes the rest and exits.
 */
public final class ControlledChild {
  private ControlledChild() {}

  public static void main(String[] args) throws Exception {
    List<Checkpointer> stores = new ArrayList<>();
    List<Path> roots = new ArrayList<>();
    for (String arg : args) {
      String[] parts = arg.split("=", 2);
      Path root = Path.of(parts[1]);
      stores.add(Checkpointer.builder(Path.of(parts[0])).track(root).registerMBean().open());
      roots.add(root);
    }
    write(stores.get(0), roots.get(0), "one");
    System.out.println("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      String[] words = line.split(" ", 3);
      int i = Integer.parseInt(words[1]);
      if (words[0].equals("write")) {
        write(stores.get(i), roots.get(i), words[2]);
      } else {
        stores.get(i).close();
      }
      System.out.println("ok");
    }
    for (Checkpointer cp : stores) {
      cp.close();
    }
  }

  private static void write(Checkpointer cp, Path root, String text) throws Exception {
    Files.writeString(cp.fileSystem().getPath(root.resolve("a").toString()), text);
  }
}
