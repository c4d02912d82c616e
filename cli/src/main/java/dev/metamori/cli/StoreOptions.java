package dev.metamori.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command takes, before or after the command's name. */
final class StoreOptions {
  @Option(
      names = {"-s", "--store"},
      paramLabel = "DIR",
      description = "The store directory (the one given to Checkpointer.builder).")
  Path store;

  @Option(
      names = "--json",
      description = "Print one JSON document instead of text, for scripts (field names in docs/cli.md).")
  boolean json;
}
