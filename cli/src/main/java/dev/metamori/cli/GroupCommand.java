package dev.metamori.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * {@code metamori group log|restore}: a group of processes that checkpoint together (the
 * metamori-group module), seen and restored from any machine that reaches its ZooKeeper.
 */
@Command(
    name = "group",
    description = "Shows or restores a group's global epochs, through its ZooKeeper, without joining it.",
    subcommands = {GroupLogCommand.class, GroupRestoreCommand.class})
final class GroupCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().getErr().println("metamori group: name a command, log or restore");
    spec.commandLine().usage(spec.commandLine().getErr());
    return Main.USAGE;
  }
}
